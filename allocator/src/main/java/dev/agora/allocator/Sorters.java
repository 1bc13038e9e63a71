package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The stock {@link Sorter}s, for {@link HierarchicalAllocator.Builder#sorter}:
 * {@code builder().sorter(Sorters::drf)}. Each call returns a new, empty sorter confined to the
 * caller's thread.
 */
public final class Sorters {
  private Sorters() {}

  /** Weighted Dominant Resource Fairness: the least dominant share (divided by weight) first. */
  public static Sorter drf() {
    return new DrfSorter();
  }

  /**
   * A weighted random order (Mesos's random sorter): every {@link Sorter#sort()} draws a new
   * order in which a client of weight 2 tends to come before one of weight 1 twice as often.
   *
   * @param random the source of randomness (seed it for a reproducible order); used only on the
   *     sorter's thread
   */
  public static Sorter random(RandomGenerator random) {
    return new RandomSorter(Objects.requireNonNull(random, "random"));
  }
}
