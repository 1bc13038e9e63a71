package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.model.TaskId;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Apps-service leader changes in virtual time: the state store holds app definitions, config
 * versions and in-flight deployments; a new leader adopts the running tasks and resumes.
 */
class AppsFailoverSimulationTest {
  @TempDir
  Path dir;

  private int generation;

  private AppsService next(AppsSim s, InMemoryStateStore store) {
    generation++;
    return AppsService.builder().transport(s.transport).master(s.master.address())
        .address(Address.of("apps-" + generation)).loop(s.sim.newLoop("apps-" + generation)).random(s.sim.random())
        .stateStore(store).build().start();
  }

  private static JsonNode call(AppsSim s, AppsService apps, String method, String path) {
    var f = apps.api().handle(method, path, Map.of(), "");
    s.sim.runUntilIdle();
    try {
      return AppsSim.MAPPER.readTree(f.join().body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<TaskId> running(AppsSim s) {
    Set<TaskId> out = new HashSet<>();
    s.containers.forEach(c -> out.addAll(c.running()));
    return out;
  }

  @Test
  void aNewLeaderResumesARollingUpgradeWithinItsBoundsAndKillsNothingEarly() {
    InMemoryStateStore store = new InMemoryStateStore();
    AppsSim s = new AppsSim(11, dir, store);
    for (int i = 0; i < 3; i++) {
      s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "");
    }
    s.start();
    try (s) {
      // new instances turn healthy 5 s after they run (the agents' checks): the upgrade takes steps
      s.call("POST", "/v2/apps", "{\"id\":\"/web\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":10,"
          + "\"healthChecks\":[{\"protocol\":\"TCP\",\"delaySeconds\":5,\"intervalSeconds\":5,\"gracePeriodSeconds\":0}],"
          + "\"upgradeStrategy\":{\"minimumHealthCapacity\":0.8,\"maximumOverCapacity\":0.2}}");
      s.advanceUntil(() -> s.app("/web").get("tasksHealthy").asInt() == 10 && s.json("GET", "/v2/deployments", "").isEmpty(),
          Duration.ofSeconds(60));
      Set<TaskId> v1 = running(s);
      int[] fewest = {Integer.MAX_VALUE};
      int[] most = {0};
      Runnable sample = () -> {
        int n = running(s).size();
        fewest[0] = Math.min(fewest[0], n);
        most[0] = Math.max(most[0], n);
      };
      String deploymentId = s.json("PUT", "/v2/apps/web", "{\"cmd\":\"sleep 2000\"}").get("deploymentId").asText();
      // half way: some old instances replaced, the deployment in flight
      s.advanceUntil(() -> {
        sample.run();
        Set<TaskId> now = running(s);
        return now.stream().filter(t -> !v1.contains(t)).count() >= 4;
      }, Duration.ofSeconds(60));
      assertThat(s.json("GET", "/v2/deployments", "").get(0).get("id").asText()).isEqualTo(deploymentId);
      s.apps.close(); // the leader goes
      s.sim.advance(Duration.ofSeconds(2));
      sample.run();
      AppsService b = next(s, store);
      try {
        s.advanceUntil(() -> {
          sample.run();
          JsonNode deployments = call(s, b, "GET", "/v2/deployments");
          if (deployments.size() == 1) {
            assertThat(deployments.get(0).get("id").asText()).as("the same deployment, resumed").isEqualTo(deploymentId);
          }
          return deployments.isEmpty();
        }, Duration.ofSeconds(120));
        Set<TaskId> end = running(s);
        assertThat(end).hasSize(10).doesNotContainAnyElementsOf(v1);
        assertThat(fewest[0]).as("fewest running instances at any step").isGreaterThanOrEqualTo(8);
        assertThat(most[0]).as("most running instances at any step").isLessThanOrEqualTo(12);
        JsonNode tasks = call(s, b, "GET", "/v2/apps/web/tasks").get("tasks");
        String version = call(s, b, "GET", "/v2/apps/web").get("app").get("version").asText();
        tasks.forEach(t -> assertThat(t.get("version").asText()).isEqualTo(version));
        assertThat(deploymentId).isNotEmpty();
        assertThat(call(s, b, "GET", "/v2/apps/web").get("app").get("tasksHealthy").asInt()).isEqualTo(10);
      } finally {
        b.close();
      }
    }
  }

  @Test
  void abdicatingThreeTimesWithAHundredInstancesReplacesNone() {
    InMemoryStateStore store = new InMemoryStateStore();
    AppsSim s = new AppsSim(12, dir, store);
    for (int i = 0; i < 5; i++) {
      s.addAgent("cpus:8;mem:8192;ports:[31000-31999]", "");
    }
    s.start();
    try (s) {
      s.call("POST", "/v2/apps", "{\"id\":\"/many\",\"cmd\":\"sleep 1000\",\"cpus\":0.05,\"mem\":8,\"instances\":100}");
      s.advanceUntil(() -> s.running("/many") == 100, Duration.ofSeconds(120));
      Set<TaskId> before = running(s);
      assertThat(before).hasSize(100);
      AppsService current = s.apps;
      for (int round = 0; round < 3; round++) {
        current.close();
        s.sim.advance(Duration.ofSeconds(1));
        current = next(s, store);
        AppsService leader = current;
        s.advanceUntil(() -> call(s, leader, "GET", "/v2/apps/many").path("app").path("tasksRunning").asInt() == 100,
            Duration.ofSeconds(60));
        s.sim.advance(Duration.ofSeconds(30));
        assertThat(running(s)).as("round %d", round).isEqualTo(before);
        assertThat(call(s, leader, "GET", "/v2/apps/many/tasks").get("tasks")).hasSize(100);
      }
      current.close();
    }
  }
}
