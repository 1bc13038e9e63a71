package dev.agora.core.allocation;

import dev.agora.core.model.Resources;
import java.util.Objects;

/**
 * The quota of a role, as in Mesos: {@code guarantee} is what the role (with its children) is
 * entitled to receive whenever it wants it, so the allocator keeps that much headroom for it;
 * {@code limit} is what the role never holds more of. Both are unreserved scalar quantities
 * ({@code cpus:10;mem:4096}); a name absent from {@code limit} is unlimited. Immutable.
 *
 * @param guarantee at most {@code limit} in every name the limit names
 * @param limit unlimited in every name it does not hold
 */
public record Quota(Resources guarantee, Resources limit) {
  /** No guarantee and no limit: the default of every role. */
  public static final Quota NONE = new Quota(Resources.EMPTY, Resources.EMPTY);

  /**
   * @throws IllegalArgumentException naming the value if either holds non-scalar or reserved
   *     resources, or the guarantee exceeds the limit in a name the limit holds
   */
  public Quota {
    Objects.requireNonNull(guarantee, "guarantee");
    Objects.requireNonNull(limit, "limit");
    checkQuantities("guarantee", guarantee);
    checkQuantities("limit", limit);
    for (String name : limit.names()) {
      if (guarantee.scalarMillis(name) > limit.scalarMillis(name)) {
        throw new IllegalArgumentException("quota guarantee " + guarantee + " exceeds its limit " + limit
            + " in '" + name + "'");
      }
    }
  }

  /** A quota that guarantees and limits to the same quantities (Mesos's pre-1.9 quota). */
  public static Quota of(Resources guaranteeAndLimit) {
    return new Quota(guaranteeAndLimit, guaranteeAndLimit);
  }

  /** Whether this quota neither guarantees nor limits anything. */
  public boolean isNone() {
    return guarantee.isEmpty() && limit.isEmpty();
  }

  private static void checkQuantities(String what, Resources r) {
    if (!r.scalarsOnly().equals(r)) {
      throw new IllegalArgumentException("quota " + what + " must hold only scalars but was " + r);
    }
    if (!r.reservationRoles().isEmpty()) {
      throw new IllegalArgumentException("quota " + what + " must be unreserved quantities but was " + r);
    }
  }
}
