package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Sorter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomSorterTest extends SorterContract {
  @Override
  protected Sorter newSorter() {
    return Sorters.random(new SplittableRandom(42));
  }

  @Test
  void sameSeedGivesSameOrders() {
    Sorter a = Sorters.random(new SplittableRandom(7));
    Sorter b = Sorters.random(new SplittableRandom(7));
    for (String c : List.of("x", "y", "z", "w")) {
      a.add(c);
      b.add(c);
    }
    List<List<String>> fromA = new ArrayList<>();
    List<List<String>> fromB = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      fromA.add(a.sort());
      fromB.add(b.sort());
    }
    assertThat(fromA).isEqualTo(fromB);
    assertThat(new java.util.HashSet<>(fromA)).as("orders vary").hasSizeGreaterThan(1);
  }

  @Test
  void weightTwoComesFirstAboutTwiceAsOften() {
    Sorter s = Sorters.random(new SplittableRandom(1));
    s.add("heavy");
    s.add("light");
    s.updateWeight("heavy", 2);
    int heavyFirst = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      if (s.sort().get(0).equals("heavy")) {
        heavyFirst++;
      }
    }
    // P(heavy first) = 2 / (2 + 1) for exponential races.
    assertThat(heavyFirst / (double) n).isBetween(0.64, 0.69);
  }
}
