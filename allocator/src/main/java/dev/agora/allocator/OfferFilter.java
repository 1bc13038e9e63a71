package dev.agora.allocator;

import dev.agora.core.model.Resources;

/**
 * A decline filter of one framework on one agent: until {@code expiresAtNanos} (on the
 * allocator's clock), the framework is not offered resources that this filter {@link
 * Resources#contains contains}, as in Mesos's {@code RefusedOfferFilter}. Immutable.
 */
record OfferFilter(Resources resources, long expiresAtNanos) {
  /** Whether the filter still holds at {@code nowNanos} (monotonic time: compare differences). */
  boolean activeAt(long nowNanos) {
    return expiresAtNanos - nowNanos > 0;
  }

  /** Whether the filter holds back an offer of {@code offered} at {@code nowNanos}. */
  boolean blocks(Resources offered, long nowNanos) {
    return activeAt(nowNanos) && resources.contains(offered);
  }
}
