package dev.agora.examples.cluster;

import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * What a framework can check about the status updates it receives, whatever the network does:
 * a task's state never goes back (STAGING, STARTING, RUNNING, KILLING, then terminal, with
 * UNREACHABLE allowed to lead back to a live state), and once a task is terminal every later
 * update repeats that same terminal state (a duplicate). Violations are collected, not thrown,
 * so that a simulation reports all of them with the seed. A reconciliation answer of LOST (no uuid,
 * reason RECONCILIATION) for a task that already ended is how the master says "unknown" to a
 * framework that is not partition-aware (it forgets tasks once their terminal update is
 * acknowledged), not a new state, so it is not a violation; nor is UNKNOWN ever.
 *
 * <p>Concurrency: synchronized; schedulers call it from their loops, tests read it.
 */
public final class TaskStateChecker {
  private final Map<TaskId, TaskState> latest = new LinkedHashMap<>();
  private final Map<TaskId, TaskState> terminal = new LinkedHashMap<>();
  private final Set<UUID> uuids = new HashSet<>();
  private final List<String> violations = new ArrayList<>();
  private long received;

  private static int rank(TaskState s) {
    return switch (s) {
      case STAGING -> 0;
      case STARTING -> 1;
      case RUNNING, UNREACHABLE -> 2;
      case KILLING -> 3;
      default -> s.isTerminal() ? 4 : -1;
    };
  }

  /** Records one update as the framework received it. */
  public synchronized void observe(TaskStatus status) {
    received++;
    status.uuid().ifPresent(uuids::add);
    TaskId id = status.taskId();
    TaskState next = status.state();
    if (next == TaskState.UNKNOWN) {
      return; // an answer about the master's books, not a state of the task
    }
    TaskState end = terminal.get(id);
    if (end != null && next == TaskState.LOST && status.uuid().isEmpty()
        && status.reason().equals(Optional.of(TaskStatus.Reason.REASON_RECONCILIATION))) {
      return; // the master forgot the acknowledged task: "unknown", said the legacy way (LOST)
    }
    if (end != null) {
      if (next != end) {
        violations.add("task " + id + " was " + end + " then " + next + " (" + status + ")");
      }
      return;
    }
    TaskState before = latest.get(id);
    if (before != null && rank(next) < rank(before) && !(before == TaskState.UNREACHABLE)) {
      violations.add("task " + id + " went back from " + before + " to " + next + " (" + status + ")");
    }
    latest.put(id, next);
    if (next.isTerminal()) {
      terminal.put(id, next);
    }
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  synchronized Optional<TaskState> latest(TaskId id) {
    return Optional.ofNullable(latest.get(id));
  }

  public synchronized Map<TaskId, TaskState> latest() {
    return Map.copyOf(latest);
  }

  /** How many tasks reached a terminal state. */
  public synchronized int terminalCount() {
    return terminal.size();
  }

  /** How many updates arrived, duplicates included. */
  public synchronized long received() {
    return received;
  }

  /** How many distinct agent updates (by uuid) arrived. */
  synchronized int distinctUpdates() {
    return uuids.size();
  }
}
