package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /v2/groups: nested groups, dependencies ordering deployments, scaleBy, replace and delete. */
class GroupsSimulationTest {
  @TempDir
  Path dir;

  AppsSim cluster() {
    AppsSim s = new AppsSim(7, dir);
    for (int i = 0; i < 3; i++) {
      s.addAgent("cpus:8;mem:8192;disk:1000;ports:[31000-31099]", "rack:r" + i);
    }
    return s.start();
  }

  static final String PRODUCT = "{\"id\":\"/product\",\"apps\":[{\"id\":\"db\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,"
      + "\"mem\":16,\"instances\":1,\"healthChecks\":[{\"protocol\":\"TCP\",\"delaySeconds\":20,\"intervalSeconds\":5,"
      + "\"gracePeriodSeconds\":0}]}],\"groups\":[{\"id\":\"frontend\",\"dependencies\":[\"../db\"],"
      + "\"apps\":[{\"id\":\"web\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":2}]}]}";

  @Test
  void nestedGroupsDeployInDependencyOrderScaleAndDelete() {
    try (AppsSim s = cluster()) {
      List<Duration> dbHealthyAt = new ArrayList<>();
      List<Duration> webLaunchedAt = new ArrayList<>();
      s.apps.scheduler().observers.add(x -> {
        var db = x.apps.get("/product/db");
        var web = x.apps.get("/product/frontend/web");
        if (dbHealthyAt.isEmpty() && db != null && db.instances.values().stream().anyMatch(i -> i.healthy(true))) {
          dbHealthyAt.add(s.sim.elapsed());
        }
        if (webLaunchedAt.isEmpty() && web != null && !web.instances.isEmpty()) {
          webLaunchedAt.add(s.sim.elapsed());
        }
      });
      AppsApi.Response created = s.call("POST", "/v2/groups", PRODUCT);
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(s.call("POST", "/v2/groups", PRODUCT).status()).isEqualTo(409);
      s.sim.advance(Duration.ofSeconds(10));
      assertThat(s.tasks("/product/frontend/web")).as("web waits for db to be healthy").isEmpty();
      assertThat(s.running("/product/db")).isEqualTo(1);
      // the queue says why web's 2 instances wait: its deployment waits for db (deployed, not yet healthy)
      JsonNode queue = s.json("GET", "/v2/queue", "").get("queue");
      JsonNode web = null;
      for (JsonNode e : queue) {
        if (e.get("app").get("id").asText().equals("/product/frontend/web")) {
          web = e;
        }
      }
      assertThat(web).as(queue.toString()).isNotNull();
      assertThat(web.get("count").asInt()).isEqualTo(2);
      assertThat(web.get("waitingForDependencies").asText()).contains("/product/db");
      JsonNode reason = web.get("processedOffersSummary").get("rejectSummaryLastOffers").get(0);
      assertThat(reason.get("reason").asText()).isEqualTo("WaitingForDependencies");
      assertThat(reason.get("detail").asText()).contains("dependency /product/db");
      assertThat(s.app("/product/frontend/web").get("waiting").get("reasons").get(0).get("reason").asText())
          .isEqualTo("WaitingForDependencies");
      s.advanceUntil(() -> s.running("/product/frontend/web") == 2, Duration.ofSeconds(60));
      assertThat(webLaunchedAt.get(0)).isGreaterThanOrEqualTo(dbHealthyAt.get(0));
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(60));

      JsonNode root = s.json("GET", "/v2/groups", "");
      assertThat(root.get("id").asText()).isEqualTo("/");
      JsonNode product = root.get("groups").get(0);
      assertThat(product.get("id").asText()).isEqualTo("/product");
      assertThat(product.get("apps").get(0).get("id").asText()).isEqualTo("/product/db");
      JsonNode frontend = s.json("GET", "/v2/groups/product/frontend", "");
      assertThat(frontend.get("dependencies").get(0).asText()).isEqualTo("/product/db");
      assertThat(frontend.get("apps").get(0).get("id").asText()).isEqualTo("/product/frontend/web");
      assertThat(s.app("/product/frontend/web").get("dependencies").get(0).asText()).isEqualTo("/product/db");
      assertThat(s.call("GET", "/v2/groups/nope", "").status()).isEqualTo(404);

      // scaleBy multiplies every app under the group
      assertThat(s.call("PUT", "/v2/groups/product", "{\"scaleBy\":2}").status()).isEqualTo(200);
      s.advanceUntil(() -> s.running("/product/db") == 2 && s.running("/product/frontend/web") == 4,
          Duration.ofSeconds(60));

      // PUT replaces the group: web, missing from the body, is stopped
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(60));
      AppsApi.Response replaced = s.call("PUT", "/v2/groups/product", "{\"apps\":[{\"id\":\"db\",\"cmd\":\"sleep 1000\","
          + "\"cpus\":0.1,\"mem\":16,\"instances\":1}]}");
      assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
      s.advanceUntil(() -> s.call("GET", "/v2/apps/product/frontend/web", "").status() == 404
          && s.running("/product/db") == 1, Duration.ofSeconds(60));

      // DELETE stops everything under the group
      assertThat(s.call("DELETE", "/v2/groups/product", "").status()).isEqualTo(200);
      s.advanceUntil(() -> s.call("GET", "/v2/apps/product/db", "").status() == 404, Duration.ofSeconds(60));
      assertThat(s.call("GET", "/v2/groups/product", "").status()).isEqualTo(404);
    }
  }

  @Test
  void aGroupIsValidatedWholeAndNothingIsStoredWhenRejected() {
    try (AppsSim s = cluster()) {
      AppsApi.Response cyclic = s.call("POST", "/v2/groups", "{\"id\":\"/x\",\"apps\":["
          + "{\"id\":\"a\",\"cmd\":\"sleep 1\",\"dependencies\":[\"b\"]},"
          + "{\"id\":\"b\",\"cmd\":\"sleep 1\",\"dependencies\":[\"/x/a\"]}]}");
      assertThat(cyclic.status()).isEqualTo(422);
      assertThat(cyclic.body()).contains("cyclic");
      AppsApi.Response bad = s.call("POST", "/v2/groups", "{\"id\":\"/y\",\"apps\":["
          + "{\"id\":\"ok\",\"cmd\":\"sleep 1\"},{\"id\":\"neg\",\"cmd\":\"sleep 1\",\"instances\":-1}]}");
      assertThat(bad.status()).isEqualTo(422);
      assertThat(bad.body()).contains("/apps(1)/instances");
      assertThat(s.call("GET", "/v2/apps/x/a", "").status()).isEqualTo(404);
      assertThat(s.call("GET", "/v2/apps/y/ok", "").status()).isEqualTo(404);
      assertThat(s.call("GET", "/v2/groups/y", "").status()).isEqualTo(404);
      assertThat(s.apps.scheduler().apps).isEmpty();
    }
  }

  @Test
  void relativeIdsResolveAgainstTheEnclosingGroup() {
    assertThat(GroupsApi.resolve("db", "/product")).isEqualTo("/product/db");
    assertThat(GroupsApi.resolve("../db", "/product/frontend")).isEqualTo("/product/db");
    assertThat(GroupsApi.resolve("/abs/x", "/product")).isEqualTo("/abs/x");
    assertThat(GroupsApi.resolve("./a", "/")).isEqualTo("/a");
  }
}
