package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container of a {@link ProcessContainerizer} or {@link LinuxContainerizer}: its top process,
 * and the state machine from launch to end. How its processes are started and found is the
 * {@link Isolation}'s business.
 *
 * <pre>
 *   LAUNCHING --start--> RUNNING --top process exits, or destroy--> ENDING --no process left--> ENDED
 *       |                                                                                    ^
 *       +--------- launch fails, or destroyed before the process started ---------------------+
 * </pre>
 *
 * <p>Concurrency: callers' threads call {@link #destroy}; the containerizer's scheduler runs
 * {@link #start}, the exit callback, the kill timers and the poller. The few fields that change
 * are guarded by {@code this}; no lock is held while signalling, reading {@code /proc} or
 * completing a future, so callbacks of the futures never run under it.
 *
 * <p>A container that a previous run of the agent launched is re-adopted ({@link #recovered}) in
 * RUNNING; its top process is no child of this JVM, so its exit status is unknown: its termination
 * has neither exit code nor signal.
 *
 * <p>Invariants: {@code state} only moves forward; {@code processes} is set exactly when leaving
 * LAUNCHING for RUNNING (or at once, for a re-adopted container); the termination completes once,
 * after the top process has exited (been reaped, if our child) and no process of the container is
 * left; {@code destroyRequested} never goes back to false.
 */
final class ProcessContainer {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessContainer.class);

  /** How often an ending container looks for processes that are left. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  enum State { LAUNCHING, RUNNING, ENDING, ENDED }

  final ContainerId id;
  final ContainerConfig config;
  private final ScheduledExecutorService scheduler;
  private final Consumer<ProcessContainer> onEnded;

  final CompletableFuture<ContainerStatus> launched = new CompletableFuture<>();
  final CompletableFuture<ContainerTermination> terminated = new CompletableFuture<>();

  // Guarded by this.
  private State state = State.LAUNCHING;
  private Isolation.Processes processes;
  private ContainerTermination.Limitation limitation;
  private boolean destroyRequested;
  private Duration graceDuringLaunch;
  private boolean destroyedBeforeExit;
  private boolean topExited;
  /** The top process's exit status once it exited, empty if unknown; null before. */
  private OptionalInt exitStatus;
  private boolean killing;
  private ScheduledFuture<?> poller;
  /** Set by {@link #abandon()}: the container is left to a later run of the agent; never reset. */
  private volatile boolean abandoned;

  ProcessContainer(ContainerConfig config, ScheduledExecutorService scheduler, Consumer<ProcessContainer> onEnded) {
    this.id = config.containerId();
    this.config = config;
    this.scheduler = scheduler;
    this.onEnded = onEnded;
  }

  synchronized boolean hasEnded() {
    return state == State.ENDED;
  }

  /**
   * A container that a previous run of the agent launched, whose processes {@code isolation}
   * found again ({@link Isolation#reattach}): RUNNING at once, and watched like one launched here
   * from {@link #watch()} on, which completes its launch with the top process's pid.
   */
  static ProcessContainer recovered(ContainerConfig config, Isolation.Processes found,
      ScheduledExecutorService scheduler, Consumer<ProcessContainer> onEnded) {
    ProcessContainer c = new ProcessContainer(config, scheduler, onEnded);
    synchronized (c) {
      c.processes = found;
      c.state = State.RUNNING;
    }
    LOG.info("container {}: re-adopted pid {}", c.id, found.topPid());
    return c;
  }

  /** Starts watching a {@link #recovered} container; once, after it is registered. */
  void watch() {
    Isolation.Processes running;
    synchronized (this) {
      running = processes;
    }
    watch(running);
  }

  /** Starts the top process, marked with {@code markerName=markerValue}; on the scheduler. */
  void start(Isolation isolation, String markerName, String markerValue) {
    synchronized (this) {
      if (state != State.LAUNCHING) {
        throw new IllegalStateException("container " + id + " started twice (state " + state + ")");
      }
      if (destroyRequested) {
        endWithoutProcess(new IOException("container " + id + " was destroyed while launching"), true);
        return;
      }
    }
    Isolation.Processes started;
    try {
      started = isolation.start(config, markerName, markerValue);
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.info("container {}: launch failed: {}", id, e.getMessage());
      endWithoutProcess(new IOException("Failed to launch container " + id + ": " + e.getMessage(), e), false);
      return;
    }
    Duration grace;
    synchronized (this) {
      processes = started;
      state = State.RUNNING;
      grace = destroyRequested ? graceDuringLaunch : null;
    }
    LOG.info("container {}: started pid {}", id, started.topPid());
    watch(started);
    if (grace != null) {
      beginDestroy(grace);
    }
  }

  /** Watches the top process for its exit and completes the launch; once RUNNING. */
  private void watch(Isolation.Processes running) {
    // A child's exit comes once it is reaped (its exit status known); another process's is polled.
    running.exit().whenCompleteAsync((status, error) -> onTopExit(status), this::runOnScheduler);
    launched.complete(new ContainerStatus(id, running.topPid()));
  }

  /**
   * Asks the container to stop: SIGTERM to all its processes, SIGKILL after {@code grace}.
   * Idempotent; a shorter grace given later brings the SIGKILL forward.
   */
  CompletableFuture<ContainerTermination> destroy(Duration grace) {
    boolean begin = false;
    synchronized (this) {
      switch (state) {
        case LAUNCHING -> {
          destroyRequested = true;
          graceDuringLaunch = graceDuringLaunch == null || grace.compareTo(graceDuringLaunch) < 0 ? grace : graceDuringLaunch;
        }
        case RUNNING -> {
          destroyRequested = true;
          begin = true;
        }
        case ENDING -> {
          if (destroyRequested && !killing) {
            scheduleKill(grace); // a shorter grace brings the kill forward; a longer one is harmless
          }
        }
        case ENDED -> { }
        default -> throw new AssertionError(state);
      }
    }
    if (begin) {
      beginDestroy(grace);
    }
    return terminated;
  }

  private void beginDestroy(Duration grace) {
    synchronized (this) {
      if (state != State.RUNNING) {
        return; // the top process exited meanwhile: its exit path cleans up
      }
      state = State.ENDING;
      destroyedBeforeExit = true;
    }
    LOG.info("container {}: destroying with a grace period of {}", id, grace);
    if (grace.isZero()) {
      kill();
    } else {
      processes.signal(false);
      scheduleKill(grace);
    }
    startPolling();
  }

  private void scheduleKill(Duration grace) {
    if (grace.isZero()) {
      runOnScheduler(this::kill);
    } else {
      try {
        scheduler.schedule(this::kill, grace.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        kill(); // the containerizer is closing: no grace
      }
    }
  }

  /** SIGKILL to every process of the container; from now on each poll repeats it. */
  /**
   * Stops watching the container without touching its processes, as an agent that dies does:
   * from now on no callback, timer or poll of this container signals, removes or completes
   * anything. For tests of recovery.
   */
  void abandon() {
    abandoned = true;
    synchronized (this) {
      if (poller != null) {
        poller.cancel(false);
      }
    }
  }

  private void kill() {
    if (abandoned) {
      return;
    }
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      if (!killing) {
        LOG.info("container {}: sending SIGKILL to all its processes", id);
      }
      killing = true;
    }
    processes.signal(true);
  }

  /**
   * Ends the container at once (SIGKILL, no grace) if it has hit a resource limit; on the
   * containerizer's watcher. Does nothing unless it runs.
   */
  void checkLimits() {
    Isolation.Processes p;
    synchronized (this) {
      if (state != State.RUNNING || limitation != null) {
        return;
      }
      p = processes;
    }
    Optional<ContainerTermination.Limitation> hit = p.limitation();
    if (hit.isEmpty()) {
      return;
    }
    synchronized (this) {
      if (limitation != null) {
        return;
      }
      limitation = hit.get();
    }
    LOG.info("container {}: {}: killing it", id, hit.get().message());
    beginDestroy(Duration.ZERO);
  }

  /** What it uses now; empty unless it runs. */
  Optional<dev.agora.core.container.ResourceUsage> usage() {
    Isolation.Processes p;
    synchronized (this) {
      if (state != State.RUNNING && state != State.ENDING) {
        return Optional.empty();
      }
      p = processes;
    }
    return Optional.of(p.usage());
  }

  private void onTopExit(OptionalInt status) {
    if (abandoned) {
      return;
    }
    OptionalInt known = status == null ? OptionalInt.empty() : status;
    synchronized (this) {
      topExited = true;
      exitStatus = known;
      if (state == State.RUNNING) {
        state = State.ENDING;
      }
    }
    if (known.isPresent()) {
      LOG.info("container {}: top process exited with {}", id, known.getAsInt());
    } else {
      LOG.info("container {}: top process {} exited; its exit status is unknown", id, processes.topPid());
    }
    kill(); // what it left behind does not outlive it, even within a grace period
    startPolling();
  }

  private void startPolling() {
    synchronized (this) {
      if (poller != null || state == State.ENDED) {
        return;
      }
      try {
        poller = scheduler.scheduleWithFixedDelay(
            this::poll, 0, POLL_INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        LOG.error("container {}: cannot watch its processes, the containerizer is closed", id);
      }
    }
  }

  private void poll() {
    if (abandoned) {
      return;
    }
    try {
      boolean kill;
      synchronized (this) {
        if (state == State.ENDED) {
          return;
        }
        kill = killing;
      }
      if (!processes.isEmpty()) {
        if (kill) {
          processes.signal(true); // catches children forked since the last round
        }
        return;
      }
      synchronized (this) {
        if (!topExited) {
          return; // exited but not reaped yet: the exit callback comes
        }
      }
      end();
    } catch (RuntimeException e) {
      LOG.error("container {}: failed to check its processes", id, e);
    }
  }

  private void end() {
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
    }
    // A limit may have ended the top process before the watcher saw it (an OOM kill of pid 1).
    Optional<ContainerTermination.Limitation> last = processes.limitation();
    processes.release();
    ContainerTermination termination;
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      state = State.ENDED;
      if (poller != null) {
        poller.cancel(false);
      }
      if (limitation == null && last.isPresent()) {
        limitation = last.get();
      }
      OptionalInt exitValue = exitStatus == null ? OptionalInt.empty() : exitStatus;
      if (exitValue.isEmpty()) {
        termination = unknownStatus(id, destroyedBeforeExit && limitation == null, Optional.ofNullable(limitation));
      } else if (limitation != null) {
        termination = limited(id, exitValue.getAsInt(), limitation);
      } else {
        termination = termination(id, exitValue.getAsInt(), destroyedBeforeExit);
      }
    }
    LOG.info("container {}: ended: {}{}", id, termination.message(), termination.destroyed() ? " (destroyed)" : "");
    terminated.complete(termination);
    onEnded.accept(this);
  }

  private void endWithoutProcess(IOException cause, boolean destroyed) {
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      state = State.ENDED;
    }
    launched.completeExceptionally(cause);
    terminated.complete(new ContainerTermination(
        id, OptionalInt.empty(), OptionalInt.empty(), destroyed, Optional.empty(),
        destroyed ? "Container destroyed while launching" : "Container launch failed: " + cause.getMessage()));
    onEnded.accept(this);
  }

  /**
   * The termination of a re-adopted container, whose exit status is unknown (its top process was
   * no child of this JVM): neither exit code nor signal.
   */
  static ContainerTermination unknownStatus(ContainerId id, boolean destroyed,
      Optional<ContainerTermination.Limitation> limitation) {
    String message = limitation.map(ContainerTermination.Limitation::message)
        .orElse(destroyed ? "Command destroyed after the agent restarted"
            : "Command exited after the agent restarted; its exit status is unknown");
    return new ContainerTermination(id, OptionalInt.empty(), OptionalInt.empty(), destroyed, limitation, message);
  }

  /** The termination of a container killed for hitting a limit: not destroyed, with the limitation. */
  static ContainerTermination limited(ContainerId id, int exitValue, ContainerTermination.Limitation limitation) {
    ContainerTermination plain = termination(id, exitValue, false);
    return new ContainerTermination(id, plain.exitCode(), plain.signal(), false, Optional.of(limitation),
        limitation.message());
  }

  /**
   * The termination for a top process that exited with {@code exitValue} as the JDK reports it:
   * for a process killed by signal n, the JDK reports 128 + n, the same number a shell reports
   * for a child killed by n; so values in 129..192 are taken as signals.
   */
  static ContainerTermination termination(ContainerId id, int exitValue, boolean destroyed) {
    if (exitValue > 128 && exitValue <= 128 + Signals.MAX) {
      int signal = exitValue - 128;
      return new ContainerTermination(id, OptionalInt.empty(), OptionalInt.of(signal), destroyed, Optional.empty(),
          "Command terminated by signal " + Signals.name(signal));
    }
    return new ContainerTermination(id, OptionalInt.of(exitValue), OptionalInt.empty(), destroyed, Optional.empty(),
        "Command exited with status " + exitValue);
  }

  private void runOnScheduler(Runnable task) {
    if (abandoned) {
      return;
    }
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // closing: run here rather than lose the step
    }
  }
}
