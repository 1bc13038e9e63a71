package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent's health checks in virtual time: Mesos' timing, grace, reports on change, kills and their rate limit. */
class TaskHealthChecksTest {
  private final Simulation sim = new Simulation(1);
  private final EventLoop loop = sim.newLoop("agent");
  private final SimulatedContainerizer containers = new SimulatedContainerizer();
  private final List<String> events = new ArrayList<>();

  private final TaskHealthChecks.Listener listener = new TaskHealthChecks.Listener() {
    @Override
    public void healthChanged(TaskId taskId, boolean healthy, String message) {
      events.add(sim.elapsed().toSeconds() + "s " + taskId.value() + (healthy ? " healthy" : " unhealthy"));
    }

    @Override
    public void kill(TaskId taskId, String message) {
      events.add(sim.elapsed().toSeconds() + "s " + taskId.value() + " kill");
      containers.finish(taskId, 137);
    }
  };

  private ContainerConfig launch(String id) {
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("a"), Resources.parse("cpus:1"),
        CommandInfo.shell("sleep 1000"));
    ContainerConfig config = new ContainerConfig(new ContainerId(id + ".c"), task, Path.of("/tmp"), Map.of(),
        Optional.empty());
    containers.launch(config);
    return config;
  }

  private static HealthCheck check(int failures) {
    // delay 5 s, interval 10 s, timeout 2 s, grace 30 s
    return HealthCheck.tcp(8080).withTiming(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(2),
        failures, Duration.ofSeconds(30));
  }

  @Test
  void firstProbeAfterTheDelayReportsHealthyOnceThenOnlyChanges() {
    TaskHealthChecks checks = new TaskHealthChecks(loop, containers, 10, Duration.ofMinutes(1), listener);
    ContainerConfig c = launch("t1");
    loop.execute(() -> checks.start(c.task().taskId(), c, check(3)));
    sim.advance(Duration.ofSeconds(60));
    assertThat(events).containsExactly("5s t1 healthy");
    containers.health(TaskId.of("t1"), Optional.of("down"));
    sim.advance(Duration.ofSeconds(20));
    containers.health(TaskId.of("t1"), Optional.empty());
    sim.advance(Duration.ofSeconds(20));
    // probes at 65 and 75 fail (2 < 3: no kill), 85 passes
    assertThat(events).containsExactly("5s t1 healthy", "65s t1 unhealthy", "85s t1 healthy");
  }

  @Test
  void failuresWithinTheGracePeriodBeforeTheFirstSuccessDoNotCount() {
    TaskHealthChecks checks = new TaskHealthChecks(loop, containers, 10, Duration.ofMinutes(1), listener);
    ContainerConfig c = launch("t1");
    containers.health(TaskId.of("t1"), Optional.of("starting"));
    loop.execute(() -> checks.start(c.task().taskId(), c, check(3)));
    sim.advance(Duration.ofSeconds(31));
    assertThat(events).isEmpty(); // probes at 5, 15, 25 s are inside the 30 s grace
    sim.advance(Duration.ofSeconds(30));
    // 35 s: first counted failure (reported); 45, 55 s: second and third: killed
    assertThat(events).containsExactly("35s t1 unhealthy", "55s t1 kill");
  }

  @Test
  void aProbeThatDoesNotAnswerTimesOutOnTheAgentsClock() {
    SimulatedContainerizer silent = new SimulatedContainerizer();
    TaskHealthChecks checks = new TaskHealthChecks(loop, new NeverAnswering(silent), 10, Duration.ofMinutes(1),
        listener);
    ContainerConfig c = launch("t1");
    loop.execute(() -> checks.start(c.task().taskId(), c, check(0).withTiming(Duration.ZERO, Duration.ofSeconds(10),
        Duration.ofSeconds(2), 0, Duration.ZERO)));
    sim.advance(Duration.ofSeconds(3));
    assertThat(events).containsExactly("2s t1 unhealthy");
    sim.advance(Duration.ofMinutes(5));
    assertThat(events).hasSize(1); // 0 consecutive failures: never killed
  }

  @Test
  void healthKillsAreRateLimitedAndADeferredKillWaitsForTheNextFailure() {
    TaskHealthChecks checks = new TaskHealthChecks(loop, containers, 2, Duration.ofMinutes(1), listener);
    for (int i = 0; i < 5; i++) {
      ContainerConfig c = launch("t" + i);
      containers.health(c.task().taskId(), Optional.of("down"));
      loop.execute(() -> checks.start(c.task().taskId(), c, check(1).withTiming(Duration.ZERO, Duration.ofSeconds(10),
          Duration.ofSeconds(2), 1, Duration.ZERO)));
    }
    sim.advance(Duration.ofSeconds(1));
    assertThat(events.stream().filter(e -> e.endsWith("kill"))).hasSize(2);
    sim.advance(Duration.ofSeconds(50));
    assertThat(events.stream().filter(e -> e.endsWith("kill"))).hasSize(2);
    containers.health(TaskId.of("t4"), Optional.empty()); // recovers before its kill is allowed
    sim.advance(Duration.ofSeconds(20));
    // the window opened at 60 s: two more of the three waiting are killed at their next failure (60 s)
    assertThat(events.stream().filter(e -> e.endsWith("kill"))).hasSize(4);
    assertThat(events).contains("60s t4 healthy").doesNotContain("t4 kill");
  }

  @Test
  void stoppingACheckDropsItsTimersAndLateResults() {
    TaskHealthChecks checks = new TaskHealthChecks(loop, containers, 10, Duration.ofMinutes(1), listener);
    ContainerConfig c = launch("t1");
    loop.execute(() -> checks.start(c.task().taskId(), c, check(3)));
    sim.advance(Duration.ofSeconds(1));
    loop.execute(() -> checks.stop(c.task().taskId()));
    sim.advance(Duration.ofMinutes(5));
    assertThat(events).isEmpty();
    assertThat(checks.size()).isZero();
  }

  /** A containerizer whose probes never answer. */
  private static final class NeverAnswering implements dev.agora.core.container.Containerizer {
    private final SimulatedContainerizer delegate;

    NeverAnswering(SimulatedContainerizer delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return "never";
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.agora.core.container.ContainerStatus> launch(ContainerConfig c) {
      return delegate.launch(c);
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.agora.core.container.ContainerTermination> termination(
        ContainerId id) {
      return delegate.termination(id);
    }

    @Override
    public java.util.concurrent.CompletionStage<Optional<dev.agora.core.container.ContainerTermination>> destroy(
        ContainerId id, Duration grace) {
      return delegate.destroy(id, grace);
    }

    @Override
    public java.util.concurrent.CompletableFuture<Optional<String>> probe(ContainerConfig config, HealthCheck check) {
      return new java.util.concurrent.CompletableFuture<>();
    }

    @Override
    public java.util.Set<ContainerId> containers() {
      return delegate.containers();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
