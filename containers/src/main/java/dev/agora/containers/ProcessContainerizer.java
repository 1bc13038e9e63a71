package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import dev.agora.core.container.ResourceUsage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;

/**
 * The process containerizer: runs each task as real child processes of the agent, without
 * isolation, as Mesos' POSIX launcher does. Linux only; needs {@code /proc} and util-linux's
 * {@code setsid} (and {@code setpriv} to run tasks as another user).
 *
 * <p>What it does. A shell command runs as {@code /bin/sh -c value}; otherwise {@code value} is
 * the program (looked up on the task's {@code PATH} if it has no '/') and
 * {@code arguments.subList(1, n)} its arguments: a JVM cannot choose argv[0], so the program sees
 * {@code value} there. The working directory is the sandbox; stdout and stderr go to the files
 * {@code stdout} and {@code stderr} in it; stdin is {@code /dev/null}. The environment is the
 * agent's, then {@link ContainerConfig#environment()}, then the command's (later wins), plus
 * {@value #MARKER} naming the container. If the agent runs as root and the config (or else the
 * command) names a user, the task runs as that user with its groups, and the sandbox and its
 * output files are given to that user; otherwise the user is ignored.
 *
 * <p>Each container runs in a session of its own, which its children and orphaned grandchildren
 * keep. {@link #destroy} sends SIGTERM to every process of the session (and to every process
 * carrying the container's marker variable, which catches those that started a session of their
 * own), SIGKILL to all of them after the grace period, and completes only when none is left. As
 * soon as the top process has exited (by itself, or within the grace period), whatever it left
 * behind gets SIGKILL: nothing of a container outlives its termination, and nothing outlives {@link #close()}. Processes that both
 * leave the session and drop the marker variable escape; the Linux containerizer (cgroups) does
 * not have that gap.
 *
 * <p>Exit status. Exit code n ends with "Command exited with status n"; a signal with "Command
 * terminated by signal SIGNAME". The JDK reports death by signal n as 128 + n, which a shell also
 * reports for a child killed by n, so statuses 129 to 192 are read as signals.
 *
 * <p>Concurrency: every method may be called from any thread; only {@link #close()} blocks.
 * Launching, signalling and watching run on the containerizer's own scheduler threads (from the
 * builder's {@link Builder#threadFactory}), which also complete the returned stages, so callers
 * must hop to their own thread before touching their state. Containers live in a concurrent map;
 * each container guards its own few fields (see {@code ProcessContainer}).
 *
 * <p>Invariants: a container id is in use from {@link #launch} until its termination completes;
 * at most 1024 ended containers are remembered (oldest forgotten first),
 * so that {@link #termination} and {@link #destroy} still answer for them; after {@link #close()}
 * returns, no container process is left and the threads are stopped.
 *
 * <p>Arguments are non-null: a null one throws {@link NullPointerException}.
 */
public final class ProcessContainerizer implements Containerizer {
  /** The environment variable that marks a container's processes. */
  public static final String MARKER = "AGORA_CONTAINER";

  /** The default time between SIGTERM and SIGKILL, as Mesos' command executor. */
  public static final Duration DEFAULT_KILL_GRACE_PERIOD = Duration.ofSeconds(3);

  private final Duration defaultKillGracePeriod;
  private final ContainerRuntime runtime;

  private ProcessContainerizer(Builder b, Isolation isolation) {
    this.defaultKillGracePeriod = b.defaultKillGracePeriod;
    this.runtime = new ContainerRuntime(MARKER, isolation, b.threadFactory, Optional.empty());
  }

