package dev.agora.core.master;

import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The terminal states this master decided for tasks and told their frameworks without the agent's
 * word: GONE or LOST for a task a re-registering agent did not report, a reconciliation answer for
 * a task unknown on its agent, LOST or UNREACHABLE's terminal successors when an agent is lost.
 * Such a task may still be running somewhere (its agent was slow, not gone), and the agent may
 * later report it. A framework's view of a task is absorbing: once told a terminal state it must
 * hear nothing else about the task. So the router consults this memory before forwarding an
 * agent's update, answering a reconciliation, or adopting a task a re-registering agent reports.
 *
 * <p>Bounded: at most {@link #MAX_REMEMBERED} tasks, oldest forgotten first (these are the rare
 * tasks whose end the master guessed, not every task). A task id launched again starts afresh.
 * Not durable: a new leader starts empty, which is why a new leader answers nothing for tasks of
 * agents that may still re-register (see {@link RegistryRecovery}).
 *
 * <p>Concurrency: confined to the master's loop.
 */
final class ReportedEnds {
  /** How many master-decided ends are remembered. */
  static final int MAX_REMEMBERED = 100_000;

  private final Map<TaskKey, TaskState> ends = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<TaskKey, TaskState> eldest) {
      return size() > MAX_REMEMBERED;
    }
  };

  /**
   * Remembers that the framework was told the task ended in {@code state}, unless it had been told
   * another end before (the first one stands).
   *
   * @throws IllegalArgumentException if {@code state} is not terminal
   */
  void reported(FrameworkId frameworkId, TaskId taskId, TaskState state) {
    if (!state.isTerminal()) {
      throw new IllegalArgumentException("only terminal states are remembered, not " + state);
    }
    ends.putIfAbsent(new TaskKey(frameworkId, taskId), state);
  }

  /** The end the framework was told by this master, if any. */
  Optional<TaskState> end(FrameworkId frameworkId, TaskId taskId) {
    return Optional.ofNullable(ends.get(new TaskKey(frameworkId, taskId)));
  }

  /** The framework launches a task with this id: a new task, whatever an old one was. */
  void launched(FrameworkId frameworkId, TaskId taskId) {
    ends.remove(new TaskKey(frameworkId, taskId));
  }

  /** The framework is removed: forgets what it was told. */
  void frameworkRemoved(FrameworkId frameworkId) {
    ends.keySet().removeIf(k -> k.frameworkId().equals(frameworkId));
  }

  int size() {
    return ends.size();
  }
}
