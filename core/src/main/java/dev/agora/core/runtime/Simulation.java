package dev.agora.core.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deterministic world with virtual time: any number of {@link EventLoop}s (a master, thousands
 * of agents, frameworks) run on the caller's thread, one task at a time, ordered by virtual time
 * and then by posting order. Nothing happens until the test calls {@link #runUntilIdle()} or
 * {@link #advance(Duration)}, and the same seed and calls give the same run.
 *
 * <p>Concurrency: confined to one driving thread, except {@link EventLoop#execute} from another
 * thread (say, a real process exiting), which lands in a concurrent inbox and runs at the current
 * virtual time on the next drive; such runs are deterministic only in what the simulation controls.
 *
 * <p>Invariants: virtual time never goes backwards; a task never runs before its due time.
 */
public final class Simulation implements Clock {
  private static final Logger LOG = LoggerFactory.getLogger(Simulation.class);
  /** Virtual time starts here, so timestamps are stable across runs. */
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private final Random random;
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private final ConcurrentLinkedQueue<Event> inbox = new ConcurrentLinkedQueue<>();
  private volatile Thread driver;
  private volatile long now;
  private long seq;
  private long executed;
  private final java.util.List<Throwable> failures = new java.util.ArrayList<>();

  /** A simulation whose randomness (fault injection, jitter) comes from {@code seed}. */
  public Simulation(long seed) {
    this.random = new Random(seed);
  }

  /** The seeded randomness every simulated component must draw from. */
  public Random random() {
    return random;
  }

  /** A new loop in this world. */
  public EventLoop newLoop(String name) {
    return new SimLoop(name);
  }

  @Override
  public Instant instant() {
    return EPOCH.plusNanos(now);
  }

  @Override
  public long nanoTime() {
    return now;
  }

  /** How long virtual time has run. */
  public Duration elapsed() {
    return Duration.ofNanos(now);
  }

  /** How many tasks have run, for tests that check a run did work. */
  public long executedTasks() {
    return executed;
  }

  /**
   * What tasks threw, in order. A task that throws is a bug in the actor it ran on; tests assert
   * this list is empty so that no failure hides in a log.
   */
  public java.util.List<Throwable> failures() {
    return java.util.List.copyOf(failures);
  }

  /** Runs every task due now, including those they post, without moving time. */
  public void runUntilIdle() {
    runUpTo(now);
  }

  /** Moves time forward by {@code duration}, running every task in time order as it falls due. */
  public void advance(Duration duration) {
    long target = now + ThreadEventLoop.saturatedNanos(duration);
    runUpTo(target);
    now = Math.max(now, target);
  }

  /**
   * Advances until {@code condition} holds, stepping to each next due task, for at most
   * {@code limit} of virtual time.
   *
   * @return whether the condition came to hold
   */
  public boolean advanceUntil(BooleanSupplier condition, Duration limit) {
    long end = now + ThreadEventLoop.saturatedNanos(limit);
    runUntilIdle();
    while (!condition.getAsBoolean()) {
      drainInbox();
      Event next = queue.peek();
      if (next == null || next.due > end) {
        now = Math.max(now, end);
        return condition.getAsBoolean();
      }
      runUpTo(next.due);
    }
    return true;
  }

  private void runUpTo(long target) {
    driver = Thread.currentThread();
    drainInbox();
    while (true) {
      Event e = queue.peek();
      if (e == null || e.due > target) {
        drainInbox();
        e = queue.peek();
        if (e == null || e.due > target) {
          return;
        }
      }
      queue.poll();
      if (e.cancelled || e.loop.shutdown) {
        continue;
      }
      now = Math.max(now, e.due);
      executed++;
      try {
        e.task.run();
      } catch (RuntimeException | AssertionError ex) {
        LOG.error("task on simulated loop {} failed", e.loop.name, ex);
        failures.add(ex);
      }
    }
  }

  private void drainInbox() {
    Event e;
    while ((e = inbox.poll()) != null) {
      e.due = now + e.delay;
      e.seq = seq++;
      queue.add(e);
    }
  }

  private void post(SimLoop loop, long delay, Runnable task, Event event) {
    event.delay = delay;
    if (Thread.currentThread() == driver || driver == null) {
      event.due = now + delay;
      event.seq = seq++;
      queue.add(event);
    } else {
      inbox.add(event);
    }
  }

  private final class SimLoop implements EventLoop {
    final String name;
    volatile boolean shutdown;

    SimLoop(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Clock clock() {
      return Simulation.this;
    }

    @Override
    public void execute(Runnable task) {
      if (!shutdown) {
        post(this, 0, task, new Event(this, task));
      }
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      Event e = new Event(this, task);
      if (!shutdown) {
        post(this, ThreadEventLoop.saturatedNanos(delay), task, e);
      }
      return e;
    }

    @Override
    public boolean inLoop() {
      return Thread.currentThread() == driver;
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }
  }

  private static final class Event implements Cancellable, Comparable<Event> {
    final SimLoop loop;
    final Runnable task;
    long due;
    long delay;
    long seq;
    volatile boolean cancelled;

    Event(SimLoop loop, Runnable task) {
      this.loop = loop;
      this.task = task;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Event o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
