package dev.agora.core.model;

import java.time.Duration;

/**
 * How long a framework does not want the resources it declines (or leaves unused in an accept)
 * offered back to it from the same agent. Mesos default: 5 seconds.
 *
 * @param refuse the refusal time; zero means no filter
 */
public record Filters(Duration refuse) {
  /** Mesos's default refusal of 5 seconds. */
  public static final Filters DEFAULT = new Filters(Duration.ofSeconds(5));

  /** No filter: the resources may be offered again at the next allocation. */
  public static final Filters NONE = new Filters(Duration.ZERO);

  public Filters {
    if (refuse == null || refuse.isNegative()) {
      throw new IllegalArgumentException("refuse seconds must be >= 0 but was " + refuse);
    }
  }

  /**
   * Filters from a refusal in seconds, as on the wire; an infinite or very large value refuses
   * for as long as a {@link Duration} holds.
   *
   * @throws IllegalArgumentException if {@code seconds} is NaN or negative
   */
  public static Filters refuseSeconds(double seconds) {
    if (Double.isNaN(seconds) || seconds < 0) {
      throw new IllegalArgumentException("refuse_seconds must be >= 0 but was " + seconds);
    }
    if (seconds > 1e15) {
      return new Filters(Duration.ofSeconds(1_000_000_000_000_000L));
    }
    return new Filters(Duration.ofNanos(Math.round(seconds * 1e9)));
  }
}
