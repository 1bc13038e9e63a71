package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent crash and restart in virtual time: the agent's loop stops dead (no close), and a new agent
 * starts on the same work directory and the same simulated containers.
 */
class RecoverySimulationTest {
  @TempDir Path work;
  private SimCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private CheckingScheduler start(FrameworkInfo info, int tasks) {
    cluster = new SimCluster(21, work);
    cluster.addAgent("cpus:8;mem:4096");
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
    s.enqueue("t", tasks);
    cluster.subscribe(info, s);
    cluster.sim.advanceUntil(() -> s.waiting() == 0, Duration.ofMinutes(1));
    cluster.sim.advance(Duration.ofSeconds(1));
    return s;
  }

  @Test
  void checkpointedTasksSurviveARestartAndUnacknowledgedUpdatesAreResent() {
    CheckingScheduler s = start(FrameworkInfo.builder("cp").user("nobody").checkpoint(true).build(), 5);
    AgentId id = cluster.agentSnapshot(0).agentId().orElseThrow();
    // t-4's RUNNING update is not acknowledged before the crash; t-3 ends while the agent is down.
    cluster.transport.dropNext(MessageMatcher.ofType(AgentMessage.StatusUpdate.class,
        u -> u.status().taskId().equals(TaskId.of("t-0"))), 1);
    cluster.containerizers.get(0).finish(TaskId.of("t-0"), 0);
    cluster.sim.runUntilIdle();
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).isEqualTo(1);
    assertThat(s.checker.latest(TaskId.of("t-0"))).contains(TaskState.RUNNING);

    cluster.crashAgent(0);
    cluster.sim.advance(Duration.ofSeconds(5));
    cluster.containerizers.get(0).finish(TaskId.of("t-3"), 0);
    cluster.restartAgent(0, b -> b);
    cluster.sim.advance(Duration.ofSeconds(30));

