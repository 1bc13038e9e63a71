package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
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
 * One container of a {@link ProcessContainerizer}: its top process, and the state machine from
 * launch to end.
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
 * <p>Invariants: {@code state} only moves forward; {@code process} is set exactly when leaving
 * LAUNCHING for RUNNING; the termination completes once, after the top process has been reaped
 * and no process of the container is left; {@code destroyRequested} never goes back to false.
 */
final class ProcessContainer {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessContainer.class);

  /** How often an ending container looks for processes that are left. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  /** How many milliseconds a launch waits for the new process to start its session. */
  static final int SESSION_WAIT_ROUNDS = 5_000;

  enum State { LAUNCHING, RUNNING, ENDING, ENDED }

  final ContainerId id;
  final ContainerConfig config;
  private final String markerName;
  private final String markerValue;
  private final ScheduledExecutorService scheduler;
  private final ProcessTable table;
  private final Consumer<ProcessContainer> onEnded;

  final CompletableFuture<ContainerStatus> launched = new CompletableFuture<>();
  final CompletableFuture<ContainerTermination> terminated = new CompletableFuture<>();

  // Guarded by this.
  private State state = State.LAUNCHING;
  /** The top process as launched here; null for a container re-adopted after an agent restart. */
  private Process process;
  /** The top process (a child of this JVM, or re-adopted by pid). */
  private ProcessHandle top;
  private boolean destroyRequested;
  private Duration graceDuringLaunch;
  private boolean destroyedBeforeExit;
  private boolean topExited;
  private boolean killing;
  private ScheduledFuture<?> poller;

  ProcessContainer(
      ContainerConfig config,
      String markerName,
      String markerValue,
      ScheduledExecutorService scheduler,
      ProcessTable table,
      Consumer<ProcessContainer> onEnded) {
    this.id = config.containerId();
    this.config = config;
    this.markerName = markerName;
    this.markerValue = markerValue;
    this.scheduler = scheduler;
    this.table = table;
    this.onEnded = onEnded;
  }

  synchronized boolean hasEnded() {
    return state == State.ENDED;
  }

  /** Starts the top process; on the scheduler. */
  void start(Launcher launcher) {
    synchronized (this) {
      if (state != State.LAUNCHING) {
        throw new IllegalStateException("container " + id + " started twice (state " + state + ")");
      }
      if (destroyRequested) {
        endWithoutProcess(new IOException("container " + id + " was destroyed while launching"), true);
        return;
      }
    }
    Process p = null;
    try {
      p = launcher.start(config, markerName, markerValue);
      awaitSession(p);
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      if (p != null) {
        p.destroyForcibly(); // interrupted while it was starting its session: nothing else runs yet
      }
      LOG.info("container {}: launch failed: {}", id, e.getMessage());
      endWithoutProcess(new IOException("Failed to launch container " + id + ": " + e.getMessage(), e), false);
      return;
    }
    Duration grace;
    synchronized (this) {
      process = p;
      top = p.toHandle();
      state = State.RUNNING;
      grace = destroyRequested ? graceDuringLaunch : null;
    }
    LOG.info("container {}: started pid {}", id, p.pid());
    p.onExit().whenCompleteAsync((ignored, error) -> onTopExit(), this::runOnScheduler);
    launched.complete(new ContainerStatus(id, p.pid()));
    if (grace != null) {
      beginDestroy(grace);
    }
  }

  /**
   * A container a previous run of the agent launched, whose top process {@code handle} still runs
   * in its own session: watched from now on like one launched here, except that its exit status
   * is unknown (it is not our child).
   */
  static ProcessContainer recovered(ContainerConfig config, String markerName, String markerValue,
      ProcessHandle handle, ScheduledExecutorService scheduler, ProcessTable table, Consumer<ProcessContainer> onEnded) {
    ProcessContainer c = new ProcessContainer(config, markerName, markerValue, scheduler, table, onEnded);
    synchronized (c) {
      c.top = handle;
      c.state = State.RUNNING;
    }
    LOG.info("container {}: re-adopted pid {}", c.id, handle.pid());
    c.launched.complete(new ContainerStatus(c.id, handle.pid()));
    handle.onExit().whenCompleteAsync((ignored, error) -> c.onTopExit(), c::runOnScheduler);
    return c;
  }

  /**
   * Waits (briefly: until setsid has run) until the new process leads its own session, so that
   * the session holds every descendant it will have. Ends early if the process exits.
   */
  private void awaitSession(Process p) throws InterruptedException {
    for (int i = 0; i < SESSION_WAIT_ROUNDS; i++) {
      Optional<ProcessTable.Stat> stat = table.stat(p.pid());
      if (stat.isEmpty() || stat.get().session() == p.pid() || !stat.get().running()) {
        return;
      }
      if (p.waitFor(1, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
    LOG.warn("container {}: pid {} did not start its own session; only its descendants will be found", id, p.pid());
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
      ProcessTable.signal(members(), false);
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
  private void kill() {
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      if (!killing) {
        LOG.info("container {}: sending SIGKILL to all its processes", id);
      }
      killing = true;
    }
    ProcessTable.signal(members(), true);
  }

  private void onTopExit() {
    synchronized (this) {
      topExited = true;
      if (state == State.RUNNING) {
        state = State.ENDING;
      }
    }
    if (process != null) {
      LOG.info("container {}: top process exited with {}", id, process.exitValue());
    } else {
      LOG.info("container {}: re-adopted top process {} exited", id, top.pid());
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
    try {
      boolean kill;
      synchronized (this) {
        if (state == State.ENDED) {
          return;
        }
        kill = killing;
      }
      List<ProcessHandle> left = members();
      if (!left.isEmpty()) {
        if (kill) {
          ProcessTable.signal(left, true); // catches children forked since the last round
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

  private List<ProcessHandle> members() {
    List<ProcessHandle> members = new java.util.ArrayList<>(table.members(top.pid(), markerName + "=" + markerValue));
    if (top.isAlive() && !members.contains(top)) {
      members.add(top); // our child: it may not have started its session yet
    }
    return members;
  }

  private void end() {
    ContainerTermination termination;
    synchronized (this) {
      if (state == State.ENDED) {
        return;
      }
      state = State.ENDED;
      if (poller != null) {
        poller.cancel(false);
      }
      termination = process != null
          ? termination(id, process.exitValue(), destroyedBeforeExit)
          : new ContainerTermination(id, OptionalInt.empty(), OptionalInt.empty(), destroyedBeforeExit, Optional.empty(),
              destroyedBeforeExit ? "Command destroyed after the agent restarted"
                  : "Command exited after the agent restarted; its exit status is unknown");
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
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // closing: run here rather than lose the step
    }
  }
}
