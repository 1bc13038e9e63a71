package dev.agora.core.coordination;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A helper for {@link StateStore} implementations: a store whose writes take a fence (0 for none,
 * else the writer's epoch) implements the two fenced methods, and gets the unfenced ones and
 * {@link #fenced} from here. Thread-safety is the implementation's; the view adds no state.
 */
public interface FenceableStore extends StateStore {
  /** {@link #compareAndSet(String, byte[], long)}, refused if an epoch above {@code fence} began. */
  Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion, long fence);

  /** {@link #delete(String, long)}, refused if an epoch above {@code fence} began. */
  boolean delete(String key, long expectedVersion, long fence);

  @Override
  default Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
    return compareAndSet(key, value, expectedVersion, 0);
  }

  @Override
  default boolean delete(String key, long expectedVersion) {
    return delete(key, expectedVersion, 0);
  }

  @Override
  default StateStore fenced(long epoch) {
    StateStore.checkEpoch(epoch);
    return new View(this, epoch);
  }

  /** The fenced view: reads pass through, writes carry the fence. Closing it does nothing. */
  final class View implements StateStore {
    private final FenceableStore store;
    private final long fence;

    View(FenceableStore store, long fence) {
      this.store = store;
      this.fence = fence;
    }

    @Override
    public Optional<Versioned> get(String key) {
      return store.get(key);
    }

    @Override
    public Map<String, Versioned> getAll(Collection<String> keys) {
      return store.getAll(keys);
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      return store.compareAndSet(key, value, expectedVersion, fence);
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
      return store.delete(key, expectedVersion, fence);
    }

    @Override
    public List<String> keys(String prefix) {
      return store.keys(prefix);
    }

    @Override
    public Optional<SortedMap<String, Long>> stamps(String prefix) {
      return store.stamps(prefix);
    }

    @Override
    public long epoch() {
      return store.epoch();
    }

    @Override
    public boolean beginEpoch(long epoch) {
      return store.beginEpoch(epoch);
    }

    @Override
    public StateStore fenced(long epoch) {
      return store.fenced(epoch);
    }

    @Override
    public String toString() {
      return store + " fenced at epoch " + fence;
    }
  }
}
