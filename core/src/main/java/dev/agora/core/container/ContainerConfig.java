package dev.agora.core.container;

import dev.agora.core.model.TaskInfo;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a containerizer needs to start a task.
 *
 * @param containerId the new container's id
 * @param task the task, with its command and resources (the container's limits)
 * @param sandbox an existing, empty directory that becomes the task's working directory, where
 *     the containerizer writes {@code stdout} and {@code stderr}
 * @param environment environment variables the agent adds (e.g. {@code MESOS_SANDBOX}), before
 *     the command's own
 * @param user the unix user to run as, if the agent runs as root and the task names one
 */
public record ContainerConfig(
    ContainerId containerId, TaskInfo task, Path sandbox, Map<String, String> environment, Optional<String> user) {
  public ContainerConfig {
    environment = Map.copyOf(environment);
  }
}
