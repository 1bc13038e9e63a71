package dev.agora.core.container;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Runs tasks in containers on an agent: real child processes, Linux cgroups and namespaces, or a
 * simulation.
 *
 * <p>Concurrency: methods may be called from any thread (the agent calls them from its loop) and
 * must not block: slow work happens on the containerizer's own threads and completes the returned
 * stages there, so callers must hop back to their own loop before touching their state.
 *
 * <p>Errors: a launch that fails completes its stage exceptionally (the agent reports the task
 * FAILED with REASON_CONTAINER_LAUNCH_FAILED); the methods themselves throw only
 * {@link IllegalArgumentException} for a caller mistake (an id in use).
 */
public interface Containerizer extends AutoCloseable {
  /** A short name such as {@code process} or {@code linux}. */
  String name();

  /**
   * Starts a container. The stage completes once the task's process runs.
   *
   * @throws IllegalArgumentException if the container id is already in use
   */
  CompletionStage<ContainerStatus> launch(ContainerConfig config);

  /**
   * The container's end: completes when its processes are gone, whether they exited, were
   * destroyed or hit a limit. Completes exceptionally with {@link IllegalArgumentException} for
   * an unknown id. May be called any number of times.
   */
  CompletionStage<ContainerTermination> termination(ContainerId id);

  /**
   * Stops a container: SIGTERM to its processes, then SIGKILL to all of them after
   * {@code gracePeriod}, and completes with the termination (marked {@code destroyed} unless the
   * container had already ended). Idempotent; an unknown id completes with empty.
   */
  CompletionStage<java.util.Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod);

  /**
   * What a running container uses now. Reads a few small files (cgroups, {@code /proc}) on the
   * calling thread: quick, but not free; callers sample it, they do not spin on it.
   *
   * @return empty if the container is unknown or has ended, or the containerizer cannot measure
   */
  default java.util.Optional<ResourceUsage> usage(ContainerId id) {
    return java.util.Optional.empty();
  }

  /** The containers that have not ended. */
  Set<ContainerId> containers();

  /** Destroys every container at once (no grace) and frees the containerizer's threads. Idempotent. */
  @Override
  void close();
}
