package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app-wide limit on health kills (Marathon's anti-snowball), in virtual time. */
class HealthKillLimitTest {
  @TempDir
  Path dir;

  private static final String APP = "{\"id\":\"/svc\",\"cmd\":\"sleep 1000\",\"cpus\":1,\"mem\":16,\"instances\":4,"
      + "\"healthChecks\":[{\"protocol\":\"TCP\",\"portIndex\":0,\"delaySeconds\":1,\"intervalSeconds\":10,"
      + "\"timeoutSeconds\":5,\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":3}],"
      + "\"upgradeStrategy\":{\"minimumHealthCapacity\":0.5,\"maximumOverCapacity\":0}}";

  @Test
  void unhealthyInstancesAreNotKilledWhileTooFewAreHealthyAndNeverMoreAtOnceThanTheStrategyAllows() {
    // room for exactly the app's 4 instances: no replacement can start before a kill frees an agent
    try (AppsSim s = new AppsSim(7, dir)) {
      for (int i = 0; i < 4; i++) {
        s.addAgent("cpus:1;mem:256;ports:[31000-31009]", "");
      }
      s.start();
      s.call("POST", "/v2/apps", APP);
      s.advanceUntil(() -> s.app("/svc").get("tasksHealthy").asInt() == 4, Duration.ofSeconds(60));
      AppsScheduler sch = s.apps.scheduler();
      AppsScheduler.AppState app = sch.apps.get("/svc");
      assertThat(HealthKills.minimumHealthy(app.def)).isEqualTo(2);
      assertThat(HealthKills.maximumAtOnce(app.def)).isEqualTo(2);
      // every sample: never more health kills in flight than allowed, and none while fewer than 2 are healthy
      AtomicInteger worstInFlight = new AtomicInteger();
      List<String> violations = new ArrayList<>();
      Map<String, Boolean> killedWhileLow = new java.util.concurrent.ConcurrentHashMap<>();
      sch.observers.add(x -> {
        AppsScheduler.AppState a = x.apps.get("/svc");
        if (a == null) {
          return;
        }
        int inFlight = 0;
        int healthy = 0;
        for (Instance i : a.instances.values()) {
          if (i.killing && i.healthKill) {
            inFlight++;
            if (!killedWhileLow.containsKey(i.taskId.value())) {
              killedWhileLow.put(i.taskId.value(), false);
            }
          }
          if (i.healthy(true)) {
            healthy++;
          }
        }
        worstInFlight.accumulateAndGet(inFlight, Math::max);
        if (inFlight > 2) {
          violations.add(inFlight + " health kills in flight at " + s.sim.elapsed());
        }
      });

      List<String> tasks = new ArrayList<>(s.tasks("/svc").keySet());
      for (int i = 0; i < 3; i++) {
        s.health(tasks.get(i), false);
      }
      // 3 of 4 unhealthy for far longer than 3 failed checks: only 1 is healthy (< 2), so none is
      // killed, neither by the apps service nor by the agents (they only report for this app)
      s.sim.advance(Duration.ofSeconds(120));
      assertThat(s.tasks("/svc").keySet()).containsExactlyInAnyOrderElementsOf(tasks);
      assertThat(s.app("/svc").get("tasksUnhealthy").asInt()).isEqualTo(3);
      assertThat(app.instances.values()).noneMatch(i -> i.killing);

      // one recovers: 2 healthy, so the 2 still failing may go (2 at once at most), and are replaced
      s.health(tasks.get(0), true);
      s.advanceUntil(() -> !s.tasks("/svc").containsKey(tasks.get(1)) && !s.tasks("/svc").containsKey(tasks.get(2)),
          Duration.ofSeconds(60));
      s.advanceUntil(() -> s.app("/svc").get("tasksHealthy").asInt() == 4 && s.tasks("/svc").size() == 4,
          Duration.ofSeconds(120));
      assertThat(s.tasks("/svc")).containsKeys(tasks.get(0), tasks.get(3));
      assertThat(violations).isEmpty();
      assertThat(worstInFlight.get()).isBetween(1, 2);
      assertThat(app.lastTaskFailure).as("a health kill is a kill: no backoff").isEmpty();
      s.checkInvariants();
    }
  }

  @Test
  void theAgentOnlyReportsWhenTheAppServiceDecidesAndStillKillsOtherwise() {
    AppDefinition limited = parse(APP);
    Instance inst = new Instance(dev.agora.core.model.TaskId.of("t"), "/svc", "v", dev.agora.core.model.AgentId.of("a"),
        "h", Map.of(), List.of(31000L), java.time.Instant.EPOCH, 0);
    assertThat(HealthKills.appDecides(limited)).isTrue();
    assertThat(AppTasks.taskInfo(AppTasks.template(limited), inst, dev.agora.core.model.Resources.parse("cpus:1"),
        false).healthCheck().orElseThrow().consecutiveFailures()).isZero();
    // minimumHealthCapacity 1 (Marathon's default): the agent kills after maxConsecutiveFailures, as in Mesos
    AppDefinition plain = parse(APP.replace("\"minimumHealthCapacity\":0.5", "\"minimumHealthCapacity\":1"));
    assertThat(HealthKills.appDecides(plain)).isFalse();
    assertThat(AppTasks.taskInfo(AppTasks.template(plain), inst, dev.agora.core.model.Resources.parse("cpus:1"),
        true).healthCheck().orElseThrow().consecutiveFailures()).isEqualTo(3);
    assertThat(HealthKills.failingNanos(limited)).isEqualTo(Duration.ofSeconds(20).toNanos());
  }

  private static AppDefinition parse(String json) {
    try {
      return AppParser.parse(AppJson.MAPPER.readTree(json), java.util.Optional.empty(), "2026-01-01T00:00:00Z").app()
          .orElseThrow();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }
}
