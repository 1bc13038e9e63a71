package dev.agora.core.master;

/**
 * Counters of a master's work since it started, for {@code /metrics}: allocation cycles (count,
 * total and last duration, measured on the master loop's clock, so zero under virtual time),
 * offers made, and its event loop's queue depth at the moment of reading.
 *
 * @param allocationRuns allocation cycles run
 * @param allocationSecondsSum their total duration in seconds
 * @param allocationSecondsLast the latest cycle's duration in seconds
 * @param offersSent offers made to frameworks
 * @param eventQueueDepth tasks waiting in the master's event loop
 */
public record MasterMetrics(long allocationRuns, double allocationSecondsSum, double allocationSecondsLast,
    long offersSent, int eventQueueDepth) {

  /** The counters, written on the master's loop and read from any thread. */
  static final class Counters {
    private final java.util.concurrent.atomic.LongAdder runs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder offers = new java.util.concurrent.atomic.LongAdder();
    private volatile long lastNanos;

    void allocated(long elapsedNanos, int offersMade) {
      runs.increment();
      nanos.add(elapsedNanos);
      lastNanos = elapsedNanos;
      offers.add(offersMade);
    }

    MasterMetrics read(int queueDepth) {
      return new MasterMetrics(runs.sum(), nanos.sum() / 1e9, lastNanos / 1e9, offers.sum(), queueDepth);
    }
  }
}
