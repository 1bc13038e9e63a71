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
 * @param limits hard limits above the request, as Mesos' {@code limits}: {@code cpus} and/or
 *     {@code mem} (MB), each at least the request, {@link Double#POSITIVE_INFINITY} for none; a
 *     containerizer that isolates holds the task to these instead of its request (the request
 *     still decides placement and cpu shares). Empty: limited to the request.
 * @param healthCheck the check the agent runs next to the task, if any (see {@link HealthCheck})
 * @param executor the framework's executor that runs this task; empty for the agent's built-in
 *     command executor (which runs {@code command})
 */
public record TaskInfo(
    TaskId taskId,
    String name,
    AgentId agentId,
    Resources resources,
    CommandInfo command,
    Map<String, String> labels,
    Optional<Duration> killGracePeriod,
    Map<String, Double> limits,
    Optional<HealthCheck> healthCheck,
    Optional<ExecutorInfo> executor) {
  /** The resources that may have a limit. */
  public static final java.util.Set<String> LIMITABLE = java.util.Set.of("cpus", "mem");

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
    if (limits == null) {
      throw new IllegalArgumentException("task '" + taskId + "' limits must not be null");
    }
    for (Map.Entry<String, Double> e : limits.entrySet()) {
      if (!LIMITABLE.contains(e.getKey())) {
        throw new IllegalArgumentException("task '" + taskId + "' may limit only " + LIMITABLE + " but limits '"
            + e.getKey() + "'");
      }
      double request = resources.scalar(e.getKey());
      if (e.getValue() == null || e.getValue().isNaN() || e.getValue() < request) {
        throw new IllegalArgumentException("task '" + taskId + "' limit of " + e.getKey() + " must be >= its request "
            + request + " but was " + e.getValue());
      }
    }
    limits = Map.copyOf(limits);
    if (healthCheck == null) {
      throw new IllegalArgumentException("task '" + taskId + "' health check must not be null (use empty)");
    }
    if (executor == null) {
      throw new IllegalArgumentException("task '" + taskId + "' executor must not be null (use Optional.empty())");
    }
  }

  /** A task run by the command executor, without a health check, with the given limits. */
  public TaskInfo(TaskId taskId, String name, AgentId agentId, Resources resources, CommandInfo command,
      Map<String, String> labels, Optional<Duration> killGracePeriod, Map<String, Double> limits) {
    this(taskId, name, agentId, resources, command, labels, killGracePeriod, limits, Optional.empty(), Optional.empty());
  }

  /** A task without limits above its request (the form before limits existed). */
  public TaskInfo(TaskId taskId, String name, AgentId agentId, Resources resources, CommandInfo command,
      Map<String, String> labels, Optional<Duration> killGracePeriod) {
    this(taskId, name, agentId, resources, command, labels, killGracePeriod, Map.of(), Optional.empty(),
        Optional.empty());
  }

  /**
   * A copy with the given limits (see {@link #limits()}).
   *
   * @throws IllegalArgumentException if a limit names another resource or is below the request
   */
  public TaskInfo withLimits(Map<String, Double> limits) {
    return new TaskInfo(taskId, name, agentId, resources, command, labels, killGracePeriod, limits, healthCheck,
        executor);
  }

  /** A copy with the given health check, which the agent runs next to the task. */
  public TaskInfo withHealthCheck(HealthCheck check) {
    return new TaskInfo(taskId, name, agentId, resources, command, labels, killGracePeriod, limits,
        Optional.of(java.util.Objects.requireNonNull(check, "check")), executor);
  }

  /** The limit of {@code resource} ({@code cpus} or {@code mem}), if it has one above its request. */
  public java.util.OptionalDouble limit(String resource) {
    Double l = limits.get(resource);
    return l == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(l);
  }

  /** A task with no labels and the agent's default kill grace period. */
  public static TaskInfo of(TaskId taskId, AgentId agentId, Resources resources, CommandInfo command) {
    return new TaskInfo(taskId, taskId.value(), agentId, resources, command, Map.of(), Optional.empty());
  }

  /** A copy with the given kill grace period. */
  public TaskInfo withKillGracePeriod(Duration grace) {
    return new TaskInfo(taskId, name, agentId, resources, command, labels, Optional.of(grace), limits, healthCheck,
        executor);
  }

  /**
   * A copy run by {@code value}, the framework's executor, instead of the command executor (the
   * task's {@code command} is then the executor's business; Mesos requires one of the two, Agora
   * keeps the command for display).
   */
  public TaskInfo withExecutor(ExecutorInfo value) {
    if (value == null) {
      throw new IllegalArgumentException("task '" + taskId + "' executor must not be null");
    }
    return new TaskInfo(taskId, name, agentId, resources, command, labels, killGracePeriod, limits, healthCheck,
        Optional.of(value));
  }
}
