package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.util.Optional;

/**
 * How a containerizer starts a container's processes and finds them again: a session and a
 * marker variable ({@link SessionIsolation}), or cgroups and namespaces ({@link CgroupIsolation}).
 * {@link ProcessContainer} runs the state machine on top of either.
 *
 * <p>Concurrency: implementations are safe from any thread; {@link #start} blocks (it starts a
 * process) and runs on the containerizer's threads.
 */
interface Isolation {
  /**
   * Starts the container's top process, contained: once this returns, every process it forks is
   * found by the returned {@link Processes}.
   *
   * @param markerName the variable that marks the container's processes
   * @param markerValue its value, unique to this container on this host
   * @throws IOException naming the problem, if the container cannot be started; nothing is left
   */
  Processes start(ContainerConfig config, String markerName, String markerValue)
      throws IOException, InterruptedException;

  /**
   * Finds again the processes of a container that a previous run of the agent launched with this
   * isolation (the agent restarted; the container may still run), for
   * {@link dev.agora.core.container.Containerizer#recover}. Only a live process {@code pid} that is
   * provably the container's top process is taken: it carries {@code markerName} with a value that
   * {@link ContainerRuntime#marks names} {@code config.containerId()}, so a reused pid never is.
   * The top process found is not a child of this JVM: {@link Processes#child()} is empty.
   *
   * <p>The default finds nothing (the isolation cannot recover). On the containerizer's threads.
   *
   * @return the container's processes, or empty if it is gone or {@code pid} is another process
   */
  default Optional<Processes> reattach(ContainerConfig config, long pid, String markerName) {
    return Optional.empty();
  }

  /**
   * Removes what earlier runs of the containerizer left behind for containers it does not know
   * (cgroups of a crashed agent's tasks), killing their processes; the containers in
   * {@code known} (re-adopted, or launched here) are kept. Called once, by
   * {@link ContainerRuntime}, after {@link dev.agora.core.container.Containerizer#recover} or
   * before the first launch if there was no recovery. Blocks while processes die. The default
   * removes nothing.
   *
   * @return how many orphans were removed
   */
  default int removeOrphans(java.util.Set<dev.agora.core.container.ContainerId> known) {
    return 0;
  }

  /**
   * Periodic chores (retrying cgroup removals that the kernel refused); on the containerizer's
   * watcher. Must not block for long.
   */
  default void housekeeping() {}

  /** The live processes of one container, found again at every call. */
  interface Processes {
    /**
     * The top process's pid: a child of this JVM or of its launcher, or a process re-adopted by
     * {@link Isolation#reattach}.
     */
    long topPid();

    /**
     * The top process as a child of this JVM, whose exit status is known; empty for a process
     * re-adopted by {@link Isolation#reattach} (a previous run of the agent started it).
     */
    Optional<Process> child();

    /**
     * Completes once the top process has exited (and, if this JVM or its launcher is its parent,
     * been reaped): with its exit status as the JDK reports it (the exit code, or 128 + n for a
     * process killed by signal n), or empty where it is unknown (a re-adopted process). The
     * default follows {@link #child()}, else polls {@link #topPid()}; each call may make a new
     * future, so a caller calls it once.
     */
    default java.util.concurrent.CompletableFuture<java.util.OptionalInt> exit() {
      return child()
          .map(p -> p.onExit().thenApply(x -> java.util.OptionalInt.of(x.exitValue())))
          .orElseGet(() -> ProcessHandle.of(topPid())
              .map(h -> h.onExit().thenApply(x -> java.util.OptionalInt.empty()))
              .orElseGet(() -> java.util.concurrent.CompletableFuture.completedFuture(java.util.OptionalInt.empty())));
    }

    /**
     * SIGTERM to every process of the container ({@code force == false}), or SIGKILL to all of
     * them ({@code force}), atomically where the isolation can (a frozen cgroup).
     */
    void signal(boolean force);

    /** Whether no live process of the container is left (zombies count as gone). */
    boolean isEmpty();

    /** A resource limit the container has hit, if any; checked often, so cheap. */
    Optional<ContainerTermination.Limitation> limitation();

    /** What the container uses now. */
    ResourceUsage usage();

    /**
     * Frees what the isolation holds (cgroups) once no process is left; what the kernel refuses
     * yet is retried by {@link Isolation#housekeeping}. Idempotent; never throws; does not block.
     */
    void release();
  }
}
