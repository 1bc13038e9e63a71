package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StatusUpdateManagerTest {
  private final Simulation sim = new Simulation(1);
  private final List<TaskStatus> sent = new ArrayList<>();
  private final List<List<TaskStatus>> changes = new ArrayList<>();
  private final StatusUpdateManager m = new StatusUpdateManager(sim.newLoop("agent"), Duration.ofSeconds(10),
      Duration.ofMinutes(10), (f, s) -> sent.add(s), (f, t, pending) -> changes.add(pending));
  private final FrameworkId fw = FrameworkId.of("fw");
  private final TaskId task = TaskId.of("t");
  private long next;

  private TaskStatus status(TaskState state) {
    return TaskStatus.of(task, state, TaskStatus.Source.SOURCE_AGENT, null, null, null, Simulation.EPOCH)
        .withUuid(new UUID(0, next++));
  }

  @Test
  void resendsTheHeadWithDoublingBackoffUntilAcknowledged() {
    m.resume();
    TaskStatus running = status(TaskState.RUNNING);
    m.add(fw, running);
    sim.advance(Duration.ofSeconds(9));
    assertThat(sent).hasSize(1);
    sim.advance(Duration.ofSeconds(2)); // 11 s: resent at 10 s
    assertThat(sent).hasSize(2);
    sim.advance(Duration.ofSeconds(19)); // 30 s: resent at 30 s (10 + 20)
    assertThat(sent).hasSize(3);
    assertThat(m.acknowledge(task, running.uuid().orElseThrow())).isTrue();
    sim.advance(Duration.ofHours(1));
    assertThat(sent).hasSize(3);
    assertThat(m.pendingCount()).isZero();
  }

  @Test
  void theBackoffDoublesUpToTenMinutesByTheClock() {
    m.resume();
    m.add(fw, status(TaskState.RUNNING));
    List<Duration> sentAt = new ArrayList<>();
    java.time.Instant start = sim.instant();
    int seen = 0;
    for (int second = 0; second <= 60 * 60; second++) {
      if (sent.size() > seen) {
        seen = sent.size();
        sentAt.add(Duration.between(start, sim.instant()));
      }
      sim.advance(Duration.ofSeconds(1));
    }
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < sentAt.size(); i++) {
      gaps.add(sentAt.get(i).minus(sentAt.get(i - 1)).toSeconds());
    }
    // 10, 20, 40, 80, 160, 320 s, then capped at 600 s.
    assertThat(gaps.subList(0, 8)).containsExactly(10L, 20L, 40L, 80L, 160L, 320L, 600L, 600L);
    assertThat(gaps).allSatisfy(g -> assertThat(g).isLessThanOrEqualTo(600L));
  }

  @Test
  void staleAndDuplicateAcknowledgementsChangeNothing() {
    m.resume();
    TaskStatus starting = status(TaskState.STARTING);
    TaskStatus running = status(TaskState.RUNNING);
    m.add(fw, starting);
    m.add(fw, running);
    assertThat(m.acknowledge(task, running.uuid().orElseThrow())).as("not the head").isFalse();
    assertThat(m.acknowledge(task, UUID.randomUUID())).isFalse();
    assertThat(m.pendingCount()).isEqualTo(2);
    assertThat(m.acknowledge(task, starting.uuid().orElseThrow())).isTrue();
    assertThat(m.acknowledge(task, starting.uuid().orElseThrow())).as("duplicate").isFalse();
    assertThat(sent).containsExactly(starting, running);
    assertThat(m.pending(task)).containsExactly(running);
  }

  @Test
  void nothingIsQueuedAfterATerminalUpdateNorAfterItIsAcknowledged() {
    m.resume();
    TaskStatus finished = status(TaskState.FINISHED);
    assertThat(m.add(fw, finished)).isTrue();
    assertThat(m.add(fw, status(TaskState.RUNNING))).isFalse();
    assertThat(m.add(fw, status(TaskState.FAILED))).isFalse();
    assertThat(m.add(fw, finished)).as("same uuid again").isFalse();
    assertThat(m.terminated(task)).isTrue();
    m.acknowledge(task, finished.uuid().orElseThrow());
    assertThat(m.add(fw, status(TaskState.RUNNING))).isFalse();
    assertThat(m.pendingCount()).isZero();
    assertThat(sent).containsExactly(finished);
    assertThat(changes).last().isEqualTo(List.of());
  }

  @Test
  void pausedManagerQueuesAndResumeSendsEveryHead() {
    TaskStatus a = status(TaskState.RUNNING);
    m.add(fw, a);
    sim.advance(Duration.ofMinutes(5));
    assertThat(sent).isEmpty();
    m.resume();
    assertThat(sent).containsExactly(a);
    m.pause();
    sim.advance(Duration.ofMinutes(5));
    assertThat(sent).containsExactly(a);
  }
}
