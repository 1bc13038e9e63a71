package dev.agora.core.placement;

import java.util.Map;

/** The result of placing one instance: placed on an offer, or unschedulable with every reason. */
public sealed interface Decision {

  /** Placed: launch with {@code reservation}. */
  record Placed(Reservation reservation, int candidateIndex) implements Decision {}

  /**
   * No offer fits.
   *
   * @param reasons for each distinct failure reason, how many offers it rejected (in first-seen order)
   * @param offersConsidered how many offers were looked at
   */
  record Unschedulable(Map<String, Integer> reasons, int offersConsidered) implements Decision {
    public Unschedulable {
      reasons = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(reasons));
    }
  }
}
