package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Marathon's 422 shape naming the field path; nothing stored on a rejected request. */
class AppsValidationTest {
  @TempDir
  Path dir;
  AppsSim s;

  @BeforeEach
  void start() {
    s = new AppsSim(7, dir).addAgent("cpus:4;mem:4096;ports:[31000-31099]", "").start();
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":-1}|/instances|got -1, expected 0 or more",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"cpus\":-0.5}|/cpus|got -0.5, expected 0.0 or more",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"mem\":-1}|/mem|expected 0.0 or more",
      "{\"id\":\"/a/../b\",\"cmd\":\"x\"}|/id|must fully match regular expression",
      "{\"id\":\"/MyApp\",\"cmd\":\"x\"}|/id|'MyApp'",
      "{\"id\":\"/a//b\",\"cmd\":\"x\"}|/id|must fully match",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"constraints\":[[\"hostname\",\"SOMETIMES\"]]}|/constraints(0)|'SOMETIMES' is unknown",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"HTTP\",\"portIndex\":3}]}|/healthChecks(0)/portIndex|port indices",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":\"many\"}|/instances|expected an integer",
      "{\"id\":\"/a\"}|/|must either contain one of 'cmd' or 'args'",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"upgradeStrategy\":{\"minimumHealthCapacity\":1.5}}|/upgradeStrategy/minimumHealthCapacity|1.0 or less",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"nginx\"}}}|/container/docker|not supported here: Docker",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"portDefinitions\":[{\"port\":0,\"name\":\"http-api\"}],\"readinessChecks\":[{},{}]}|/readinessChecks|Only one readinessCheck",
      "{\"id\":\"/a\",\"cmd\":\"x\",\"portDefinitions\":[{\"port\":0,\"name\":\"http-api\"}],\"readinessChecks\":[{\"protocol\":\"TCP\"}]}|/readinessChecks(0)/protocol|is not one of",
  })
  void invalidAppsAre422NamingThePathAndNothingIsStored(String body, String path, String message) {
    AppsApi.Response r = s.call("POST", "/v2/apps", body);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    JsonNode json = s.json("POST", "/v2/apps", body);
    assertThat(json.get("message").asText()).isEqualTo("Object is not valid");
    boolean found = false;
    for (JsonNode d : json.get("details")) {
      if (d.get("path").asText().equals(path)) {
        found = d.get("errors").toString().contains(message);
      }
    }
    assertThat(found).as("detail at %s containing '%s' in %s", path, message, json).isTrue();
    assertThat(s.json("GET", "/v2/apps", "").get("apps")).isEmpty();
  }

  @Test
  void malformedJsonIs400AndDuplicateIs409AndPutMismatchedIdIs422() {
    AppsApi.Response bad = s.call("POST", "/v2/apps", "{\"id\":");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body()).contains("Invalid JSON");
    assertThat(s.call("POST", "/v2/apps", "{\"id\":\"/a\",\"cmd\":\"sleep 1\"}").status()).isEqualTo(201);
    AppsApi.Response dup = s.call("POST", "/v2/apps", "{\"id\":\"a\",\"cmd\":\"sleep 2\"}");
    assertThat(dup.status()).isEqualTo(409);
    assertThat(dup.body()).contains("already exists");
    assertThat(s.app("/a").get("cmd").asText()).isEqualTo("sleep 1");
    AppsApi.Response put = s.call("PUT", "/v2/apps/a", "{\"id\":\"/b\",\"cmd\":\"sleep 3\"}");
    assertThat(put.status()).isEqualTo(422);
    assertThat(s.app("/a").get("cmd").asText()).isEqualTo("sleep 1");
    assertThat(s.json("GET", "/v2/apps/a/versions", "").get("versions")).hasSize(1);
  }

  @Test
  void secondDeploymentIsLockedUnlessForced() {
    s.addAgent("cpus:1;mem:64", "");
    s.call("POST", "/v2/apps", "{\"id\":\"/big\",\"cmd\":\"sleep 1\",\"cpus\":100}");
    AppsApi.Response locked = s.call("PUT", "/v2/apps/big", "{\"cpus\":0.1}");
    assertThat(locked.status()).isEqualTo(409);
    assertThat(locked.body()).contains("locked by one or more deployments");
    String dep = s.json("GET", "/v2/deployments", "").get(0).get("id").asText();
    assertThat(s.json("GET", "/v2/queue", "").toString()).contains("InsufficientCpus");
    assertThat(s.call("PUT", "/v2/apps/big", java.util.Map.of("force", java.util.List.of("true")), "{\"cpus\":0.1}")
        .status()).isEqualTo(200);
    assertThat(s.json("GET", "/v2/deployments", "").findValuesAsText("id")).doesNotContain(dep);
    s.advanceUntil(() -> s.running("/big") == 1, java.time.Duration.ofSeconds(30));
  }

  @Test
  void aSecondHealthCheckIsAcceptedAndReportedIgnored() {
    AppsApi.Response r = s.call("POST", "/v2/apps", "{\"id\":\"/two\",\"cmd\":\"x\",\"healthChecks\":["
        + "{\"protocol\":\"TCP\"},{\"protocol\":\"HTTP\",\"path\":\"/h\",\"ignoreHttp1xx\":true}]}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.body()).contains("\"ignoredFields\":[\"/healthChecks(1)\",\"/healthChecks(1)/ignoreHttp1xx\"]");
  }
}
