package dev.agora.core.model;

/**
 * A framework's own executor (Mesos {@code ExecutorInfo} of type CUSTOM): a program the agent
 * starts in a container of its own, which subscribes to the agent's executor API
 * ({@code POST /api/v1/executor}) and runs the framework's tasks (or a task group) in place of the
 * built-in command executor. Tasks that name the same executor id on one agent share one running
 * executor.
 *
 * @param executorId unique within the framework
 * @param name human-readable
 * @param command what the agent runs to start the executor; the agent adds
 *     {@code MESOS_AGENT_ENDPOINT}, {@code MESOS_FRAMEWORK_ID}, {@code MESOS_EXECUTOR_ID} and
 *     {@code MESOS_SANDBOX} to its environment
 * @param resources what the executor itself uses beyond its tasks (may be empty); the master
 *     allocates it once per agent, with the first task that starts the executor there, until the
 *     executor ends
 */
public record ExecutorInfo(ExecutorId executorId, String name, CommandInfo command, Resources resources) {
  public ExecutorInfo {
    if (executorId == null || command == null || resources == null) {
      throw new IllegalArgumentException("executor id, command and resources must not be null");
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("executor '" + executorId + "' name must not be empty");
    }
  }

  /** An executor named after its id, with no resources of its own. */
  public static ExecutorInfo of(ExecutorId executorId, CommandInfo command) {
    return new ExecutorInfo(executorId, executorId.value(), command, Resources.EMPTY);
  }
}
