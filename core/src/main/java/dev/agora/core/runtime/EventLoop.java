package dev.agora.core.runtime;

import java.time.Duration;

/**
 * A single-threaded executor for one actor (a master, an agent, a scheduler driver): tasks run
 * one at a time in the order they were posted, so an actor's state needs no locks as long as it
 * is touched only from its loop.
 *
 * <p>Concurrency: {@link #execute} may be called from any thread; {@link #schedule} and
 * {@link #inLoop} from any thread, though timers are normally scheduled from the loop itself.
 * Tasks must not block: slow work runs elsewhere and posts its result back with {@code execute}.
 * A task that throws is logged and the loop goes on.
 */
public interface EventLoop extends java.util.concurrent.Executor {
  /** The loop's name, for logs and thread names. */
  String name();

  /** The clock this loop's timers follow. */
  Clock clock();

  /** Posts {@code task} to run on the loop after what is already queued. */
  @Override
  void execute(Runnable task);

  /** Runs {@code task} on the loop once {@code delay} has passed on the loop's clock. */
  Cancellable schedule(Duration delay, Runnable task);

  /**
   * Tasks posted and not yet run (a queue depth for metrics; approximate while others post).
   * Callable from any thread. The default, for loops that do not count, is 0.
   */
  default int pendingTasks() {
    return 0;
  }

  /** Whether the caller is running on this loop. */
  boolean inLoop();

  /**
   * Stops the loop: tasks and timers not yet run are dropped. Idempotent. After it returns no
   * task of this loop runs (unless called from the loop itself, which finishes its current task).
   */
  void shutdown();
}
