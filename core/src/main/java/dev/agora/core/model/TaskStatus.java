package dev.agora.core.model;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A task's state at a moment, as sent to its framework.
 *
 * @param taskId the task
 * @param state its state
 * @param reason why, where the state needs a reason
 * @param message a human-readable detail, e.g. "Command exited with status 3"
 * @param source who produced the update
 * @param agentId the agent the task is on, if known
 * @param uuid present on updates from the agent, which the framework must acknowledge by this id;
 *     absent on updates the master makes up (reconciliation), which need no acknowledgement
 * @param healthy the last health check result, if the task has a health check
 * @param timestamp when the state was observed
 */
public record TaskStatus(
    TaskId taskId,
    TaskState state,
    Optional<Reason> reason,
    Optional<String> message,
    Source source,
    Optional<AgentId> agentId,
    Optional<UUID> uuid,
    Optional<Boolean> healthy,
    Instant timestamp) {

  /** Who produced a status update. */
  public enum Source {
    SOURCE_MASTER,
    SOURCE_AGENT,
    SOURCE_EXECUTOR
  }

  /** Why a task is in its state: Mesos's {@code TaskStatus.Reason} values that Agora produces. */
  public enum Reason {
    REASON_COMMAND_EXECUTOR_FAILED,
    REASON_CONTAINER_LAUNCH_FAILED,
    REASON_CONTAINER_LIMITATION,
    REASON_CONTAINER_LIMITATION_MEMORY,
    REASON_CONTAINER_LIMITATION_DISK,
    REASON_EXECUTOR_REGISTRATION_TIMEOUT,
    REASON_EXECUTOR_TERMINATED,
    REASON_FRAMEWORK_REMOVED,
    REASON_GC_ERROR,
    REASON_INVALID_FRAMEWORKID,
    REASON_INVALID_OFFERS,
    REASON_MASTER_DISCONNECTED,
    REASON_RECONCILIATION,
    REASON_RESOURCES_UNKNOWN,
    REASON_AGENT_DISCONNECTED,
    REASON_AGENT_REMOVED,
    REASON_AGENT_RESTARTED,
    REASON_AGENT_UNKNOWN,
    REASON_TASK_CHECK_STATUS_UPDATED,
    REASON_TASK_GROUP_INVALID,
    REASON_TASK_HEALTH_CHECK_STATUS_UPDATED,
    REASON_TASK_INVALID,
    REASON_TASK_KILLED_DURING_LAUNCH,
    REASON_TASK_UNAUTHORIZED,
    REASON_TASK_UNKNOWN,
    REASON_AGENT_DRAINING
  }

  public TaskStatus {
    if (taskId == null || state == null || source == null || timestamp == null) {
      throw new IllegalArgumentException("task status needs a task id, state, source and timestamp");
    }
  }

  /** A status without uuid or health, from {@code source}. */
  public static TaskStatus of(TaskId taskId, TaskState state, Source source, AgentId agentId,
      Reason reason, String message, Instant timestamp) {
    return new TaskStatus(taskId, state, Optional.ofNullable(reason), Optional.ofNullable(message),
        source, Optional.ofNullable(agentId), Optional.empty(), Optional.empty(), timestamp);
  }

  /** A copy carrying {@code id}, to be acknowledged by the framework. */
  public TaskStatus withUuid(UUID id) {
    return new TaskStatus(taskId, state, reason, message, source, agentId, Optional.of(id), healthy, timestamp);
  }

  /** A copy carrying the result of the task's health check. */
  public TaskStatus withHealthy(boolean value) {
    return new TaskStatus(taskId, state, reason, message, source, agentId, uuid, Optional.of(value), timestamp);
  }

  /** A copy without uuid (the master's answers need no acknowledgement). */
  public TaskStatus withoutUuid() {
    return new TaskStatus(taskId, state, reason, message, source, agentId, Optional.empty(), healthy, timestamp);
  }
}
