package dev.agora.core.coordination;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Durable key-value state with versioned compare-and-set writes and leader fencing: the master's
 * registry and the services' definitions live here.
 *
 * <p>Concurrency: thread-safe; methods may block on I/O, so actors call them off their loop.
 * Keys are '/'-separated paths of ids (see {@link #checkKey}); a key may be a prefix of another
 * ({@code a} and {@code a/b} are two independent keys).
 *
 * <p>Fencing: every leadership term has an epoch (see {@link LeaderElector.Listener#isLeader}).
 * {@link #beginEpoch} records that a term began; a leader writes through {@link #fenced}{@code
 * (epoch)}, whose writes are refused, atomically with the write itself, once a higher epoch has
 * begun. A deposed leader that wakes up late therefore cannot overwrite its successor's state.
 *
 * <p>Failures: an unreachable backend (for example a ZooKeeper ensemble without quorum) makes a
 * method throw {@link StateStoreException} after the store's own retries; nothing is written then
 * unless the store says otherwise.
 */
public interface StateStore extends AutoCloseable {

  /**
   * A stored value and its version.
   *
   * @param value the bytes
   * @param version increments with every write of the key, starting at 0 for the first
   */
  record Versioned(byte[] value, long version) {}

  /** The value at {@code key}, if any. */
  Optional<Versioned> get(String key);

  /**
   * The values of those of {@code keys} that exist, by key, in the order given. A store may read
   * the keys concurrently (the ZooKeeper store sends every read at once, so that reading many keys
   * costs about one round trip, not one per key): each value is one its key held at some moment
   * during the call, not one snapshot of all keys. Blocks like {@link #get}; the default reads the
   * keys one after another with {@link #get}.
   */
  default Map<String, Versioned> getAll(Collection<String> keys) {
    Map<String, Versioned> out = new LinkedHashMap<>();
    for (String key : keys) {
      get(key).ifPresent(v -> out.put(key, v));
    }
    return out;
  }

  /**
   * The keys that start with {@code prefix} (as {@link #keys}), sorted, each with its change stamp,
   * read without reading any value: a cheap "what changed?" before {@link #getAll} of only the keys
   * whose stamp moved.
   *
   * <p>A key's stamp differs from every earlier stamp of that key after each write of it, a delete
   * and re-creation included (unlike {@link Versioned#version}, which starts at 0 again); a read of
   * the key made after its stamp was read returns that write's value or a later one. Stamps of
   * different keys, or of different stores, are not to be compared. So a caller that keeps a
   * value with the stamp read before it may skip re-reading the key while its stamp stays the same,
   * and re-reads at worst once too often.
   *
   * <p>Blocks like {@link #keys}; thread-safe. Never null. Empty if this store cannot tell stamps
   * without reading values (the default): callers then read the values themselves.
   */
  default Optional<SortedMap<String, Long>> stamps(String prefix) {
    java.util.Objects.requireNonNull(prefix, "prefix");
    return Optional.empty();
  }

  /**
   * Writes {@code value} if the key's current version is {@code expectedVersion} (-1: the key
   * must not exist).
   *
   * @return the new version, or empty if the expectation failed (nothing was written)
   */
  Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion);

  /** Deletes {@code key} if at {@code expectedVersion}; returns whether it was deleted. */
  boolean delete(String key, long expectedVersion);

  /**
   * The keys that start with {@code prefix} ({@code ""}: every key), sorted. A prefix is a plain
   * string prefix: {@code "agents/a"} matches {@code agents/a1} and {@code agents/a/x}.
   */
  List<String> keys(String prefix);

  /** The highest leadership epoch begun in this store; 0 if none has begun. */
  long epoch();

  /**
   * Records that the leadership term {@code epoch} began: from now on, writes fenced with a lower
   * epoch are refused. Idempotent; epochs never go back.
   *
   * @return true if {@code epoch} is now the store's epoch; false if a higher one had begun
   *     (nothing changes then)
   * @throws IllegalArgumentException if {@code epoch < 1}
   */
  boolean beginEpoch(long epoch);

  /**
   * A view of this store for the leader of {@code epoch}. Reads pass through. Its {@code
   * compareAndSet} returns empty and its {@code delete} false, writing nothing, when an epoch
   * higher than {@code epoch} has begun; the check is atomic with the write. Closing the view does
   * nothing.
   *
   * @throws IllegalArgumentException if {@code epoch < 1}
   */
  StateStore fenced(long epoch);

  /** Releases resources. Idempotent. */
  @Override
  default void close() {}

  /**
   * Checks a key: non-empty '/'-separated segments, none of them {@code .} or {@code ..}, no
   * leading or trailing '/', no control characters and none that ZooKeeper forbids in names
   * (U+D800–U+F8FF, U+FFF0–U+FFFF).
   *
   * @throws IllegalArgumentException naming the key if it is not valid
   */
  static void checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("//")) {
      throw new IllegalArgumentException("state key '" + key + "' must be a non-empty relative path");
    }
    for (String segment : key.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("state key '" + key + "' must not have a '" + segment + "' segment");
      }
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
        throw new IllegalArgumentException(
            "state key '" + key + "' has a forbidden character U+" + String.format("%04X", (int) c) + " at " + i);
      }
    }
  }

  /**
   * Checks an epoch for {@link #beginEpoch} and {@link #fenced}.
   *
   * @throws IllegalArgumentException naming the epoch if it is below 1
   */
  static void checkEpoch(long epoch) {
    if (epoch < 1) {
      throw new IllegalArgumentException("epoch must be >= 1 but was " + epoch);
    }
  }
}
