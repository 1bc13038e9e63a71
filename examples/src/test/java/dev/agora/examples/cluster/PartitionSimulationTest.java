package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network partitions between the master and an agent, in virtual time (master pings every 15 s, 5
 * misses): partition-aware frameworks see TASK_UNREACHABLE and then their tasks back, the others
 * TASK_LOST and their tasks killed when the agent returns; MARK_AGENT_GONE; unreachable GC.
 */
class PartitionSimulationTest {
  private static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(15 * 6 + 1); // 5 misses, the first up to a ping interval late
  @TempDir Path work;
  private SimCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static FrameworkInfo aware(String name) {
    return FrameworkInfo.builder(name).user("nobody").capability(Capability.PARTITION_AWARE).build();
  }

  private static FrameworkInfo plain(String name) {
    return FrameworkInfo.builder(name).user("nobody").build();
  }

  private CheckingScheduler start(FrameworkInfo info, int tasks) {
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
    s.enqueue(info.name(), tasks);
    cluster.subscribe(info, s);
    cluster.sim.advanceUntil(() -> s.waiting() == 0, Duration.ofMinutes(1));
    cluster.sim.advance(Duration.ofSeconds(1));
    return s;
  }

  private void partition(int agent) {
    cluster.transport.add(MessageMatcher.between(Address.of("master"), Address.of("agent-" + agent)),
        Fault.DROP, 1.0, Duration.ZERO);
  }

  private AgentId agentId(int i) {
    return cluster.agentSnapshot(i).agentId().orElseThrow();
  }

  @Test
  void partitionAwareTasksBecomeUnreachableAndRunAgainWhenTheAgentReturns() {
    cluster = new SimCluster(11, work);
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = start(aware("aware"), 2);
    AgentId agent = agentId(0);
    TaskId t0 = TaskId.of("aware-0");
    assertThat(s.checker.latest(t0)).contains(TaskState.RUNNING);

    partition(0);
    cluster.sim.advance(Duration.ofSeconds(60));
    assertThat(s.checker.latest(t0)).contains(TaskState.RUNNING);
    cluster.sim.advance(UNREACHABLE_AFTER.minusSeconds(60));
    assertThat(s.checker.latest()).containsValues(TaskState.UNREACHABLE).doesNotContainValue(TaskState.RUNNING);
    assertThat(s.failures).containsExactly(agent);
    assertThat(await(cluster.master.unreachableAgents())).containsExactly(agent);

    // Reconciliation tells the truth while the agent is away: explicit and implicit.
    SchedulerDriver d = driverOf(s);
    TaskStatusCollector answers = new TaskStatusCollector(s);
    d.reconcile(List.of(new ReconcileTask(t0, Optional.empty()), new ReconcileTask(TaskId.of("nope"), Optional.empty())));
    cluster.sim.runUntilIdle();
    assertThat(answers.stateOf(t0)).isEqualTo(TaskState.UNREACHABLE);
    assertThat(answers.stateOf(TaskId.of("nope"))).isEqualTo(TaskState.UNKNOWN);

    cluster.transport.heal();
    cluster.sim.advance(Duration.ofMinutes(3));
    assertThat(s.checker.latest()).containsOnlyKeys(TaskId.of("aware-0"), TaskId.of("aware-1"))
        .allSatisfy((id, state) -> assertThat(state).isEqualTo(TaskState.RUNNING));
    assertThat(cluster.containerizers.get(0).running()).hasSize(2);
    assertThat(cluster.agentSnapshot(0).agentId()).contains(agent);
    assertThat(cluster.masterSnapshot().agents()).singleElement().satisfies(a -> {
      assertThat(a.id()).isEqualTo(agent);
      assertThat(a.activeTasks()).isEqualTo(2);
    });
    assertThat(await(cluster.master.unreachableAgents())).isEmpty();
    assertThat(s.checker.violations()).isEmpty();
  }

