package dev.agora.allocator;

import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The smallest offers worth making, as Mesos's {@code --min_allocatable_resources}: a list of
 * alternatives, each a set of scalar quantities; resources are allocatable if they hold, by name
 * and whatever their reservation, at least every quantity of one alternative. Immutable.
 */
final class MinAllocatable {
  /** Mesos's default: {@code cpus:0.01} or {@code mem:32}. */
  static final MinAllocatable DEFAULT =
      new MinAllocatable(List.of(Resources.scalar("cpus", 0.01), Resources.scalar("mem", 32)));

  private final List<Resources> alternatives;
  private final String[][] names;
  private final long[][] millis;

  /**
   * @throws IllegalArgumentException if there is no alternative, or one is empty or holds a
   *     non-scalar resource
   */
  MinAllocatable(List<Resources> alternatives) {
    if (alternatives.isEmpty()) {
      throw new IllegalArgumentException("minAllocatable needs at least one alternative");
    }
    this.alternatives = List.copyOf(alternatives);
    names = new String[alternatives.size()][];
    millis = new long[alternatives.size()][];
    for (int i = 0; i < alternatives.size(); i++) {
      Resources alt = alternatives.get(i);
      if (alt.isEmpty()) {
        throw new IllegalArgumentException("minAllocatable alternative must not be empty");
      }
      if (!alt.scalarsOnly().equals(alt)) {
        throw new IllegalArgumentException(
            "minAllocatable alternative must hold only scalars but was " + alt);
      }
      List<String> n = new ArrayList<>(alt.names());
      names[i] = n.toArray(new String[0]);
      millis[i] = new long[names[i].length];
      for (int j = 0; j < names[i].length; j++) {
        millis[i][j] = alt.scalarMillis(names[i][j]);
      }
    }
  }

  /** Whether {@code offered} holds at least one alternative. */
  boolean allows(Resources offered) {
    for (int i = 0; i < names.length; i++) {
      boolean enough = true;
      for (int j = 0; j < names[i].length && enough; j++) {
        enough = offered.scalarMillis(names[i][j]) >= millis[i][j];
      }
      if (enough) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether no offer could pass under {@code caps} (millis per scalar name; absent = no cap):
   * every alternative needs more of some name than its cap allows.
   */
  boolean impossibleUnder(Map<String, Long> caps) {
    if (caps.isEmpty()) {
      return false;
    }
    for (int i = 0; i < names.length; i++) {
      boolean fits = true;
      for (int j = 0; j < names[i].length && fits; j++) {
        fits = caps.getOrDefault(names[i][j], Long.MAX_VALUE) >= millis[i][j];
      }
      if (fits) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Resources alt : alternatives) {
      if (sb.length() > 0) {
        sb.append(" | ");
      }
      sb.append(alt);
    }
    return sb.toString();
  }
}
