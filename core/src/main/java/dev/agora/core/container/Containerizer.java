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

  /**
   * Re-adopts containers a previous run of the agent launched (the agent restarted; its
   * containers may still run). Each container found still running is watched again as if this
   * containerizer had launched it: {@link #termination} and {@link #destroy} work for it, and it
   * counts in {@link #containers()}. A container that is gone, or whose pid now belongs to another
   * process, is left out of the answer; the agent reports its task as ended.
   *
   * <p>Called once, from the agent's loop, before any launch; must not block (the stage completes
   * on the containerizer's threads). The exit status of a re-adopted container is not known (it is
   * no child of this process): its termination has neither exit code nor signal unless it was
   * destroyed.
   *
   * <p>The default re-adopts nothing: containerizers that cannot recover report every task of a
   * restarted agent as ended. <b>Such a containerizer leaves the old processes running</b>; one
   * that can outlive the agent must implement this.
   *
   * @return the ids of the containers now watched again
   */
  default CompletionStage<Set<ContainerId>> recover(java.util.List<RecoverableContainer> containers) {
    return java.util.concurrent.CompletableFuture.completedFuture(Set.of());
  }

  /**
   * Runs one probe of a task's health check against its running container. Called from the agent's
   * loop while the task runs; must not block. The agent times the probe out after
   * {@code check.timeout()} on its own clock and then cancels the returned future, which should
   * stop the probe (close its socket, kill its process). A probe that throws or completes
   * exceptionally counts as a failed probe.
   *
   * <p>The default probes on the host's network ({@code 127.0.0.1:port}: HTTP, HTTPS without
   * certificate checks, TCP) and runs a COMMAND check as a child process of the agent in the
   * task's sandbox with its environment, which suits containerizers whose tasks share the host's
   * network. A containerizer that gives tasks their own network or mount namespace overrides it
   * to probe inside the container.
   *
   * @return empty when healthy, else a description of the failure
   */
  default java.util.concurrent.CompletableFuture<java.util.Optional<String>> probe(ContainerConfig config,
      dev.agora.core.model.HealthCheck check) {
    return HealthProbes.probe(config, check);
  }

  /** The containers that have not ended. */
  Set<ContainerId> containers();

  /** Destroys every container at once (no grace) and frees the containerizer's threads. Idempotent. */
  @Override
  void close();
}
