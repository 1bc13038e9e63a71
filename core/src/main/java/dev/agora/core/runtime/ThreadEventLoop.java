package dev.agora.core.runtime;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventLoop} on its own thread, draining a JCTools MPSC queue.
 *
 * <p>Concurrency: producers on any thread offer to the lock-free mailbox and unpark the loop
 * thread; only the loop thread polls it and touches the timer heap, so timers scheduled from
 * other threads are first posted as tasks. Invariants: the timer heap is ordered by deadline,
 * then by insertion; a cancelled timer never runs once cancelled on the loop.
 */
public final class ThreadEventLoop implements EventLoop {
  private static final Logger LOG = LoggerFactory.getLogger(ThreadEventLoop.class);

  private final String name;
  private final Clock clock;
  private final MpscUnboundedArrayQueue<Runnable> mailbox = new MpscUnboundedArrayQueue<>(1024);
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private long timerSeq;

  private ThreadEventLoop(String name, Clock clock, ThreadFactory threadFactory) {
    this.name = name;
    this.clock = clock;
    this.thread = threadFactory.newThread(this::run);
    thread.setName(name);
  }

  /**
   * Starts a loop on a new thread from {@code threadFactory}.
   *
   * @param name the loop and thread name
   * @param clock the clock its timers follow
   * @param threadFactory where its one thread comes from
   */
  public static ThreadEventLoop start(String name, Clock clock, ThreadFactory threadFactory) {
    ThreadEventLoop loop = new ThreadEventLoop(name, clock, threadFactory);
    loop.thread.start();
    return loop;
  }

  /** A loop on a daemon thread with the system clock. */
  public static ThreadEventLoop start(String name) {
    return start(name, Clock.system(), r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public int pendingTasks() {
    return mailbox.size();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public void execute(Runnable task) {
    if (!running.get()) {
      return;
    }
    mailbox.offer(task);
    LockSupport.unpark(thread);
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    long deadline = clock.nanoTime() + saturatedNanos(delay);
    Timer timer = new Timer(deadline, task);
    if (inLoop()) {
      timer.seq = timerSeq++;
      timers.add(timer);
    } else {
      execute(() -> {
        timer.seq = timerSeq++;
        timers.add(timer);
      });
    }
    return timer;
  }

  static long saturatedNanos(Duration d) {
    try {
      return Math.max(0, d.toNanos());
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }

  @Override
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void shutdown() {
    if (running.compareAndSet(true, false)) {
      LockSupport.unpark(thread);
      if (!inLoop()) {
        try {
          thread.join(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private void run() {
    while (running.get()) {
      Runnable task;
      int n = 0;
      while (running.get() && n < 4096 && (task = mailbox.poll()) != null) {
        runSafely(task);
        n++;
      }
      long now = clock.nanoTime();
      while (running.get() && !timers.isEmpty() && timers.peek().deadline <= now) {
        Timer t = timers.poll();
        if (!t.cancelled) {
          runSafely(t.task);
        }
      }
      if (!running.get()) {
        break;
      }
      if (mailbox.isEmpty()) {
        if (timers.isEmpty()) {
          LockSupport.park(this);
        } else {
          long wait = timers.peek().deadline - clock.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(this, wait);
          }
        }
      }
    }
    mailbox.clear();
    timers.clear();
  }

  private void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | AssertionError e) {
      LOG.error("task on loop {} failed", name, e);
    }
  }

  private static final class Timer implements Cancellable, Comparable<Timer> {
    final long deadline;
    final Runnable task;
    long seq;
    volatile boolean cancelled;

    Timer(long deadline, Runnable task) {
      this.deadline = deadline;
      this.task = task;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(deadline, o.deadline);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
