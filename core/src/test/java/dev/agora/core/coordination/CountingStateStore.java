package dev.agora.core.coordination;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link StateStore} that counts what passes through it to another one: writes (compare-and-set,
 * delete, begin epoch), read-backs (calls of {@code getAll}), values read and their bytes, and
 * stamps read. Its fenced views count into the same counters. Built {@link #withoutStamps}, it
 * hides the inner store's stamps (as a store that has none), so that callers read values instead.
 *
 * <p>Concurrency: thread-safe if the inner store is; the counters are atomic.
 */
public final class CountingStateStore extends ForwardingStateStore {
  /** Writes that reached the store, fenced or not, the epoch's included. */
  public final AtomicLong writes;
  /** Calls of {@code getAll}. */
  public final AtomicLong getAllCalls;
  /** Calls of {@code stamps}: with the master's registry, one per read-back (when the store has stamps). */
  public final AtomicLong stampCalls;
  /** Values returned by {@code get} and {@code getAll}. */
  public final AtomicLong valuesRead;
  /** Bytes of the values returned by {@code get} and {@code getAll} (not counting keys). */
  public final AtomicLong valueBytesRead;
  /** Stamps returned by {@code stamps}. */
  public final AtomicLong stampsRead;
  private final boolean hideStamps;

  public CountingStateStore(StateStore inner) {
    this(inner, false, new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(),
        new AtomicLong());
  }

  private CountingStateStore(StateStore inner, boolean hideStamps, AtomicLong writes, AtomicLong getAllCalls,
      AtomicLong stampCalls, AtomicLong valuesRead, AtomicLong valueBytesRead, AtomicLong stampsRead) {
    super(inner);
    this.hideStamps = hideStamps;
    this.writes = writes;
    this.getAllCalls = getAllCalls;
    this.stampCalls = stampCalls;
    this.valuesRead = valuesRead;
    this.valueBytesRead = valueBytesRead;
    this.stampsRead = stampsRead;
  }

  /** A counting store over {@code inner} that says it has no stamps. */
  public static CountingStateStore withoutStamps(StateStore inner) {
    return new CountingStateStore(inner, true, new AtomicLong(), new AtomicLong(), new AtomicLong(),
        new AtomicLong(), new AtomicLong(), new AtomicLong());
  }

  /** The store counted. */
  public StateStore inner() {
    return inner;
  }

  /** Sets every read counter to 0 (not {@link #writes}). */
  public void resetReads() {
    getAllCalls.set(0);
    stampCalls.set(0);
    valuesRead.set(0);
    valueBytesRead.set(0);
    stampsRead.set(0);
  }

  private Versioned counted(Versioned v) {
    valuesRead.incrementAndGet();
    valueBytesRead.addAndGet(v.value().length);
    return v;
  }

  @Override
  public Optional<Versioned> get(String key) {
    return inner.get(key).map(this::counted);
  }

  @Override
  public Map<String, Versioned> getAll(Collection<String> keys) {
    getAllCalls.incrementAndGet();
    Map<String, Versioned> read = inner.getAll(keys);
    read.values().forEach(this::counted);
    return read;
  }

  @Override
  public Optional<SortedMap<String, Long>> stamps(String prefix) {
    if (hideStamps) {
      return Optional.empty();
    }
    stampCalls.incrementAndGet();
    Optional<SortedMap<String, Long>> read = inner.stamps(prefix);
    read.ifPresent(s -> stampsRead.addAndGet(s.size()));
    return read;
  }

  @Override
  public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
    writes.incrementAndGet();
    return inner.compareAndSet(key, value, expectedVersion);
  }

  @Override
  public boolean delete(String key, long expectedVersion) {
    writes.incrementAndGet();
    return inner.delete(key, expectedVersion);
  }

  @Override
  public boolean beginEpoch(long epoch) {
    writes.incrementAndGet();
    return inner.beginEpoch(epoch);
  }

  @Override
  public StateStore fenced(long epoch) {
    return new CountingStateStore(inner.fenced(epoch), hideStamps, writes, getAllCalls, stampCalls, valuesRead,
        valueBytesRead, stampsRead);
  }

  @Override
  public void close() {
    inner.close();
  }
}
