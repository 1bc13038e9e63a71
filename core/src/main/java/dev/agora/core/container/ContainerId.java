package dev.agora.core.container;

import dev.agora.core.model.TaskId;

/** The id of a container, unique on its agent. */
public record ContainerId(String value) {
  public ContainerId {
    TaskId.of(value); // same rules as every id: safe in paths and cgroup names
  }

  @Override
  public String toString() {
    return value;
  }
}
