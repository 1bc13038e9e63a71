package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * at most {@value #RETAINED_TERMINATIONS} ended containers are remembered (oldest forgotten first),
 * so that {@link #termination} and {@link #destroy} still answer for them; after {@link #close()}
 * returns, no container process is left and the threads are stopped.
 *
 * <p>Arguments are non-null: a null one throws {@link NullPointerException}.
 */
public final class ProcessContainerizer implements Containerizer {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessContainerizer.class);

  /** The environment variable that marks a container's processes. */
  public static final String MARKER = "AGORA_CONTAINER";

  /** How many ended containers are remembered. */
  static final int RETAINED_TERMINATIONS = 1024;

  /** The default time between SIGTERM and SIGKILL, as Mesos' command executor. */
  public static final Duration DEFAULT_KILL_GRACE_PERIOD = Duration.ofSeconds(3);

  /** How long {@link #close()} waits for the processes to go. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private static final AtomicLong INSTANCES = new AtomicLong();

  private final Duration defaultKillGracePeriod;
  private final ScheduledThreadPoolExecutor scheduler;
  private final Launcher launcher;
  private final ProcessTable table;
  private final String markerPrefix;
  private final ConcurrentHashMap<ContainerId, ProcessContainer> containers = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<ProcessContainer> ended = new ConcurrentLinkedQueue<>();
  private final AtomicInteger endedCount = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ProcessContainerizer(Builder b, Launcher launcher, ProcessTable table) {
    this.defaultKillGracePeriod = b.defaultKillGracePeriod;
    this.launcher = launcher;
    this.table = table;
    this.scheduler = new ScheduledThreadPoolExecutor(2, b.threadFactory);
    scheduler.setRemoveOnCancelPolicy(true);
    // Unique among the JVMs alive on this host, without randomness.
    this.markerPrefix = ProcessHandle.current().pid() + "." + INSTANCES.incrementAndGet() + ".";
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
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(config.containerId(), "config.containerId");
    Objects.requireNonNull(config.task(), "config.task");
    Objects.requireNonNull(config.sandbox(), "config.sandbox");
    Objects.requireNonNull(config.user(), "config.user");
    if (closed.get()) {
      return CompletableFuture.failedStage(new IllegalStateException("containerizer is closed"));
    }
    ContainerId id = config.containerId();
    ProcessContainer container =
        new ProcessContainer(config, MARKER, markerPrefix + id.value(), scheduler, table, this::onEnded);
    containers.compute(id, (k, old) -> {
      if (old != null && !old.hasEnded()) {
        throw new IllegalArgumentException("container id '" + id + "' is already in use");
      }
      return container;
    });
    if (closed.get()) { // close() may have missed it: end it here
      container.destroy(Duration.ZERO);
    }
    try {
      scheduler.execute(() -> container.start(launcher));
    } catch (RejectedExecutionException e) {
      container.destroy(Duration.ZERO);
      container.start(launcher); // ends it at once as destroyed, without starting a process
      return CompletableFuture.failedStage(new IllegalStateException("containerizer is closed"));
    }
    return container.launched.minimalCompletionStage();
  }

  @Override
  public CompletionStage<ContainerTermination> termination(ContainerId id) {
    Objects.requireNonNull(id, "id");
    ProcessContainer container = containers.get(id);
    if (container == null) {
      return CompletableFuture.failedStage(new IllegalArgumentException("unknown container id '" + id + "'"));
    }
    return container.terminated.minimalCompletionStage();
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
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    if (gracePeriod.isNegative()) {
      throw new IllegalArgumentException("grace period must be >= 0 but was " + gracePeriod);
    }
    ProcessContainer container = containers.get(id);
    if (container == null) {
      return CompletableFuture.completedStage(Optional.empty());
    }
    return container.destroy(gracePeriod).thenApply(Optional::of).minimalCompletionStage();
  }

  /**
   * Destroys with the task's kill grace period, or {@link #defaultKillGracePeriod()} if it sets
   * none. Otherwise as {@link #destroy(ContainerId, Duration)}.
   */
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id) {
    Objects.requireNonNull(id, "id");
    ProcessContainer container = containers.get(id);
    Duration grace = container == null
        ? defaultKillGracePeriod
        : container.config.task().killGracePeriod().orElse(defaultKillGracePeriod);
    return destroy(id, grace);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A container is re-adopted if its recorded pid still runs, leads its own session, and
   * carries the marker variable naming this container id (so a reused pid is never taken for it).
   * Its members are found again by session and marker; it is watched through {@code /proc} and
   * {@link ProcessHandle#onExit()}, since it is not a child of this process.
   */
  @Override
  public CompletionStage<Set<ContainerId>> recover(List<RecoverableContainer> wanted) {
    Objects.requireNonNull(wanted, "wanted");
    CompletableFuture<Set<ContainerId>> result = new CompletableFuture<>();
    try {
      scheduler.execute(() -> {
        Set<ContainerId> found = new java.util.LinkedHashSet<>();
        for (RecoverableContainer c : wanted) {
          try {
            if (adopt(c)) {
              found.add(c.containerId());
            }
          } catch (RuntimeException e) {
            LOG.warn("container {}: cannot re-adopt pid {}: {}", c.containerId(), c.pid(), e.toString());
          }
        }
        LOG.info("recovered {} of {} container(s)", found.size(), wanted.size());
        result.complete(found);
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("containerizer is closed"));
    }
    return result;
  }

  private boolean adopt(RecoverableContainer c) {
    long pid = c.pid();
    ContainerId id = c.containerId();
    Optional<ProcessTable.Stat> stat = table.stat(pid);
    if (pid <= 1 || stat.isEmpty() || !stat.get().running() || stat.get().session() != pid) {
      LOG.info("container {}: pid {} is gone", id, pid);
      return false;
    }
    Optional<String> marker = table.environmentValue(pid, MARKER);
    if (marker.isEmpty() || !marker.get().endsWith("." + id.value())) {
      LOG.info("container {}: pid {} is another process now", id, pid);
      return false;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || closed.get()) {
      return false;
    }
    ProcessContainer container = ProcessContainer.recovered(c.config(), MARKER, marker.get(), handle.get(), scheduler,
        table, this::onEnded);
    containers.compute(id, (k, old) -> {
      if (old != null && !old.hasEnded()) {
        throw new IllegalArgumentException("container id '" + id + "' is already in use");
      }
      return container;
    });
    return true;
  }

  @Override
  public Set<ContainerId> containers() {
    return containers.values().stream()
        .filter(c -> !c.hasEnded())
        .map(c -> c.id)
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Blocks until every container has ended (SIGKILL, no grace), for at most 30 seconds, then
   * stops the threads. Later launches fail with {@link IllegalStateException}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<CompletableFuture<ContainerTermination>> ends = new ArrayList<>();
    for (ProcessContainer c : containers.values()) {
      ends.add(c.destroy(Duration.ZERO));
    }
    LOG.info("closing: destroying {} container(s)", ends.size());
    try {
      CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new))
          .get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.error("closing: container processes still left after {}", CLOSE_TIMEOUT);
    } catch (ExecutionException e) {
      LOG.error("closing: destroying a container failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("closing: containerizer threads did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void onEnded(ProcessContainer container) {
    ended.add(container);
    if (endedCount.incrementAndGet() > RETAINED_TERMINATIONS) {
      ProcessContainer oldest = ended.poll();
      if (oldest != null) {
        endedCount.decrementAndGet();
        containers.remove(oldest.id, oldest);
      }
    }
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
     * Where the containerizer's scheduler threads (two) come from. The containerizer owns them
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
      Launcher launcher = new Launcher(setsid, Launcher.onPath("setpriv", path), Launcher.runningAsRoot(proc));
      if (threadFactory == null) {
        threadFactory = defaultThreadFactory();
      }
      if (defaultKillGracePeriod == null) {
        defaultKillGracePeriod = DEFAULT_KILL_GRACE_PERIOD;
      }
      return new ProcessContainerizer(this, launcher, new ProcessTable(proc));
    }

    private static ThreadFactory defaultThreadFactory() {
      ThreadFactory base = Executors.defaultThreadFactory();
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = base.newThread(r);
        t.setDaemon(true);
        t.setName("agora-process-containerizer-" + n.incrementAndGet());
        return t;
      };
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }
}