    AgentSnapshot snap = cluster.agentSnapshot(0);
    assertThat(snap.agentId()).contains(id);
    assertThat(snap.registered()).isTrue();
    assertThat(snap.tasks()).extracting(AgentSnapshot.TaskView::taskId)
        .containsExactlyInAnyOrder(TaskId.of("t-1"), TaskId.of("t-2"), TaskId.of("t-4"));
    assertThat(snap.tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.RUNNING));
    assertThat(snap.pendingStatusUpdates()).isZero();
    assertThat(s.checker.latest(TaskId.of("t-0"))).as("the unacknowledged update was resent").contains(TaskState.FINISHED);
    TaskStatus died = s.all.stream().filter(u -> u.taskId().equals(TaskId.of("t-3"))).reduce((a, b) -> b).orElseThrow();
    assertThat(died.state()).isEqualTo(TaskState.FAILED);
    assertThat(died.message()).contains("Task ended while the agent was down");
    assertThat(s.all).extracting(TaskStatus::state).doesNotContain(TaskState.LOST);
    assertThat(cluster.containerizers.get(0).running()).hasSize(3);
    assertThat(cluster.masterSnapshot().agents()).singleElement().satisfies(a -> {
      assertThat(a.id()).isEqualTo(id);
      assertThat(a.activeTasks()).isEqualTo(3);
    });
    assertThat(s.checker.violations()).isEmpty();

    // The recovered tasks are fully managed: kill one, finish another.
    s.driver.kill(TaskId.of("t-1"), Optional.empty(), Optional.empty());
    cluster.containerizers.get(0).finish(TaskId.of("t-2"), 0);
    cluster.sim.advance(Duration.ofSeconds(10));
    assertThat(s.checker.latest(TaskId.of("t-1"))).contains(TaskState.KILLED);
    assertThat(s.checker.latest(TaskId.of("t-2"))).contains(TaskState.FINISHED);
    assertThat(checkpointFiles(work.resolve("agent-0"))).as("only t-4's record is left")
        .singleElement().asString().endsWith("t-4.json");
  }

  @Test
  void tasksOfFrameworksThatDoNotCheckpointAreKilledOnRecovery() {
    CheckingScheduler s = start(FrameworkInfo.builder("plain").user("nobody").build(), 4);
    AgentId id = cluster.agentSnapshot(0).agentId().orElseThrow();
    cluster.crashAgent(0);
    cluster.restartAgent(0, b -> b);
    cluster.sim.advance(Duration.ofSeconds(30));
    assertThat(cluster.containerizers.get(0).running()).isEmpty();
    assertThat(s.checker.latest()).hasSize(4).allSatisfy((t, state) -> assertThat(state).isEqualTo(TaskState.FAILED));
    assertThat(s.all).filteredOn(u -> u.state() == TaskState.FAILED)
        .allSatisfy(u -> assertThat(u.reason()).contains(TaskStatus.Reason.REASON_AGENT_RESTARTED));
    assertThat(cluster.agentSnapshot(0).agentId()).contains(id);
    assertThat(cluster.agentSnapshot(0).tasks()).isEmpty();
    assertThat(checkpointFiles(work.resolve("agent-0"))).isEmpty();
  }

  @Test
  void reconciliationDuringRecoveryAnswersEveryTask() {
    CheckingScheduler s = start(FrameworkInfo.builder("aware").user("nobody").checkpoint(true)
        .capability(Capability.PARTITION_AWARE).build(), 2);
    cluster.crashAgent(0);
    s.driver.reconcile(List.of(new ReconcileTask(TaskId.of("t-0"), Optional.empty()),
        new ReconcileTask(TaskId.of("t-1"), Optional.empty()), new ReconcileTask(TaskId.of("ghost"), Optional.empty())));
    cluster.sim.runUntilIdle();
    int from = s.all.size() - 3;
    assertThat(s.all.subList(from, s.all.size())).extracting(u -> u.taskId().value() + "=" + u.state())
        .containsExactlyInAnyOrder("t-0=RUNNING", "t-1=RUNNING", "ghost=UNKNOWN");
    cluster.restartAgent(0, b -> b);
    cluster.sim.advance(Duration.ofSeconds(30));
    s.driver.reconcile(List.of());
    cluster.sim.runUntilIdle();
    assertThat(s.checker.latest()).containsOnlyKeys(TaskId.of("t-0"), TaskId.of("t-1"))
        .allSatisfy((t, state) -> assertThat(state).isEqualTo(TaskState.RUNNING));
  }

  @Test
  void aCorruptCheckpointStopsAStrictAgentAndANonStrictOneRecoversTheRest() throws Exception {
    CheckingScheduler s = start(FrameworkInfo.builder("cp").user("nobody").checkpoint(true).build(), 3);
    // The records are in the journal until a recovery folds them into one file per task: restart once.
    cluster.crashAgent(0);
    cluster.restartAgent(0, b -> b);
    cluster.sim.advance(Duration.ofSeconds(5));
    cluster.crashAgent(0);
    assertThat(work.resolve("agent-0").resolve("meta").resolve("tasks.journal")).doesNotExist();
    List<Path> files = checkpointFiles(work.resolve("agent-0"));
    assertThat(files).hasSize(3);
    Path broken = files.get(1);
    byte[] bytes = Files.readAllBytes(broken);
    Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated

    assertThatThrownBy(() -> cluster.restartAgent(0, b -> b)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(broken.toString());
    cluster.restartAgent(0, b -> b.strictRecovery(false));
    cluster.sim.advance(Duration.ofSeconds(30));
    assertThat(cluster.agentSnapshot(0).tasks()).hasSize(2);
    assertThat(Files.exists(broken.resolveSibling(broken.getFileName() + ".corrupt"))).isTrue();
    assertThat(s.checker.violations()).isEmpty();
  }

  /**
   * The task records a restarted agent would find: the task files ({@code meta/tasks/<fw>/<task>.json})
   * with the entries of the journal ({@code meta/tasks.journal}, not yet folded into them) applied.
   */
  private static List<Path> checkpointFiles(Path agentWork) {
    Path dir = agentWork.resolve("meta").resolve("tasks");
    java.util.TreeSet<Path> records = new java.util.TreeSet<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(p -> p.toString().endsWith(".json")).forEach(records::add);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    Path journal = agentWork.resolve("meta").resolve("tasks.journal");
    if (Files.exists(journal)) {
      try {
        String text = Files.readString(journal);
        int nul = text.indexOf('\0'); // preallocated: the entries end at the first NUL
        for (String line : (nul < 0 ? text : text.substring(0, nul)).lines().toList()) {
          com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
          String task = n.has("removed") ? n.get("taskId").asText() : n.get("task").get("taskId").asText();
          Path file = dir.resolve(n.get("frameworkId").asText()).resolve(task + ".json");
          if (n.has("removed")) {
            records.remove(file);
          } else {
            records.add(file);
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return List.copyOf(records);
  }
}
