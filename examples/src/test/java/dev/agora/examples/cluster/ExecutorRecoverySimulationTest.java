package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executor tasks across an agent restart on the same work dir (a crash: the agent's loop stops
 * dead, its containers run on): a checkpointing framework's executor is taken back with its tasks
 * and subscribes again; one that died while the agent was down has its tasks reported FAILED; a
 * non-checkpointing framework's executor is killed and its tasks end up LOST.
 */
class ExecutorRecoverySimulationTest {
  @TempDir Path work;

  private static final ExecutorInfo EXECUTOR = new ExecutorInfo(ExecutorId.of("exec"), "exec",
      CommandInfo.shell("executor"), Resources.parse("cpus:0.5;mem:32"));

  private record Setup(SimCluster cluster, SimExecutors executors, RecordingScheduler scheduler,
      SchedulerDriver driver) {}

  private Setup start(long seed, boolean checkpoint) {
    SimCluster cluster = new SimCluster(seed, work);
    SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
    cluster.containerizerWrapper = executors::wrap;
    cluster.addAgent("cpus:4;mem:1024");
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").checkpoint(checkpoint)
        .failoverTimeout(Duration.ofHours(1)).build(), s);
    Offer offer = s.lastOffer();
    List<TaskInfo> tasks = List.of(
        TaskInfo.of(TaskId.of("t1"), offer.agentId(), Resources.parse("cpus:1;mem:64"), CommandInfo.shell("x")),
        TaskInfo.of(TaskId.of("t2"), offer.agentId(), Resources.parse("cpus:1;mem:64"), CommandInfo.shell("x")));
    d.accept(List.of(offer.id()), List.of(new Operation.LaunchGroup(EXECUTOR, tasks)), Filters.NONE);
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(s.states(TaskId.of("t1"))).containsExactly(TaskState.RUNNING);
    assertThat(s.states(TaskId.of("t2"))).containsExactly(TaskState.RUNNING);
    return new Setup(cluster, executors, s, d);
  }

  @Test
  void aRestartedAgentTakesBackACheckpointedExecutorAndItsTasks() {
    Setup x = start(11, true);
    try (SimCluster cluster = x.cluster()) {
      SimExecutors.SimExecutor executor = x.executors().live().get(0);
      cluster.crashAgent(0);
      cluster.sim.advance(Duration.ofSeconds(1));
      cluster.restartAgent(0, b -> b);
      executor.resubscribe(Address.of(cluster.agentAddress(0)));
      cluster.sim.advance(Duration.ofSeconds(30));

      assertThat(x.executors().live()).as("the same executor, not a new one").containsExactly(executor);
      assertThat(cluster.agentSnapshot(0).tasks()).extracting(t -> t.state())
          .containsExactly(TaskState.RUNNING, TaskState.RUNNING);
      assertThat(x.scheduler().states(TaskId.of("t1"))).as("no LOST, no FAILED").containsExactly(TaskState.RUNNING);

      executor.update(TaskId.of("t1"), TaskState.FINISHED);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(x.scheduler().states(TaskId.of("t1"))).containsExactly(TaskState.RUNNING, TaskState.FINISHED);
      assertThat(cluster.masterSnapshot().framework(x.driver().frameworkId().orElseThrow()).orElseThrow().tasks())
          .extracting(t -> t.id().value()).containsExactly("t2");
    }
  }

  @Test
  void anUpdateSentWhileTheAgentWasDownArrivesWithTheResubscription() {
    Setup x = start(14, true);
    try (SimCluster cluster = x.cluster()) {
      SimExecutors.SimExecutor executor = x.executors().live().get(0);
      cluster.crashAgent(0);
      executor.update(TaskId.of("t1"), TaskState.FINISHED); // lost: the agent is down
      cluster.sim.advance(Duration.ofSeconds(1));
      cluster.restartAgent(0, b -> b);
      TaskStatus missed = executor.sent.get(executor.sent.size() - 1);
      TaskStatus running = executor.sent.get(0); // acknowledged long ago
      executor.resubscribe(Address.of(cluster.agentAddress(0)), List.of(running, missed));
      cluster.sim.advance(Duration.ofSeconds(30));

      assertThat(x.scheduler().states(TaskId.of("t1"))).containsExactly(TaskState.RUNNING, TaskState.FINISHED);
      List<java.util.UUID> acks = executor.events.stream()
          .filter(e -> e instanceof dev.agora.core.protocol.ExecutorEvent.Acknowledged)
          .map(e -> ((dev.agora.core.protocol.ExecutorEvent.Acknowledged) e).uuid()).toList();
      assertThat(acks).as("the missed update is acknowledged once it is").contains(missed.uuid().orElseThrow());
      assertThat(acks).as("the old one again, so that the executor can forget it")
          .filteredOn(u -> u.equals(running.uuid().orElseThrow())).hasSize(2);
    }
  }

  @Test
  void anExecutorThatDiedWhileTheAgentWasDownHasItsTasksFailed() {
    Setup x = start(12, true);
    try (SimCluster cluster = x.cluster()) {
      SimExecutors.SimExecutor executor = x.executors().live().get(0);
      cluster.crashAgent(0);
      x.executors().exit(executor, 1);
      cluster.restartAgent(0, b -> b);
      cluster.sim.advance(Duration.ofSeconds(30));

      for (String id : List.of("t1", "t2")) {
        TaskStatus last = x.scheduler().latest(TaskId.of(id)).orElseThrow();
        assertThat(last.state()).as(id).isEqualTo(TaskState.FAILED);
        assertThat(last.reason()).contains(TaskStatus.Reason.REASON_EXECUTOR_TERMINATED);
      }
      assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).as("all acknowledged").isZero();
      assertThat(work.resolve("agent-0/meta/executors/" + x.driver().frameworkId().orElseThrow().value()
          + "/exec.json")).as("checkpoint removed once all is acknowledged").doesNotExist();
    }
  }

  @Test
  void aNonCheckpointingFrameworksExecutorIsKilledOnRecovery() {
    Setup x = start(13, false);
    try (SimCluster cluster = x.cluster()) {
      cluster.crashAgent(0);
      cluster.restartAgent(0, b -> b);
      cluster.sim.advance(Duration.ofSeconds(30));

      assertThat(x.executors().live()).as("the executor's container was destroyed").isEmpty();
      for (String id : List.of("t1", "t2")) {
        assertThat(x.scheduler().latest(TaskId.of(id)).orElseThrow().state()).as(id).isEqualTo(TaskState.LOST);
      }
    }
  }
}
