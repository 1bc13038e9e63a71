package dev.agora.core.protocol;

import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskStatus;
import java.util.Base64;

/**
 * Calls an executor makes to its agent (Mesos v1 {@code executor::Call}). Every call names the
 * framework and executor it is from.
 */
public sealed interface ExecutorCall extends Message {

  /** The framework of the executor. */
  FrameworkId frameworkId();

  /** The executor making the call. */
  ExecutorId executorId();

  /**
   * Opens the executor's event stream (answered by {@link ExecutorEvent.Subscribed}). An executor
   * subscribing again (its agent restarted, or the connection broke) lists, as in Mesos, the tasks
   * it received whose updates the agent has not acknowledged yet and the updates it sent that were
   * not acknowledged: the agent takes in those it missed.
   *
   * @param unacknowledgedTasks tasks received but with no update acknowledged yet
   * @param unacknowledgedUpdates updates sent but not acknowledged, oldest first; each has a uuid
   */
  record Subscribe(FrameworkId frameworkId, ExecutorId executorId, java.util.List<dev.agora.core.model.TaskInfo>
      unacknowledgedTasks, java.util.List<TaskStatus> unacknowledgedUpdates) implements ExecutorCall {
    public Subscribe {
      unacknowledgedTasks = java.util.List.copyOf(unacknowledgedTasks);
      unacknowledgedUpdates = java.util.List.copyOf(unacknowledgedUpdates);
      for (TaskStatus s : unacknowledgedUpdates) {
        if (s.uuid().isEmpty()) {
          throw new IllegalArgumentException("an unacknowledged update needs a uuid but was " + s);
        }
      }
    }

    /** A first subscription: nothing received yet. */
    public Subscribe(FrameworkId frameworkId, ExecutorId executorId) {
      this(frameworkId, executorId, java.util.List.of(), java.util.List.of());
    }
  }

  /**
   * A task's new status. The status must carry a uuid (the agent acknowledges it with
   * {@link ExecutorEvent.Acknowledged} once the scheduler has).
   */
  record Update(FrameworkId frameworkId, ExecutorId executorId, TaskStatus status) implements ExecutorCall {
    public Update {
      if (status == null || status.uuid().isEmpty()) {
        throw new IllegalArgumentException("an executor's status update needs a uuid but was " + status);
      }
    }
  }

  /** Data for the framework's scheduler (it arrives as a scheduler MESSAGE event). */
  record FrameworkMessage(FrameworkId frameworkId, ExecutorId executorId, String base64Data) implements ExecutorCall {
    public FrameworkMessage {
      if (base64Data == null) {
        throw new IllegalArgumentException("framework message data must not be null");
      }
      try {
        Base64.getDecoder().decode(base64Data);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("framework message data must be base64 but was '"
            + (base64Data.length() > 32 ? base64Data.substring(0, 32) + "..." : base64Data) + "'");
      }
    }

    /** The data, decoded. */
    public byte[] data() {
      return Base64.getDecoder().decode(base64Data);
    }
  }
}
