package dev.agora.core.placement;

/**
 * The outcome of one filter on one offer: fit, or unschedulable with a reason a user can read.
 *
 * @param fits whether the offer passed
 * @param plugin the name of the filter that decided
 * @param reason why it did not fit; empty when it fits
 */
public record Status(boolean fits, String plugin, String reason) {
  public Status {
    if (plugin == null || reason == null) {
      throw new IllegalArgumentException("status plugin and reason must not be null");
    }
  }

  /** A pass from {@code plugin}. */
  public static Status fit(String plugin) {
    return new Status(true, plugin, "");
  }

  /** A rejection by {@code plugin} for {@code reason}. */
  public static Status unschedulable(String plugin, String reason) {
    return new Status(false, plugin, reason);
  }
}
