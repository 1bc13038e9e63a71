package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.master.Master;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A framework's view of a task is absorbing even when the network reorders an agent's messages:
 * in virtual time, an agent's re-registration is overtaken by its later messages (a stale
 * ReregisterAgent, as a timed-out POST handled late used to be over HTTP), so the master declares
 * a task that started since then TASK_GONE; the task's later TASK_FINISHED (or any other update)
 * must not reach the framework, must be acknowledged so that the agent drains, and a task still
 * running must be killed. Regression: the 30-minute fault soak saw GONE then FINISHED.
 */
class AbsorbingTerminalStatesTest {
  @TempDir Path work;

  /** Matches one message: the first ReregisterAgent sent (for every rule that asks). */
  private static MessageMatcher firstReregistration(AtomicReference<Message> first) {
    return (from, to, m) -> {
      if (m instanceof AgentMessage.ReregisterAgent) {
        first.compareAndSet(null, m);
        return first.get() == m;
      }
      return false;
    };
  }

  private static SimCluster cluster(Path work) {
    // Pings every second; the master gives an agent 1,000 misses, the agent its master only 5, so
    // that dropped pings make the agent re-register while the master still counts it registered.
    return new SimCluster(7, work, Master.builder().agentPingInterval(Duration.ofSeconds(1)).maxAgentPingMisses(1000));
  }

  /**
   * Runs the scenario up to the stale re-registration's arrival: task {@code old-0} runs from
   * before it, {@code new-0} started after it.
   */
  private static CheckingScheduler staleReregistration(SimCluster cluster, FrameworkInfo info, boolean dropKills) {
    cluster.addAgent("cpus:4;mem:1024");
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
    s.enqueue("old", 1);
    cluster.subscribe(info, s);
    TaskId old = TaskId.of("old-0");
    assertThat(cluster.sim.advanceUntil(() -> s.checker.latest(old).equals(Optional.of(TaskState.RUNNING)),
        Duration.ofSeconds(30))).isTrue();

    AtomicReference<Message> first = new AtomicReference<>();
    cluster.transport.add(MessageMatcher.ofType(AgentMessage.Ping.class), Fault.DROP, 1.0, Duration.ZERO)
        .add(firstReregistration(first), Fault.DELAY, 1.0, Duration.ofSeconds(60))
        .add(firstReregistration(first), Fault.REORDER, 1.0, Duration.ZERO);
    assertThat(cluster.sim.advanceUntil(() -> first.get() != null, Duration.ofSeconds(30)))
        .as("the agent missed its pings and re-registers").isTrue();
    cluster.transport.heal(); // pings flow again; the first ReregisterAgent is on its (long) way
    if (dropKills) {
      // The kill the master sends races the task's own end: the end is swallowed all the same.
      cluster.transport.add(MessageMatcher.ofType(AgentMessage.KillTask.class), Fault.DROP, 1.0, Duration.ZERO);
    }

    s.enqueue("new", 1);
    TaskId fresh = TaskId.of("new-0");
    assertThat(cluster.sim.advanceUntil(() -> s.checker.latest(fresh).equals(Optional.of(TaskState.RUNNING)),
        Duration.ofSeconds(40))).as("the agent registered again and runs a new task").isTrue();
    assertThat(cluster.sim.advanceUntil(() -> s.checker.latest(fresh).equals(Optional.of(TaskState.GONE)),
        Duration.ofSeconds(60))).as("the stale ReregisterAgent arrives without the new task").isTrue();
    return s;
  }

  @Test
  void anUpdateAfterTheMasterDeclaredATaskGoneNeverReachesTheFramework() {
    try (SimCluster cluster = cluster(work)) {
      CheckingScheduler s = staleReregistration(cluster,
          FrameworkInfo.builder("aware").user("nobody").capability(FrameworkInfo.Capability.PARTITION_AWARE).build(), false);
      TaskId fresh = TaskId.of("new-0");
      int seen = s.all.size();

      cluster.sim.advance(Duration.ofSeconds(10));
      assertThat(cluster.containerizers.get(0).running()).as("the task declared GONE was killed on the agent")
          .doesNotContain(fresh).contains(TaskId.of("old-0"));
      assertThat(cluster.sim.advanceUntil(() -> cluster.agentSnapshot(0).pendingStatusUpdates() == 0,
          Duration.ofMinutes(5))).as("its updates were acknowledged for the framework").isTrue();
      assertThat(s.all.subList(seen, s.all.size())).as("nothing more about %s", fresh)
          .noneMatch(st -> st.taskId().equals(fresh));
      assertThat(s.checker.latest(fresh)).contains(TaskState.GONE);
      assertThat(s.checker.latest(TaskId.of("old-0"))).contains(TaskState.RUNNING);

      // Reconciliation repeats the end it told.
      s.driver.reconcile(java.util.List.of(new dev.agora.core.protocol.SchedulerCall.ReconcileTask(fresh,
          Optional.of(s.placed.get(fresh)))));
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(s.all.get(s.all.size() - 1).state()).isEqualTo(TaskState.GONE);
      assertThat(s.checker.violations()).isEmpty();
    }
  }

  @Test
  void aFinishedUpdateAfterGoneIsAcknowledgedNotForwarded() {
    try (SimCluster cluster = cluster(work)) {
      CheckingScheduler s = staleReregistration(cluster,
          FrameworkInfo.builder("aware").user("nobody").capability(FrameworkInfo.Capability.PARTITION_AWARE).build(), true);
      TaskId fresh = TaskId.of("new-0");
      assertThat(cluster.containerizers.get(0).finish(fresh, 0)).isTrue();
      assertThat(cluster.sim.advanceUntil(() -> cluster.agentSnapshot(0).pendingStatusUpdates() == 0,
          Duration.ofMinutes(5))).as("the FINISHED update was acknowledged for the framework").isTrue();
      assertThat(s.checker.violations()).as("GONE then FINISHED").isEmpty();
      assertThat(s.checker.latest(fresh)).contains(TaskState.GONE);
    }
  }
}
