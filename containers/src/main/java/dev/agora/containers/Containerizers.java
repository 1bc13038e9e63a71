package dev.agora.containers;

import dev.agora.core.container.Containerizer;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a containerizer by name, for an agent's {@code --containerizer=process|linux|auto}.
 *
 * <p>Concurrency: stateless; {@link #create} blocks while the Linux containerizer cleans up
 * orphans.
 */
public final class Containerizers {
  private static final Logger LOG = LoggerFactory.getLogger(Containerizers.class);

  private Containerizers() {}

  /**
   * A new containerizer with default settings: {@code process} a {@link ProcessContainerizer};
   * {@code linux} a {@link LinuxContainerizer} (under {@code hierarchy}); {@code auto} the Linux
   * one where {@link LinuxContainerizer#available()}, else the process one, with a logged warning
   * saying why. The caller owns and closes it.
   *
   * @param hierarchy the Linux containerizer's parent cgroup, one per agent on a host, e.g.
   *     {@code agora/<agent name>}
   * @throws IllegalArgumentException if {@code mode} is none of those
   * @throws IllegalStateException if {@code linux} is asked for where it cannot run, saying why
   */
  public static Containerizer create(String mode, String hierarchy) {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(hierarchy, "hierarchy");
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "process":
        return ProcessContainerizer.builder().build();
      case "linux":
        return LinuxContainerizer.builder().hierarchy(hierarchy).build();
      case "auto":
        Optional<String> why = LinuxContainerizer.unavailableBecause();
        if (why.isEmpty()) {
          return LinuxContainerizer.builder().hierarchy(hierarchy).build();
        }
        LOG.warn("the Linux containerizer cannot run here ({}); falling back to the process containerizer,"
            + " which does not isolate tasks or hold them to their resources", why.get());
        return ProcessContainerizer.builder().build();
      default:
        throw new IllegalArgumentException("containerizer must be process, linux or auto but was '" + mode + "'");
    }
  }

  /** {@link #create(String, String)} under {@link LinuxContainerizer#DEFAULT_HIERARCHY}. */
  public static Containerizer create(String mode) {
    return create(mode, LinuxContainerizer.DEFAULT_HIERARCHY);
  }
}
