package dev.agora.core.agent;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An immutable view of an agent at one moment (taken on its loop).
 *
 * @param agentId the id the master gave it, once registered
 * @param registered whether it is registered with a master now
 * @param tasks the tasks it runs or has not finished reporting
 * @param pendingStatusUpdates status updates not yet acknowledged
 */
public record AgentSnapshot(
    Optional<AgentId> agentId, boolean registered, List<TaskView> tasks, int pendingStatusUpdates) {
  public AgentSnapshot {
    tasks = List.copyOf(tasks);
  }

  /**
   * A task on the agent.
   *
   * @param pid the operating-system pid of its process (0 before launch or in a simulation)
   * @param sandbox its working directory, with {@code stdout} and {@code stderr}
   * @param containerId the container it runs in (launched or not yet), for
   *     {@link dev.agora.core.container.Containerizer#usage}
   */
  public record TaskView(FrameworkId frameworkId, TaskId taskId, TaskState state, long pid, Path sandbox,
      dev.agora.core.container.ContainerId containerId) {}

  /** The task with this id, if the agent has it. */
  public Optional<TaskView> task(TaskId id) {
    return tasks.stream().filter(t -> t.taskId().equals(id)).findFirst();
  }
}
