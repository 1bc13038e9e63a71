package dev.agora.core.protocol;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Events an agent sends an executor (Mesos v1 {@code executor::Event}). */
public sealed interface ExecutorEvent extends Message {

  /** The subscription took. */
  record Subscribed(ExecutorInfo executor, FrameworkId frameworkId, FrameworkInfo framework, AgentId agentId)
      implements ExecutorEvent {}

  /** Run a task. */
  record Launch(TaskInfo task) implements ExecutorEvent {}

  /** Run a task group: all its tasks together. */
  record LaunchGroup(List<TaskInfo> tasks) implements ExecutorEvent {
    public LaunchGroup {
      tasks = List.copyOf(tasks);
    }
  }

  /** Kill a task, within {@code gracePeriod} if given; the executor answers with a terminal update. */
  record Kill(TaskId taskId, Optional<Duration> gracePeriod) implements ExecutorEvent {}

  /** The scheduler acknowledged the executor's update {@code uuid} of the task. */
  record Acknowledged(TaskId taskId, UUID uuid) implements ExecutorEvent {}

  /** Data from the framework's scheduler. */
  record FrameworkMessage(String base64Data) implements ExecutorEvent {
    /** The data, decoded. */
    public byte[] data() {
      return Base64.getDecoder().decode(base64Data);
    }
  }

  /** Kill every task and exit; the agent destroys the executor's container after a grace period. */
  record Shutdown() implements ExecutorEvent {}

  /** The agent refuses the executor (a bad call); the stream closes after it. */
  record Error(String message) implements ExecutorEvent {}

  /** The agent is alive. */
  record Heartbeat() implements ExecutorEvent {}
}
