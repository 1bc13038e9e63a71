package dev.agora.core.coordination;

import java.util.concurrent.Executor;

/**
 * Elects one leader among masters. A leader holds an epoch that grows with every election; it
 * stamps the epoch on what it writes so that a deposed leader's late writes can be refused.
 *
 * <p>Epochs: every leadership term of an election has its own epoch, greater than that of every
 * earlier term; no two terms share one. A candidate that leads again after {@code notLeader()}
 * does so under a new epoch. A leader should {@link StateStore#beginEpoch begin} its epoch in its
 * store and write through {@link StateStore#fenced}{@code (epoch)}; electors backed by the same
 * service as the store (ZooKeeper) may have begun it already.
 *
 * <p>Leadership ends with {@code notLeader()} as soon as the elector can no longer be sure of it
 * (for ZooKeeper: the moment the session is suspended, before any other candidate can be
 * elected), on {@link #close}, and never silently.
 *
 * <p>Concurrency: thread-safe. Listener calls arrive on the given executor and admit races: by
 * the time {@link Listener#isLeader} runs, leadership may already be lost; a
 * {@link Listener#notLeader} call follows then.
 */
public interface LeaderElector extends AutoCloseable {

  /** Hears about leadership. Called on the executor given to {@link #start}. */
  interface Listener {
    /** This process leads, under {@code epoch} ({@code >= 1}). May follow a {@code notLeader()}. */
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