  @Test
  void otherFrameworksSeeLostAndTheirTasksAreKilledWhenTheAgentReturns() {
    cluster = new SimCluster(12, work);
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = start(plain("plain"), 3);
    partition(0);
    cluster.sim.advance(UNREACHABLE_AFTER.plusSeconds(1));
    assertThat(s.checker.latest()).hasSize(3).allSatisfy((id, state) -> assertThat(state).isEqualTo(TaskState.LOST));
    long before = s.checker.received();

    cluster.transport.heal();
    cluster.sim.advance(Duration.ofMinutes(3));
    assertThat(cluster.containerizers.get(0).running()).as("killed on return").isEmpty();
    assertThat(cluster.agentSnapshot(0).tasks()).isEmpty();
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).as("the master acknowledged the kills").isZero();
    assertThat(s.checker.received()).as("the framework hears nothing after LOST").isEqualTo(before);
    assertThat(cluster.masterSnapshot().agents()).singleElement()
        .satisfies(a -> assertThat(a.activeTasks()).isZero());
    assertThat(s.checker.violations()).isEmpty();
  }

  /**
   * Regression (found by FaultSimulationPropertiesTest): the master swallowed the TASK_KILLED of a
   * task it killed on the agent's return, but its acknowledgement was lost, so the agent resent the
   * update after the master had forgotten the kill, and the master forwarded it: LOST then KILLED.
   */
  @Test
  void aResentKilledUpdateOfATaskReportedLostNeverReachesTheFramework() {
    cluster = new SimCluster(13, work);
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = start(plain("plain"), 2);
    partition(0);
    cluster.sim.advance(UNREACHABLE_AFTER.plusSeconds(1));
    assertThat(s.checker.latest()).hasSize(2).allSatisfy((id, state) -> assertThat(state).isEqualTo(TaskState.LOST));
    long before = s.checker.received();

    cluster.transport.heal();
    cluster.transport.dropNext(MessageMatcher.ofType(dev.agora.core.protocol.AgentMessage.StatusUpdateAcknowledgement.class), 2);
    cluster.sim.advance(Duration.ofMinutes(10));
    assertThat(cluster.containerizers.get(0).running()).as("killed on return").isEmpty();
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).as("the resent updates were acknowledged").isZero();
    assertThat(s.checker.received()).as("the framework hears nothing after LOST").isEqualTo(before);
    assertThat(s.checker.violations()).isEmpty();
  }

  @Test
  void anAgentMarkedGoneEndsItsTasksGoneByOperatorAndIsShutDownWhenItReturns() {
    cluster = new SimCluster(13, work);
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = start(aware("aware"), 2);
    AgentId agent = agentId(0);
    partition(0);
    cluster.sim.advance(UNREACHABLE_AFTER.plusSeconds(1));
    assertThat(await(cluster.master.markAgentGone(agent))).isTrue();
    cluster.sim.runUntilIdle();
    assertThat(s.checker.latest()).hasSize(2)
        .allSatisfy((id, state) -> assertThat(state).isEqualTo(TaskState.GONE_BY_OPERATOR));
    assertThat(await(cluster.master.markAgentGone(agent))).as("already gone").isFalse();

    cluster.transport.heal();
    cluster.sim.advance(Duration.ofMinutes(3));
    assertThat(cluster.containerizers.get(0).running()).as("the returning agent was shut down").isEmpty();
    assertThat(cluster.masterSnapshot().agents()).isEmpty();
    assertThat(s.checker.violations()).isEmpty();
  }

  @Test
  void markingARegisteredAgentGoneShutsItDown() {
    cluster = new SimCluster(14, work);
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = start(plain("plain"), 1);
    assertThat(await(cluster.master.markAgentGone(agentId(0)))).isTrue();
    cluster.sim.runUntilIdle();
    assertThat(s.checker.latest(TaskId.of("plain-0"))).contains(TaskState.LOST);
    assertThat(cluster.containerizers.get(0).running()).isEmpty();
    assertThat(cluster.masterSnapshot().agents()).isEmpty();
    assertThat(await(cluster.master.markAgentGone(AgentId.of("never-seen")))).isFalse();
  }

  @Test
  void unreachableAgentsAreCollectedByCountAndAge() {
    cluster = new SimCluster(15, work, Master.builder().unreachableAgentRetention(Duration.ofHours(1), 2));
    for (int i = 0; i < 3; i++) {
      cluster.addAgent("cpus:1;mem:128");
    }
    AgentId a0 = agentId(0);
    AgentId a1 = agentId(1);
    AgentId a2 = agentId(2);
    partition(0);
    cluster.sim.advance(Duration.ofMinutes(10));
    partition(1);
    cluster.sim.advance(Duration.ofMinutes(10));
    assertThat(await(cluster.master.unreachableAgents())).containsExactly(a0, a1);
    partition(2);
    cluster.sim.advance(Duration.ofMinutes(2));
    assertThat(await(cluster.master.unreachableAgents())).as("count 2: the oldest goes").containsExactly(a1, a2);
    cluster.sim.advance(Duration.ofMinutes(50));
    assertThat(await(cluster.master.unreachableAgents())).as("a1 is older than an hour").containsExactly(a2);
    cluster.sim.advance(Duration.ofMinutes(15));
    assertThat(await(cluster.master.unreachableAgents())).isEmpty();
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> f) {
    return cluster.await(f);
  }

  private SchedulerDriver driverOf(CheckingScheduler s) {
    return s.driver;
  }

  /** Reads the reconciliation answers the scheduler got after it was made. */
  private static final class TaskStatusCollector {
    private final CheckingScheduler s;
    private final int from;

    TaskStatusCollector(CheckingScheduler s) {
      this.s = s;
      this.from = s.all.size();
    }

    TaskState stateOf(TaskId id) {
      TaskStatus last = null;
      for (TaskStatus u : s.all.subList(from, s.all.size())) {
        if (u.taskId().equals(id)) {
          last = u;
        }
      }
      if (last == null) {
        throw new AssertionError("no answer for " + id);
      }
      return last.state();
    }
  }
}