  /** A builder; every setting is optional. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "process";
  }

  /**
   * The default time between SIGTERM and SIGKILL, used by {@link #destroy(ContainerId)} for tasks
   * that do not set their own.
   */
  public Duration defaultKillGracePeriod() {
    return defaultKillGracePeriod;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks the sandbox, the program and the user on a containerizer thread; a failure
   * completes the stage exceptionally with an {@link java.io.IOException} naming the problem, and
   * the termination with "Container launch failed: ...". After {@link #close()}, completes
   * exceptionally with {@link IllegalStateException}.
   *
   * @throws IllegalArgumentException if a container with this id has not ended
   */
  @Override
  public CompletionStage<ContainerStatus> launch(ContainerConfig config) {
    return runtime.launch(config);
  }

  @Override
  public CompletionStage<ContainerTermination> termination(ContainerId id) {
    return runtime.termination(id);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A container still launching is not started; its launch fails and it ends destroyed. A
   * zero grace period sends SIGKILL at once.
   *
   * @throws IllegalArgumentException if {@code gracePeriod} is negative
   */
  @Override
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
    return runtime.destroy(id, gracePeriod);
  }

  /**
   * Destroys with the task's kill grace period, or {@link #defaultKillGracePeriod()} if it sets
   * none. Otherwise as {@link #destroy(ContainerId, Duration)}.
   */
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id) {
    return destroy(id, runtime.taskGracePeriod(id).orElse(defaultKillGracePeriod));
  }

  /**
   * {@inheritDoc}
   *
   * <p>CPU time and resident memory of the processes alive now, summed from {@code /proc}; the
   * peak is the highest such sum seen by earlier calls.
   */
  @Override
  public Optional<ResourceUsage> usage(ContainerId id) {
    return runtime.usage(id);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A container is re-adopted if its recorded pid still runs, leads its own session, and
   * carries the marker variable {@value #MARKER} naming this container id (so a reused pid is never
   * taken for it). Its processes are found again by session and marker, and it is watched through
   * {@code /proc} and {@link ProcessHandle#onExit()}, since it is not a child of this process.
   * After {@link #close()}, completes exceptionally with {@link IllegalStateException}.
   */
  @Override
  public CompletionStage<Set<ContainerId>> recover(List<RecoverableContainer> containers) {
    return runtime.recover(containers);
  }

  @Override
  public Set<ContainerId> containers() {
    return runtime.containers();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Blocks until every container has ended (SIGKILL, no grace), for at most 30 seconds, then
   * stops the threads. Later launches fail with {@link IllegalStateException}.
   */
  @Override
  public void close() {
    runtime.close();
  }

  /**
   * Builds a {@link ProcessContainerizer}. Each setter checks its value at once and may be called
   * once. Not thread-safe; use from one thread.
   */
  public static final class Builder {
    private ThreadFactory threadFactory;
    private Duration defaultKillGracePeriod;

    private Builder() {}

    /**
     * Where the containerizer's threads (four: two launch, two watch) come from. The containerizer owns them
     * and stops them in {@link ProcessContainerizer#close()}. Default: daemon threads named
     * {@code agora-process-containerizer-N}.
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      Objects.requireNonNull(threadFactory, "threadFactory");
      requireUnset(this.threadFactory, "threadFactory");
      this.threadFactory = threadFactory;
      return this;
    }

    /**
     * The time between SIGTERM and SIGKILL for {@link ProcessContainerizer#destroy(ContainerId)}
     * when the task sets none. Default {@link ProcessContainerizer#DEFAULT_KILL_GRACE_PERIOD}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder defaultKillGracePeriod(Duration gracePeriod) {
      Objects.requireNonNull(gracePeriod, "gracePeriod");
      if (gracePeriod.isNegative()) {
        throw new IllegalArgumentException("default kill grace period must be >= 0 but was " + gracePeriod);
      }
      requireUnset(this.defaultKillGracePeriod, "defaultKillGracePeriod");
      this.defaultKillGracePeriod = gracePeriod;
      return this;
    }

    /**
     * A new containerizer.
     *
     * @throws IllegalStateException if {@code /proc} or {@code setsid} is missing
     */
    public ProcessContainerizer build() {
      return build(Path.of("/proc"), System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    ProcessContainerizer build(Path proc, String path) {
      if (!java.nio.file.Files.isDirectory(proc.resolve("self"))) {
        throw new IllegalStateException("the process containerizer needs a Linux " + proc + " but there is none");
      }
      Path setsid = Launcher.onPath("setsid", path).orElseThrow(() -> new IllegalStateException(
          "the process containerizer needs setsid (util-linux) but it is not on PATH " + path));
      Launcher launcher = new Launcher(Launcher.onPath("setpriv", path), Launcher.runningAsRoot(proc));
      if (threadFactory == null) {
        threadFactory = ContainerRuntime.daemonThreads("agora-process-containerizer");
      }
      if (defaultKillGracePeriod == null) {
        defaultKillGracePeriod = DEFAULT_KILL_GRACE_PERIOD;
      }
      return new ProcessContainerizer(this, new SessionIsolation(launcher, new ProcessTable(proc), setsid));
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }
}
