package dev.agora.examples.jobs;

import java.time.Instant;
import java.util.Optional;

/**
 * A job's counters, as Chronos reports them.
 *
 * @param successCount runs that succeeded
 * @param errorCount runs that failed (after their retries)
 * @param lastSuccess when the last success ended
 * @param lastError when the last failure ended
 * @param errorsSinceLastSuccess failures since the last success
 */
public record JobStats(long successCount, long errorCount, Optional<Instant> lastSuccess, Optional<Instant> lastError,
    long errorsSinceLastSuccess) {
  /** No runs yet. */
  public static final JobStats NONE = new JobStats(0, 0, Optional.empty(), Optional.empty(), 0);

  JobStats success(Instant at) {
    return new JobStats(successCount + 1, errorCount, Optional.of(at), lastError, 0);
  }

  JobStats failure(Instant at) {
    return new JobStats(successCount, errorCount + 1, lastSuccess, Optional.of(at), errorsSinceLastSuccess + 1);
  }
}
