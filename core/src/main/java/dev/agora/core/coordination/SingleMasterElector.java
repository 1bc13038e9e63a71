package dev.agora.core.coordination;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/** The elector for a lone master: it leads at once, under epoch 1, until closed. Thread-safe. */
public final class SingleMasterElector implements LeaderElector {
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Listener listener;
  private volatile Executor executor;

  @Override
  public void start(Listener listener, Executor executor) {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("elector cannot be started more than once");
    }
    this.listener = listener;
    this.executor = executor;
    executor.execute(() -> listener.isLeader(1));
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && listener != null) {
      Listener l = listener;
      executor.execute(l::notLeader);
    }
  }
}
