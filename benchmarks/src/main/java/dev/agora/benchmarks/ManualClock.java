package dev.agora.benchmarks;

import dev.agora.core.runtime.Clock;
import java.time.Instant;

/** A clock the benchmark moves by hand, so that filters expire only when a benchmark says so. */
final class ManualClock implements Clock {
  private long nanos;

  @Override
  public Instant instant() {
    return Instant.EPOCH.plusNanos(nanos);
  }

  @Override
  public long nanoTime() {
    return nanos;
  }

  void advanceSeconds(double seconds) {
    nanos += (long) (seconds * 1e9);
  }
}
