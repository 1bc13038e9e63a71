package dev.agora.core.coordination;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@link StateStore} in memory, for one master that need not survive a restart and for tests.
 *
 * <p>Concurrency: thread-safe; every method holds the store's monitor (the store is shared by
 * whoever is given it), so a fenced write's epoch check and the write are one atomic step.
 * Invariants: versions of a key grow by one per write; {@code epoch} never decreases; a key's
 * stamp is the store's write count at its last write (so it never repeats, even for a key deleted
 * and written again), and {@code stamps} holds exactly the keys of {@code values}.
 */
public final class InMemoryStateStore implements FenceableStore {
  private final TreeMap<String, Versioned> values = new TreeMap<>();
  private final TreeMap<String, Long> stamps = new TreeMap<>();
  private long writeCount;
  private long epoch;

  @Override
  public synchronized Optional<Versioned> get(String key) {
    StateStore.checkKey(key);
    Versioned v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(new Versioned(v.value().clone(), v.version()));
  }

  @Override
  public synchronized Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion, long fence) {
    StateStore.checkKey(key);
    java.util.Objects.requireNonNull(value, "value");
    Versioned current = values.get(key);
    long version = current == null ? -1 : current.version();
    if (version != expectedVersion || fence < epoch && fence != 0) {
      return Optional.empty();
    }
    values.put(key, new Versioned(value.clone(), version + 1));
    stamps.put(key, ++writeCount);
    return Optional.of(version + 1);
  }

  @Override
  public synchronized boolean delete(String key, long expectedVersion, long fence) {
    StateStore.checkKey(key);
    Versioned current = values.get(key);
    if (current == null || current.version() != expectedVersion || fence < epoch && fence != 0) {
      return false;
    }
    values.remove(key);
    stamps.remove(key);
    writeCount++;
    return true;
  }

  @Override
  public synchronized List<String> keys(String prefix) {
    java.util.Objects.requireNonNull(prefix, "prefix");
    List<String> out = new ArrayList<>();
    for (String k : values.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      out.add(k);
    }
    return out;
  }

  @Override
  public synchronized Optional<SortedMap<String, Long>> stamps(String prefix) {
    java.util.Objects.requireNonNull(prefix, "prefix");
    TreeMap<String, Long> out = new TreeMap<>();
    for (Map.Entry<String, Long> e : stamps.tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.put(e.getKey(), e.getValue());
    }
    return Optional.of(Collections.unmodifiableSortedMap(out));
  }

  @Override
  public synchronized long epoch() {
    return epoch;
  }

  @Override
  public synchronized boolean beginEpoch(long value) {
    StateStore.checkEpoch(value);
    if (value < epoch) {
      return false;
    }
    epoch = value;
    return true;
  }
}
