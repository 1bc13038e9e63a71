package dev.agora.core.model;

import java.util.List;

/**
 * What a framework does with an offer it accepts. Operations run in order; whatever of the offer
 * they leave unused goes back to the allocator.
 */
public sealed interface Operation {

  /** Launch tasks on the offer's agent. */
  record Launch(List<TaskInfo> tasks) implements Operation {
    public Launch {
      tasks = List.copyOf(tasks);
    }
  }

  /**
   * Launch a task group (Mesos {@code LAUNCH_GROUP}): the tasks start together under one
   * {@code executor} and are all accepted or all refused.
   */
  record LaunchGroup(ExecutorInfo executor, List<TaskInfo> tasks) implements Operation {
    public LaunchGroup {
      if (executor == null || tasks == null || tasks.isEmpty()) {
        throw new IllegalArgumentException("a task group needs an executor and at least one task but had "
            + executor + " / " + tasks);
      }
      tasks = List.copyOf(tasks);
    }
  }

  /** Dynamically reserve offered resources (the resources carry their new role). */
  record Reserve(Resources resources) implements Operation {}

  /** Undo a dynamic reservation (the resources carry their current role). */
  record Unreserve(Resources resources) implements Operation {}

  /** The Mesos wire name of the operation type. */
  default String type() {
    if (this instanceof Launch) {
      return "LAUNCH";
    }
    if (this instanceof LaunchGroup) {
      return "LAUNCH_GROUP";
    }
    return this instanceof Reserve ? "RESERVE" : "UNRESERVE";
  }
}
