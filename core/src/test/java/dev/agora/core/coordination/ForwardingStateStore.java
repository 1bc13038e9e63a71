package dev.agora.core.coordination;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link StateStore} that passes every call to another, for tests that watch or disturb some
 * calls (count, record, slow down, fail) and override only those. The default methods
 * ({@code getAll}, {@code stamps}) are not forwarded: they run the interface's defaults over this
 * store's {@link #get}, so an override of {@code get} sees them too. {@link #fenced} is left to the
 * subclass, which wraps the inner store's fenced view in its own kind.
 */
public abstract class ForwardingStateStore implements StateStore {
  /** The store calls go to. */
  protected final StateStore inner;

  protected ForwardingStateStore(StateStore inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  @Override
  public Optional<Versioned> get(String key) {
    return inner.get(key);
  }

  @Override
  public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
    return inner.compareAndSet(key, value, expectedVersion);
  }

  @Override
  public boolean delete(String key, long expectedVersion) {
    return inner.delete(key, expectedVersion);
  }

  @Override
  public List<String> keys(String prefix) {
    return inner.keys(prefix);
  }

  @Override
  public long epoch() {
    return inner.epoch();
  }

  @Override
  public boolean beginEpoch(long epoch) {
    return inner.beginEpoch(epoch);
  }
}
