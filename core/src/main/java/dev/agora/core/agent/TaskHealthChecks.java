package dev.agora.core.agent;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.Containerizer;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the health checks of an agent's tasks next to them, with Mesos' semantics (see
 * {@link HealthCheck}): the first probe {@code delay} after the task runs, then one every
 * {@code interval}; a probe still unanswered after {@code timeout} fails; failures before the first
 * success within {@code gracePeriod} are ignored; a change of health is reported once; after
 * {@code consecutiveFailures} failures in a row the task is killed.
 *
 * <p>Safety valve: health kills on one agent are rate limited ({@code maxKills} per {@code per}); a
 * kill refused by the limit is tried again at the next failed probe, and not at all if the task
 * recovers meanwhile. An overloaded agent whose probes all time out thus kills its tasks slowly,
 * not all at once (the failure Marathon's leader-side checks had, marathon#3317).
 *
 * <p>Concurrency: every method runs on {@code loop} (the agent's); probes run on the
 * containerizer's threads and hop back. Invariants: at most one probe of a task in flight; a
 * stopped task's late probe results are dropped (each check has a sequence number).
 */
final class TaskHealthChecks {
  private static final Logger LOG = LoggerFactory.getLogger(TaskHealthChecks.class);

  /** What the agent does with the results; called on the loop. */
  interface Listener {
    /** The task's health changed (first result included). */
    void healthChanged(TaskId taskId, boolean healthy, String message);

    /** The task failed {@code consecutiveFailures} checks in a row and the rate limit allows a kill. */
    void kill(TaskId taskId, String message);
  }

  private final EventLoop loop;
  private final Containerizer containerizer;
  private final Listener listener;
  private final int maxKills;
  private final Duration per;
  private final ArrayDeque<Long> recentKills = new ArrayDeque<>();
  private final Map<TaskId, Check> checks = new HashMap<>();
  private long sequence;

  private final class Check {
    final TaskId taskId;
    final ContainerConfig config;
    final HealthCheck spec;
    final long startedNanos;
    final long id = ++sequence;
    boolean initializing = true;
    int failures;
    Optional<Boolean> reported = Optional.empty();
    Cancellable timer;
    CompletableFuture<Optional<String>> inFlight;
    long probe;
    boolean killed;

    Check(TaskId taskId, ContainerConfig config, HealthCheck spec) {
      this.taskId = taskId;
      this.config = config;
      this.spec = spec;
      this.startedNanos = loop.clock().nanoTime();
    }
  }

  TaskHealthChecks(EventLoop loop, Containerizer containerizer, int maxKills, Duration per, Listener listener) {
    if (maxKills < 1 || per.isNegative() || per.isZero()) {
      throw new IllegalArgumentException("health kill rate must be >= 1 per positive duration but was " + maxKills
          + " per " + per);
    }
    this.loop = loop;
    this.containerizer = containerizer;
    this.maxKills = maxKills;
    this.per = per;
    this.listener = listener;
  }

  /** Starts checking a task that now runs; replaces a check already running for it. */
  void start(TaskId taskId, ContainerConfig config, HealthCheck spec) {
    stop(taskId);
    Check c = new Check(taskId, config, spec);
    checks.put(taskId, c);
    c.timer = loop.schedule(spec.delay(), () -> probe(c));
  }

  /** Stops checking a task (it ended or is being killed). Idempotent. */
  void stop(TaskId taskId) {
    Check c = checks.remove(taskId);
    if (c != null) {
      if (c.timer != null) {
        c.timer.cancel();
      }
      if (c.inFlight != null) {
        c.inFlight.cancel(true);
      }
    }
  }

  /** Stops every check. */
  void stopAll() {
    List.copyOf(checks.keySet()).forEach(this::stop);
  }

  /** How many tasks are being checked. */
  int size() {
    return checks.size();
  }

  private boolean live(Check c) {
    return checks.get(c.taskId) == c;
  }

  private void probe(Check c) {
    if (!live(c)) {
      return;
    }
    long probe = ++c.probe;
    CompletableFuture<Optional<String>> f;
    try {
      f = containerizer.probe(c.config, c.spec);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    c.inFlight = f;
    Cancellable timeout = loop.schedule(c.spec.timeout(), () -> {
      if (live(c) && c.probe == probe && c.inFlight != null) {
        c.inFlight.cancel(true);
        c.inFlight = null;
        record(c, Optional.of(c.spec.type() + " health check timed out after " + c.spec.timeout()));
      }
    });
    f.whenComplete((result, error) -> loop.execute(() -> {
      if (!live(c) || c.probe != probe || c.inFlight == null) {
        return; // stopped, or timed out already
      }
      timeout.cancel();
      c.inFlight = null;
      Optional<String> failure = error != null ? Optional.of("health check failed: " + error) : result;
      record(c, failure);
    }));
  }

  private void record(Check c, Optional<String> failure) {
    if (failure.isEmpty()) {
      c.failures = 0;
      c.initializing = false;
      report(c, true, "health check passed");
    } else {
      long elapsed = loop.clock().nanoTime() - c.startedNanos;
      if (c.initializing && !c.spec.gracePeriod().isZero() && elapsed <= c.spec.gracePeriod().toNanos()) {
        LOG.debug("task {}: ignoring a failed health check within its grace period: {}", c.taskId, failure.get());
      } else {
        c.failures++;
        report(c, false, failure.get());
        if (c.spec.consecutiveFailures() > 0 && c.failures >= c.spec.consecutiveFailures() && !c.killed) {
          if (allowKill()) {
            c.killed = true;
            String message = "Task killed after " + c.failures + " consecutive failed health checks: " + failure.get();
            LOG.info("task {}: {}", c.taskId, message);
            stop(c.taskId);
            listener.kill(c.taskId, message);
            return;
          }
          LOG.warn("task {} failed {} health checks in a row; its kill waits for the health kill rate limit "
              + "({} per {})", c.taskId, c.failures, maxKills, per);
        }
      }
    }
    if (live(c)) {
      c.timer = loop.schedule(c.spec.interval(), () -> probe(c));
    }
  }

  private void report(Check c, boolean healthy, String message) {
    if (!c.reported.equals(Optional.of(healthy))) {
      c.reported = Optional.of(healthy);
      listener.healthChanged(c.taskId, healthy, message);
    }
  }

  private boolean allowKill() {
    long now = loop.clock().nanoTime();
    while (!recentKills.isEmpty() && now - recentKills.peekFirst() >= per.toNanos()) {
      recentKills.removeFirst();
    }
    if (recentKills.size() >= maxKills) {
      return false;
    }
    recentKills.addLast(now);
    return true;
  }
}
