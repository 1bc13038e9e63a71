package dev.agora.core.runtime;

import java.time.Instant;

/**
 * The source of time for every component. Library code never reads the system clock directly:
 * it takes a {@code Clock}, so that the same code runs on real time and in a {@link Simulation}
 * with virtual time.
 *
 * <p>Implementations are thread-safe.
 */
public interface Clock {
  /** Wall-clock time, for timestamps people read. */
  Instant instant();

  /** A monotonic reading in nanoseconds, for measuring intervals; only differences mean anything. */
  long nanoTime();

  /** The real system clock. */
  static Clock system() {
    return SystemClock.INSTANCE;
  }
}

/** The real clock: the only place that reads system time. */
final class SystemClock implements Clock {
  static final SystemClock INSTANCE = new SystemClock();

  @Override
  public Instant instant() {
    return Instant.now();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }
}
