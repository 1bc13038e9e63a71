package dev.agora.core.coordination;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link StateStore} in memory, for one master that need not survive a restart and for tests.
 * Thread-safe: every method holds the store's monitor (the store is shared by whoever is given it).
 */
public final class InMemoryStateStore implements StateStore {
  private final TreeMap<String, Versioned> values = new TreeMap<>();

  @Override
  public synchronized Optional<Versioned> get(String key) {
    checkKey(key);
    Versioned v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(new Versioned(v.value().clone(), v.version()));
  }

  @Override
  public synchronized Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
    checkKey(key);
    Versioned current = values.get(key);
    long version = current == null ? -1 : current.version();
    if (version != expectedVersion) {
      return Optional.empty();
    }
    values.put(key, new Versioned(value.clone(), version + 1));
    return Optional.of(version + 1);
  }

  @Override
  public synchronized boolean delete(String key, long expectedVersion) {
    checkKey(key);
    Versioned current = values.get(key);
    if (current == null || current.version() != expectedVersion) {
      return false;
    }
    values.remove(key);
    return true;
  }

  @Override
  public synchronized List<String> keys(String prefix) {
    List<String> out = new ArrayList<>();
    for (String k : values.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      out.add(k);
    }
    return out;
  }

  static void checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("//")) {
      throw new IllegalArgumentException("state key '" + key + "' must be a non-empty relative path");
    }
  }
}
