package dev.agora.allocator;

import dev.agora.core.model.Resource;
import dev.agora.core.model.Resources;
import java.util.Map;

/** Shrinks resources to fit caps on scalar quantities (quota limits and headroom). */
final class Caps {
  private Caps() {}

  /**
   * {@code available} less whatever exceeds {@code caps} (millis per scalar name, over every
   * reservation role): the excess of a name is taken from its unreserved part first, then from
   * its reserved parts. Non-scalar resources and names without a cap are kept whole.
   */
  static Resources cap(Resources available, Map<String, Long> caps) {
    if (caps.isEmpty()) {
      return available;
    }
    Resources excess = Resources.EMPTY;
    for (Map.Entry<String, Long> e : caps.entrySet()) {
      long over = available.scalarMillis(e.getKey()) - e.getValue();
      if (over <= 0) {
        continue;
      }
      // Unreserved first, then the reserved parts in the order Resources lists them.
      long unreserved = available.unreserved().scalarMillis(e.getKey());
      long take = Math.min(over, unreserved);
      if (take > 0) {
        excess = excess.add(Resources.scalar(e.getKey(), take / 1000.0));
        over -= take;
      }
      for (Resource r : available) {
        if (over <= 0) {
          break;
        }
        if (r.name().equals(e.getKey()) && !r.role().equals(Resources.UNRESERVED)
            && r.value() instanceof Resource.Scalar s) {
          long t = Math.min(over, s.millis());
          excess = excess.add(Resources.builder().scalar(r.name(), r.role(), t / 1000.0).build());
          over -= t;
        }
      }
    }
    return excess.isEmpty() ? available : available.subtract(excess);
  }
}
