package dev.agora.core.model;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A task a framework asks to launch on an agent.
 *
 * <p>The master checks what depends on cluster state (the offer, the resources, a unique id) and
 * answers a bad task with TASK_ERROR; the constructor checks what is wrong in itself.
 *
 * @param taskId unique within the framework
 * @param name human-readable
 * @param agentId the agent to run on (that of the offer)
 * @param resources what the task uses; must be within the offer
 * @param command what it runs
 * @param labels free-form key/values
 * @param killGracePeriod time between SIGTERM and SIGKILL when killed; the agent's default if absent
 */
public record TaskInfo(
    TaskId taskId,
    String name,
    AgentId agentId,
    Resources resources,
    CommandInfo command,
    Map<String, String> labels,
    Optional<Duration> killGracePeriod) {
  public TaskInfo {
    if (taskId == null || agentId == null || resources == null || command == null) {
      throw new IllegalArgumentException("task id, agent id, resources and command must not be null");
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("task '" + taskId + "' name must not be empty");
    }
    if (labels == null || killGracePeriod == null) {
      throw new IllegalArgumentException("task '" + taskId + "' labels and kill grace period must not be null");
    }
    killGracePeriod.ifPresent(grace -> {
      if (grace.isNegative()) {
        throw new IllegalArgumentException(
            "task '" + taskId + "' kill grace period must be >= 0 but was " + grace);
      }
    });
    labels = Map.copyOf(labels);
  }

  /** A task with no labels and the agent's default kill grace period. */
  public static TaskInfo of(TaskId taskId, AgentId agentId, Resources resources, CommandInfo command) {
    return new TaskInfo(taskId, taskId.value(), agentId, resources, command, Map.of(), Optional.empty());
  }

  /** A copy with the given kill grace period. */
  public TaskInfo withKillGracePeriod(Duration grace) {
    return new TaskInfo(taskId, name, agentId, resources, command, labels, Optional.of(grace));
  }
}
