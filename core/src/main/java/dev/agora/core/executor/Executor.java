package dev.agora.core.executor;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.util.List;
import java.util.UUID;

/**
 * A framework's executor: the callbacks an {@link ExecutorDriver} makes as the agent's executor
 * API events arrive (Mesos v1 {@code executor::Event}). The executor runs the tasks it is given
 * however it likes and reports their states with {@link ExecutorDriver#sendStatusUpdate}.
 *
 * <p>Concurrency: the driver calls these one at a time, in the order the events came, on its own
 * thread; an implementation needs no locks for state it touches only here. Callbacks should return
 * quickly (run long work elsewhere): the next event waits. A callback that throws is logged and the
 * driver goes on.
 */
public interface Executor {
  /** The agent accepted the subscription. */
  default void subscribed(ExecutorDriver driver, ExecutorInfo executor, FrameworkId frameworkId, AgentId agentId) {}

  /** Run a task; report TASK_RUNNING and, later, a terminal state. */
  void launch(ExecutorDriver driver, TaskInfo task);

  /** Run a task group, all together. The default launches each task. */
  default void launchGroup(ExecutorDriver driver, List<TaskInfo> tasks) {
    tasks.forEach(t -> launch(driver, t));
  }

  /** Kill a task and report its terminal state (TASK_KILLED). */
  void kill(ExecutorDriver driver, TaskId taskId);

  /** The scheduler acknowledged the update {@code uuid} of the task. */
  default void acknowledged(ExecutorDriver driver, TaskId taskId, UUID uuid) {}

  /** Data from the framework's scheduler ({@code data} is the callee's to keep). */
  default void frameworkMessage(ExecutorDriver driver, byte[] data) {}

  /** Kill every task and stop: the agent destroys the container after a grace period. */
  default void shutdown(ExecutorDriver driver) {}

  /** The agent refused the executor; the driver stops after this. */
  default void error(ExecutorDriver driver, String message) {}
}
