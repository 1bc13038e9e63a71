package dev.agora.examples.cli;

import dev.agora.core.coordination.LeaderElector;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LeaderElector} that ends the process when a term it held ends, as a Mesos master does
 * ("lost leadership... committing suicide"): a deposed master must not keep its in-memory
 * registry, which a later term would act on (Marathon #1553). The master hears
 * {@code notLeader()} first (it stops acting at once, on its loop), then {@code exit} is called
 * with {@link #EXIT_CODE}. Losing a candidacy that never led, and the {@code notLeader()} of {@link #close()}, do not
 * exit.
 *
 * <p>Concurrency: thread-safe, as the elector it wraps. Ownership: owns the wrapped elector.
 */
final class ExitWhenDeposed implements LeaderElector {
  private static final Logger LOG = LoggerFactory.getLogger(ExitWhenDeposed.class);

  /** The status a deposed master exits with. */
  static final int EXIT_CODE = 3;

  private final LeaderElector delegate;
  private final IntConsumer exit;
  private final AtomicBoolean led = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean exiting = new AtomicBoolean();

  /**
   * @param delegate the real elector
   * @param exit ends the process; called on the listener's executor (the master's loop), so it
   *     must not wait there: {@link #systemExit} exits on a thread of its own, letting the shutdown
   *     hook close the master on its loop
   */
  ExitWhenDeposed(LeaderElector delegate, IntConsumer exit) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.exit = Objects.requireNonNull(exit, "exit");
  }

  /** Calls {@code System.exit(status)} on a new thread and returns at once. */
  static void systemExit(int status) {
    Thread t = new Thread(() -> System.exit(status), "agora-master-deposed");
    t.setDaemon(false);
    t.start();
  }

  @Override
  public void start(Listener listener, Executor executor) {
    Objects.requireNonNull(listener, "listener");
    delegate.start(new Listener() {
      @Override
      public void isLeader(long epoch) {
        led.set(true);
        listener.isLeader(epoch);
      }

      @Override
      public void notLeader() {
        listener.notLeader();
        if (led.get() && !closing.get() && exiting.compareAndSet(false, true)) {
          LOG.error("this master lost its leadership (ZooKeeper session suspended or lost); it exits with"
              + " status {} rather than keep a registry a later term could act on; restart it to stand again",
              EXIT_CODE);
          exit.accept(EXIT_CODE);
        }
      }
    }, executor);
  }

  @Override
  public void close() {
    closing.set(true);
    delegate.close();
  }
}
