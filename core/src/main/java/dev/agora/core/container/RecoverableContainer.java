package dev.agora.core.container;

/**
 * A container a previous run of the agent launched, as its checkpoint recorded it, for
 * {@link Containerizer#recover}.
 *
 * @param config the config it was launched with (its id, task, sandbox, environment, user)
 * @param pid the pid of its top process as {@link ContainerStatus#pid()} reported it
 */
public record RecoverableContainer(ContainerConfig config, long pid) {
  public RecoverableContainer {
    if (config == null) {
      throw new IllegalArgumentException("config must not be null");
    }
    if (pid < 0) {
      throw new IllegalArgumentException("pid must be >= 0 but was " + pid);
    }
  }

  /** The container's id. */
  public ContainerId containerId() {
    return config.containerId();
  }
}
