package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppsSimulationTest {
  @TempDir
  Path dir;

  AppsSim cluster(int agents) {
    AppsSim s = new AppsSim(42, dir);
    for (int i = 0; i < agents; i++) {
      s.addAgent("cpus:4;mem:4096;disk:1000;ports:[31000-31099]", "rack:r" + (i % 2));
    }
    return s.start();
  }

  @Test
  void createScaleUpAndDown() {
    try (AppsSim s = cluster(2)) {
      AppsApi.Response created = s.call("POST", "/v2/apps", "{\"id\":\"/web\",\"cmd\":\"sleep 1000\",\"cpus\":0.5,"
          + "\"mem\":64,\"instances\":3,\"bogusField\":1}");
      assertThat(created.status()).isEqualTo(201);
      assertThat(created.body()).contains("\"ignoredFields\":[\"/bogusField\"]");
      s.advanceUntil(() -> s.running("/web") == 3, Duration.ofSeconds(30));
      JsonNode app = s.app("/web");
      assertThat(app.get("tasksRunning").asInt()).isEqualTo(3);
      assertThat(app.get("portDefinitions").get(0).get("port").asInt()).isBetween(10000, 20000);
      JsonNode task = app.get("tasks").get(0);
      assertThat(task.get("ports").get(0).asInt()).isBetween(31000, 31099);

      assertThat(s.call("PUT", "/v2/apps/web", "{\"instances\":5}").status()).isEqualTo(200);
      s.advanceUntil(() -> s.running("/web") == 5, Duration.ofSeconds(30));
      List<String> before = new ArrayList<>(s.tasks("/web").keySet());
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(30));
      assertThat(s.call("PUT", "/v2/apps/web", "{\"instances\":2}").status()).isEqualTo(200);
      s.advanceUntil(() -> s.tasks("/web").size() == 2, Duration.ofSeconds(30));
      // YOUNGEST_FIRST: the two oldest survive
      assertThat(s.tasks("/web").keySet()).containsExactlyInAnyOrderElementsOf(before.subList(0, 2));
      s.checkInvariants();
    }
  }

  @Test
  void instancesAreCheckpointedByTheirAgentsAsMarathonsDefaultAsks() throws Exception {
    try (AppsSim s = cluster(1)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/kept\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16}");
      s.advanceUntil(() -> s.running("/kept") == 1, Duration.ofSeconds(30));
      String taskId = s.tasks("/kept").keySet().iterator().next();
      // The agent's latest record of the task: in its checkpoint journal until folded into the task's file.
      Path journal = s.workDir().resolve("agent-0").resolve("meta").resolve("tasks.journal");
      String record = java.nio.file.Files.readAllLines(journal).stream().filter(l -> l.contains(taskId))
          .reduce((a, b) -> b).orElseThrow();
      // The agent kills a non-checkpointing framework's tasks when it recovers; these it keeps.
      JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(record);
      assertThat(json.get("checkpoint").asBoolean()).as("checkpoint in %s", record).isTrue();
    }
  }

  @Test
  void selfHealingWithBackoffGapsAndKilledDoesNotGrowIt() {
    try (AppsSim s = cluster(1)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/crash\",\"cmd\":\"false\",\"cpus\":0.1,\"mem\":16,"
          + "\"backoffSeconds\":1,\"backoffFactor\":2,\"maxLaunchDelaySeconds\":8}");
      List<Long> launchTimes = new ArrayList<>();
      String[] current = {null};
      for (int round = 0; round < 6; round++) {
        s.advanceUntil(() -> s.running("/crash") == 1 && !s.tasks("/crash").containsKey(current[0]),
            Duration.ofSeconds(60));
        current[0] = s.tasks("/crash").keySet().iterator().next();
        launchTimes.add(s.sim.elapsed().toMillis());
        assertThat(s.finish(current[0], 1)).isTrue();
      }
      List<Long> gaps = new ArrayList<>();
      for (int i = 1; i < launchTimes.size(); i++) {
        gaps.add(launchTimes.get(i) - launchTimes.get(i - 1));
      }
      // delays 1, 2, 4, 8, 8 seconds (capped), each within the next offer round (1 s allocation interval)
      long[] want = {1000, 2000, 4000, 8000, 8000};
      for (int i = 0; i < want.length; i++) {
        assertThat(gaps.get(i)).as("gap %d in %s", i, gaps).isBetween(want[i], want[i] + 2000);
      }
      JsonNode queue = s.json("GET", "/v2/queue", "");
      assertThat(queue.get("queue").get(0).get("delay").get("timeLeftSeconds").asLong()).isPositive();
      assertThat(s.call("DELETE", "/v2/queue/crash/delay", "").status()).isEqualTo(204);
      s.advanceUntil(() -> s.running("/crash") == 1, Duration.ofSeconds(3));
      assertThat(s.app("/crash").get("lastTaskFailure").get("state").asText()).isEqualTo("TASK_FAILED");
    }
  }

  @Test
  void uniqueHostnameLeavesOneWaitingWithTheReasonInTheQueue() {
    try (AppsSim s = cluster(3)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/uniq\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":4,"
          + "\"constraints\":[[\"hostname\",\"UNIQUE\"]]}");
      s.advanceUntil(() -> s.running("/uniq") == 3, Duration.ofSeconds(30));
      s.sim.advance(Duration.ofSeconds(10));
      assertThat(s.tasks("/uniq")).hasSize(3);
      JsonNode q = s.json("GET", "/v2/queue", "").get("queue");
      assertThat(q).hasSize(1);
      assertThat(q.get(0).get("count").asInt()).isEqualTo(1);
      JsonNode reasons = q.get(0).get("processedOffersSummary").get("rejectSummaryLastOffers");
      assertThat(reasons.toString()).contains("UnfulfilledConstraint").contains("[hostname, UNIQUE]");
      // the app's status says the same (Agora's "waiting" field)
      JsonNode waiting = s.app("/uniq").get("waiting");
      assertThat(waiting.get("count").asInt()).isEqualTo(1);
      assertThat(waiting.get("reasons").toString()).contains("UnfulfilledConstraint").contains("[hostname, UNIQUE]");
      long hosts = s.json("GET", "/v2/tasks", "").get("tasks").findValuesAsText("host").stream().distinct().count();
      assertThat(hosts).isEqualTo(3);
    }
  }

  @Test
  void rollingUpgradeStaysWithinBoundsAtEveryStep() {
    try (AppsSim s = cluster(4)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/roll\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":10,"
          + "\"upgradeStrategy\":{\"minimumHealthCapacity\":0.8,\"maximumOverCapacity\":0.2}}");
      s.advanceUntil(() -> s.running("/roll") == 10 && s.json("GET", "/v2/deployments", "").isEmpty(),
          Duration.ofSeconds(60));
      long[] minHealthy = {Long.MAX_VALUE};
      long[] maxAlive = {0};
      int[] samples = {0};
      s.apps.scheduler().observers.add(sch -> {
        AppsScheduler.AppState app = sch.apps.get("/roll");
        if (app == null) {
          return;
        }
        long alive = app.instances.size();
        long healthy = app.instances.values().stream().filter(i -> i.healthy(false)).count();
        minHealthy[0] = Math.min(minHealthy[0], healthy);
        maxAlive[0] = Math.max(maxAlive[0], alive);
        samples[0]++;
      });
      assertThat(s.call("PUT", "/v2/apps/roll", "{\"cmd\":\"sleep 2000\"}").status()).isEqualTo(200);
      String v2 = s.app("/roll").get("version").asText();
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(120));
      assertThat(samples[0]).as("converge passes sampled (one per burst of updates)").isGreaterThan(10);
      assertThat(minHealthy[0]).as("fewest running, not-killing instances at any step").isGreaterThanOrEqualTo(8);
      assertThat(maxAlive[0]).as("most live instances at any step").isLessThanOrEqualTo(12);
      assertThat(maxAlive[0]).as("the upgrade used its over-capacity").isGreaterThan(10);
      JsonNode tasks = s.json("GET", "/v2/apps/roll/tasks", "").get("tasks");
      assertThat(tasks).hasSize(10);
      tasks.forEach(t -> assertThat(t.get("version").asText()).isEqualTo(v2));
    }
  }

  @Test
  void killedTaskIsReplacedAndScaleDeleteShrinks() {
    try (AppsSim s = cluster(2)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/k\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":2}");
      s.advanceUntil(() -> s.running("/k") == 2, Duration.ofSeconds(30));
      String victim = s.tasks("/k").keySet().iterator().next();
      assertThat(s.call("POST", "/v2/tasks/delete", "{\"ids\":[\"" + victim + "\"]}").status()).isEqualTo(200);
      s.advanceUntil(() -> s.running("/k") == 2 && !s.tasks("/k").containsKey(victim), Duration.ofSeconds(30));
      String another = s.tasks("/k").keySet().iterator().next();
      s.call("POST", "/v2/tasks/delete", Map.of("scale", List.of("true")), "{\"ids\":[\"" + another + "\"]}");
      s.advanceUntil(() -> s.tasks("/k").size() == 1, Duration.ofSeconds(30));
      assertThat(s.app("/k").get("instances").asInt()).isEqualTo(1);
      s.sim.advance(Duration.ofSeconds(5));
      assertThat(s.tasks("/k")).hasSize(1);
      assertThat(s.call("DELETE", "/v2/apps/k", "").status()).isEqualTo(200);
      s.advanceUntil(() -> s.call("GET", "/v2/apps/k", "").status() == 404, Duration.ofSeconds(30));
    }
  }

  @Test
  void agentsRunTheHealthChecksAndUnhealthyInstancesAreReplacedBeforeTheAgentKillsThem() {
    try (AppsSim s = cluster(2)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/h\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":2,"
          + "\"healthChecks\":[{\"protocol\":\"TCP\",\"portIndex\":0,\"delaySeconds\":5,\"intervalSeconds\":10,"
          + "\"timeoutSeconds\":5,\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":3}],"
          + "\"upgradeStrategy\":{\"minimumHealthCapacity\":1,\"maximumOverCapacity\":0.5}}");
      // no health report is injected: the agents probe (simulated containers pass by default)
      s.advanceUntil(() -> s.app("/h").get("tasksHealthy").asInt() == 2, Duration.ofSeconds(60));
      AppsScheduler sch = s.apps.scheduler();
      List<String> first = new ArrayList<>(s.tasks("/h").keySet());
      String sick = first.get(0);
      s.health(sick, false);
      long sickAt = s.sim.elapsed().toSeconds();
      // replace-before-kill: a replacement starts while the unhealthy instance still runs
      s.advanceUntil(() -> s.tasks("/h").size() == 3, Duration.ofSeconds(30));
      assertThat(s.tasks("/h")).containsEntry(sick, "TASK_RUNNING");
      assertThat(s.app("/h").get("tasksUnhealthy").asInt()).isEqualTo(1);
      // the agent kills it after 3 failures in a row (>= 20 s after the first failure)
      s.advanceUntil(() -> !s.tasks("/h").containsKey(sick), Duration.ofSeconds(60));
      assertThat(s.sim.elapsed().toSeconds() - sickAt).isGreaterThanOrEqualTo(20);
      s.advanceUntil(() -> s.app("/h").get("tasksHealthy").asInt() == 2 && s.tasks("/h").size() == 2,
          Duration.ofSeconds(60));
      assertThat(s.tasks("/h")).containsKey(first.get(1));
      assertThat(sch.apps.get("/h").lastTaskFailure).as("a health kill is KILLED: no backoff").isEmpty();

      // an instance that recovers before its kill counts again; its replacement is the surplus scaled down
      String flaky = first.get(1);
      s.health(flaky, false);
      s.advanceUntil(() -> s.tasks("/h").size() == 3, Duration.ofSeconds(30));
      s.health(flaky, true);
      s.advanceUntil(() -> s.tasks("/h").size() == 2 && s.app("/h").get("tasksHealthy").asInt() == 2,
          Duration.ofSeconds(60));
      assertThat(s.tasks("/h")).containsKey(flaky);

      // a rolling upgrade is gated on the new instances' first passing check (delaySeconds 40):
      // with minimumHealthCapacity 1 no old instance goes before a new one is healthy
      List<String> old = new ArrayList<>(s.tasks("/h").keySet());
      s.call("PUT", "/v2/apps/h", "{\"cmd\":\"sleep 2000\",\"healthChecks\":[{\"protocol\":\"TCP\",\"portIndex\":0,"
          + "\"delaySeconds\":40,\"intervalSeconds\":10,\"gracePeriodSeconds\":0}]}");
      s.advanceUntil(() -> s.tasks("/h").size() == 3, Duration.ofSeconds(30));
      s.sim.advance(Duration.ofSeconds(30));
      assertThat(s.tasks("/h").keySet()).containsAll(old);
      assertThat(s.json("GET", "/v2/deployments", "")).hasSize(1);
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(300));
      assertThat(s.tasks("/h").keySet()).hasSize(2).doesNotContainAnyElementsOf(old);
      assertThat(s.app("/h").get("tasksHealthy").asInt()).isEqualTo(2);
    }
  }

  @Test
  void readinessChecksGateDeploymentsUntilANewInstanceAnswersAReadyCode() {
    try (AppsSim s = cluster(2)) {
      String def = "\"cpus\":0.1,\"mem\":16,\"instances\":2,\"portDefinitions\":[{\"port\":0,\"name\":\"http-api\"}],"
          + "\"readinessChecks\":[{\"name\":\"ready\",\"path\":\"/ready\",\"portName\":\"http-api\","
          + "\"intervalSeconds\":5,\"timeoutSeconds\":2,\"httpStatusCodesForReady\":[200,204]}],"
          + "\"upgradeStrategy\":{\"minimumHealthCapacity\":1,\"maximumOverCapacity\":0.5}}";
      s.call("POST", "/v2/apps", "{\"id\":\"/r\",\"cmd\":\"sleep 1000\"," + def);
      s.advanceUntil(() -> s.running("/r") == 2, Duration.ofSeconds(30));
      s.sim.advance(Duration.ofSeconds(30));
      // running but not ready: the deployment waits, and says why
      assertThat(s.json("GET", "/v2/deployments", "")).hasSize(1);
      JsonNode results = s.app("/r").get("readinessCheckResults");
      assertThat(results).hasSize(2);
      results.forEach(r -> {
        assertThat(r.get("ready").asBoolean()).isFalse();
        assertThat(r.get("lastResponse").get("status").asInt()).isEqualTo(503);
      });
      readyAll(s, "/r", 204);
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(30));

      // a rolling upgrade: the new instance is running but not ready, so no old instance goes
      List<String> old = new ArrayList<>(s.tasks("/r").keySet());
      s.call("PUT", "/v2/apps/r", "{\"cmd\":\"sleep 2000\"," + def);
      s.advanceUntil(() -> s.running("/r") == 3, Duration.ofSeconds(30));
      s.sim.advance(Duration.ofSeconds(60));
      assertThat(s.tasks("/r").keySet()).containsAll(old).hasSize(3);
      assertThat(s.json("GET", "/v2/deployments", "")).hasSize(1);
      // ready: the upgrade proceeds one instance at a time (each new one must pass first)
      s.advanceUntil(() -> {
        readyAll(s, "/r", 200);
        return s.json("GET", "/v2/deployments", "").isEmpty();
      }, Duration.ofSeconds(120));
      assertThat(s.tasks("/r").keySet()).hasSize(2).doesNotContainAnyElementsOf(old);

      // self-healing outside a deployment is not gated (as in Marathon)
      s.readiness.clear();
      String victim = s.tasks("/r").keySet().iterator().next();
      s.finish(victim, 1);
      s.advanceUntil(() -> s.running("/r") == 2 && !s.tasks("/r").containsKey(victim), Duration.ofSeconds(30));
      assertThat(s.json("GET", "/v2/deployments", "")).isEmpty();
    }
  }

  /** Makes every current instance of an app answer its readiness probe with {@code code}. */
  static void readyAll(AppsSim s, String appId, int code) {
    s.json("GET", "/v2/apps" + appId + "/tasks", "").get("tasks").forEach(t ->
        s.readiness.put(t.get("host").asText() + ":" + t.get("ports").get(0).asInt(), code));
  }

  /** Injects a health report as an agent sends it (TASK_RUNNING with healthy set). */
  static void health(AppsSim s, String taskId, boolean healthy) {
    AppsScheduler sch = s.apps.scheduler();
    sch.loop().execute(() -> sch.update(sch.driver().orElseThrow(), new dev.agora.core.model.TaskStatus(
        dev.agora.core.model.TaskId.of(taskId), dev.agora.core.model.TaskState.RUNNING,
        java.util.Optional.of(dev.agora.core.model.TaskStatus.Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED),
        java.util.Optional.empty(), dev.agora.core.model.TaskStatus.Source.SOURCE_EXECUTOR, java.util.Optional.empty(),
        java.util.Optional.empty(), java.util.Optional.of(healthy), s.sim.instant())));
    s.sim.runUntilIdle();
  }

  @Test
  void deploymentRollbackAndForcedStop() {
    try (AppsSim s = cluster(1)) {
      s.call("POST", "/v2/apps", "{\"id\":\"/r\",\"cmd\":\"sleep 1000\",\"cpus\":0.5,\"mem\":16,\"instances\":2}");
      s.advanceUntil(() -> s.running("/r") == 2 && s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(30));
      List<String> v1 = new ArrayList<>(s.tasks("/r").keySet());
      // ask for more cpus than the agent has: the deployment cannot finish
      s.call("PUT", "/v2/apps/r", "{\"cpus\":3.5}");
      s.sim.advance(Duration.ofSeconds(5));
      JsonNode deps = s.json("GET", "/v2/deployments", "");
      assertThat(deps).hasSize(1);
      assertThat(deps.get(0).get("currentActions").get(0).get("action").asText()).isEqualTo("RestartApplication");
      AppsApi.Response rollback = s.call("DELETE", "/v2/deployments/" + deps.get(0).get("id").asText(), "");
      assertThat(rollback.status()).isEqualTo(200);
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(30));
      assertThat(s.app("/r").get("cpus").asDouble()).isEqualTo(0.5);
      assertThat(s.running("/r")).isEqualTo(2);
      assertThat(s.tasks("/r").keySet()).as("rollback keeps the instances of the previous config")
          .containsExactlyInAnyOrderElementsOf(v1);
      // forced stop: the deployment goes, the definition stays, nothing more is replaced
      s.call("PUT", "/v2/apps/r", "{\"cpus\":3.5}");
      s.sim.advance(Duration.ofSeconds(2));
      String id = s.json("GET", "/v2/deployments", "").get(0).get("id").asText();
      assertThat(s.call("DELETE", "/v2/deployments/" + id, java.util.Map.of("force", List.of("true")), "").status())
          .isEqualTo(202);
      assertThat(s.json("GET", "/v2/deployments", "")).isEmpty();
      assertThat(s.call("DELETE", "/v2/deployments/nope", "").status()).isEqualTo(404);
      assertThat(s.json("GET", "/v2/apps/r/versions", "").get("versions").size()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void aNewLeaderRestoresAppsFromTheStoreAndAdoptsRunningTasksWithoutKillingThem() {
    dev.agora.core.coordination.InMemoryStateStore store = new dev.agora.core.coordination.InMemoryStateStore();
    AppsSim s = new AppsSim(5, dir, store);
    s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "").start();
    try (s) {
      s.call("POST", "/v2/apps", "{\"id\":\"/keep\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":3}");
      s.advanceUntil(() -> s.running("/keep") == 3, Duration.ofSeconds(30));
      List<String> before = new ArrayList<>(s.tasks("/keep").keySet());
      s.apps.close();
      s.sim.advance(Duration.ofSeconds(5));
      AppsService next = AppsService.builder().transport(s.transport).master(s.master.address())
          .address(dev.agora.core.transport.Address.of("apps-2")).loop(s.sim.newLoop("apps-2"))
          .random(s.sim.random()).stateStore(store).build().start();
      try {
        s.sim.advance(Duration.ofSeconds(5));
        var f = next.api().handle("GET", "/v2/apps/keep/tasks", java.util.Map.of(), "");
        s.sim.advance(Duration.ofSeconds(10));
        JsonNode tasks = AppsSim.MAPPER.readTree(f.join().body()).get("tasks");
        List<String> after = tasks.findValuesAsText("id");
        assertThat(after).containsExactlyInAnyOrderElementsOf(before);
        assertThat(s.containers.get(0).running()).hasSize(3);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        next.close();
      }
    }
  }
}
