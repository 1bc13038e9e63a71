package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At-least-once status updates under a hostile network, in virtual time: every update and every
 * acknowledgement on each hop (agent to master, master to framework, framework to master, master
 * to agent) is dropped with 30% probability, duplicated with 10%, and delayed at random. The
 * framework must still learn every task's final state, never see a state go back or a terminal
 * state followed by another, and the agents must end with nothing pending.
 */
class StatusUpdateFaultsTest {
  private static final long SEED = 20261124L;
  @TempDir Path work;

  private static MessageMatcher updatesAndAcks() {
    return MessageMatcher.ofType(AgentMessage.StatusUpdate.class)
        .or(MessageMatcher.ofType(SchedulerEvent.Update.class))
        .or(MessageMatcher.ofType(SchedulerCall.Acknowledge.class))
        .or(MessageMatcher.ofType(AgentMessage.StatusUpdateAcknowledgement.class));
  }

  @Test
  void tenThousandUpdatesReachTheFrameworkInOrderDespiteDropsDuplicatesAndDelays() {
    int tasks = 3_400; // STARTING, RUNNING and a terminal state each: 10,200 updates
    try (SimCluster cluster = new SimCluster(SEED, work)) {
      for (int i = 0; i < 4; i++) {
        cluster.addAgent("cpus:1000;mem:100000");
      }
      cluster.transport
          .add(updatesAndAcks(), Fault.DROP, 0.30, Duration.ZERO)
          .add(updatesAndAcks(), Fault.DUPLICATE, 0.10, Duration.ZERO)
          .add(updatesAndAcks(), Fault.JITTER, 0.5, Duration.ofSeconds(30));
      CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:10"));
      s.enqueue("t", tasks);
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("checker").user("nobody").build(), s);
      assertThat(cluster.sim.advanceUntil(() -> s.waiting() == 0, Duration.ofMinutes(5))).isTrue();
      cluster.sim.advance(Duration.ofSeconds(1));
      assertThat(cluster.containerizers.stream().mapToInt(c -> c.running().size()).sum()).isEqualTo(tasks);

      // A third finish, a third fail, a third are killed by the framework.
      Map<TaskId, TaskState> expected = new java.util.LinkedHashMap<>();
      List<TaskId> ids = new ArrayList<>(s.placed.keySet());
      for (int i = 0; i < ids.size(); i++) {
        TaskId id = ids.get(i);
        switch (i % 3) {
          case 0 -> {
            finish(cluster, id, 0);
            expected.put(id, TaskState.FINISHED);
          }
          case 1 -> {
            finish(cluster, id, 1);
            expected.put(id, TaskState.FAILED);
          }
          default -> {
            d.kill(id, java.util.Optional.empty(), java.util.Optional.empty());
            expected.put(id, TaskState.KILLED);
          }
        }
        if (i % 100 == 0) {
          cluster.sim.advance(Duration.ofMillis(200));
        }
      }
      boolean drained = false;
      for (int minute = 0; minute < 2 * 24 * 60 && !drained; minute++) {
        cluster.sim.advance(Duration.ofMinutes(1));
        drained = s.checker.terminalCount() == tasks && pending(cluster) == 0;
      }
      System.err.println("status updates drained after " + cluster.sim.elapsed() + " of virtual time, "
          + s.checker.received() + " updates received, " + s.checker.distinctUpdates() + " distinct");

      assertThat(s.checker.violations()).as("seed %s", SEED).isEmpty();
      assertThat(drained).as("all delivered and acknowledged within 2 virtual days (seed %s)", SEED).isTrue();
      assertThat(s.checker.latest()).isEqualTo(expected);
      assertThat(s.checker.distinctUpdates()).isGreaterThanOrEqualTo(10_000);
      assertThat(s.checker.received()).as("duplicates arrived too").isGreaterThan(s.checker.distinctUpdates());
      for (int i = 0; i < 4; i++) {
        assertThat(cluster.agentSnapshot(i).pendingStatusUpdates()).isZero();
        assertThat(cluster.agentSnapshot(i).tasks()).isEmpty();
      }
      assertThat(cluster.masterSnapshot().framework(s.frameworkId).orElseThrow().tasks())
          .as("every terminal update was acknowledged, so the master forgot the tasks").isEmpty();
      cluster.transport.heal();
    }
  }

  private static void finish(SimCluster cluster, TaskId id, int exit) {
    for (var c : cluster.containerizers) {
      if (c.finish(id, exit)) {
        return;
      }
    }
    throw new AssertionError("task " + id + " runs nowhere");
  }

  private static int pending(SimCluster cluster) {
    int n = 0;
    for (int i = 0; i < cluster.agents.size(); i++) {
      n += cluster.agentSnapshot(i).pendingStatusUpdates();
    }
    return n;
  }
}
