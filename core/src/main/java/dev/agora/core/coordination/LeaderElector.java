package dev.agora.core.coordination;

import java.util.concurrent.Executor;

/**
 * Elects one leader among masters. A leader holds an epoch that grows with every election; it
 * stamps the epoch on what it writes so that a deposed leader's late writes can be refused.
 *
 * <p>Concurrency: thread-safe. Listener calls arrive on the given executor and admit races: by
 * the time {@link Listener#isLeader} runs, leadership may already be lost; a
 * {@link Listener#notLeader} call follows then.
 */
public interface LeaderElector extends AutoCloseable {

  /** Hears about leadership. Called on the executor given to {@link #start}. */
  interface Listener {
    /** This process leads, under {@code epoch}. */
    void isLeader(long epoch);

    /** This process no longer leads (or never did): stop acting at once. */
    void notLeader();
  }

  /**
   * Joins the election. May be called once.
   *
   * @throws IllegalStateException if called twice
   */
  void start(Listener listener, Executor executor);

  /** Leaves the election, abdicating if leading. Idempotent. */
  @Override
  void close();
}
