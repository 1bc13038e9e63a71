package dev.agora.core.container;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a container ended.
 *
 * @param containerId the container
 * @param exitCode the process's exit code, if it exited
 * @param signal the signal that ended it, if one did
 * @param destroyed whether it ended because {@link Containerizer#destroy} was called
 * @param limitation the resource limit it hit, if the containerizer killed it for one
 * @param message a human-readable summary, e.g. "Command exited with status 3"
 */
public record ContainerTermination(
    ContainerId containerId,
    OptionalInt exitCode,
    OptionalInt signal,
    boolean destroyed,
    Optional<Limitation> limitation,
    String message) {

  /**
   * A resource limit a container hit.
   *
   * @param resource the resource name, e.g. {@code mem}
   * @param message what happened, with the limit, e.g. "Memory limit 64 MB exceeded"
   */
  public record Limitation(String resource, String message) {}

  /** Whether the command exited with status 0 on its own. */
  public boolean succeeded() {
    return !destroyed && limitation.isEmpty() && exitCode.isPresent() && exitCode.getAsInt() == 0;
  }
}
