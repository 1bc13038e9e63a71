package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.util.List;
import java.util.Optional;

/**
 * A consistent, immutable view of the master's registry at one moment (taken on its loop), for
 * operators, UIs and tests.
 *
 * @param leading whether the master is the elected leader
 * @param agents the registered agents
 * @param frameworks the frameworks, connected or waiting for failover
 * @param outstandingOffers how many offers are out
 */
public record MasterSnapshot(
    boolean leading, List<AgentView> agents, List<FrameworkView> frameworks, int outstandingOffers) {
  public MasterSnapshot {
    agents = List.copyOf(agents);
    frameworks = List.copyOf(frameworks);
  }

  /** A registered agent. */
  public record AgentView(AgentId id, String hostname, Resources total, int activeTasks) {}

  /** A framework and its live tasks. */
  public record FrameworkView(FrameworkId id, String name, boolean connected, List<TaskView> tasks) {
    public FrameworkView {
      tasks = List.copyOf(tasks);
    }
  }

  /** A task the master knows. */
  public record TaskView(TaskId id, AgentId agentId, TaskState state, Resources resources) {}

  /** The framework with this id, if known. */
  public Optional<FrameworkView> framework(FrameworkId id) {
    return frameworks.stream().filter(f -> f.id().equals(id)).findFirst();
  }
}
