package dev.agora.core.coordination;

import java.util.List;
import java.util.Optional;

/**
 * Durable key-value state with versioned compare-and-set writes: the master's registry and the
 * services' definitions live here.
 *
 * <p>Concurrency: thread-safe; methods may block on I/O, so actors call them off their loop.
 * Keys are '/'-separated paths of ids.
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
   * Writes {@code value} if the key's current version is {@code expectedVersion} (-1: the key
   * must not exist).
   *
   * @return the new version, or empty if the expectation failed (nothing was written)
   */
  Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion);

  /** Deletes {@code key} if at {@code expectedVersion}; returns whether it was deleted. */
  boolean delete(String key, long expectedVersion);

  /** The keys directly or indirectly under {@code prefix}, sorted. */
  List<String> keys(String prefix);

  /** Releases resources. Idempotent. */
  @Override
  default void close() {}
}
