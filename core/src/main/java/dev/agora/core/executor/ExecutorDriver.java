package dev.agora.core.executor;

import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;

/**
 * An executor's connection to its agent: it subscribes, delivers events to an {@link Executor} and
 * makes the executor's calls (Mesos v1 {@code executor::Call}).
 *
 * <p>Concurrency: thread-safe; calls may be made from callbacks or any other thread. Calls are sent
 * at once and in order per calling thread; a call the agent refuses is logged.
 */
public interface ExecutorDriver {
  /** The framework this executor belongs to. */
  FrameworkId frameworkId();

  /** This executor's id. */
  ExecutorId executorId();

  /**
   * Reports a task's status. A status without uuid gets a random one; the source becomes
   * SOURCE_EXECUTOR. The agent delivers it reliably and answers with ACKNOWLEDGED once the
   * scheduler has acknowledged it.
   */
  void sendStatusUpdate(TaskStatus status);

  /** Reports a task's new state with an optional message (null for none). */
  void sendStatusUpdate(TaskId taskId, TaskState state, String message);

  /** Sends {@code data} to the framework's scheduler (a MESSAGE event there). */
  void sendFrameworkMessage(byte[] data);

  /** Stops the driver: the event stream closes and {@code run} returns. Idempotent. */
  void stop();
}
