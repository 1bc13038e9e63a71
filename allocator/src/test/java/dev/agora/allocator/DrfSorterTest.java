package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class DrfSorterTest extends SorterContract {
  @Override
  protected Sorter newSorter() {
    return new DrfSorter();
  }

  @Test
  void dominantShareDecidesTheOrderAndNameBreaksTies() {
    sorter.add("b");
    sorter.add("a");
    assertThat(sorter.sort()).containsExactly("a", "b");
    // a: cpus 3/10 = 0.3 dominant; b: mem 400/1000 = 0.4 dominant.
    sorter.allocated("a", Resources.parse("cpus:3;mem:100"));
    sorter.allocated("b", Resources.parse("cpus:1;mem:400"));
    assertThat(sorter.sort()).containsExactly("a", "b");
    sorter.allocated("a", Resources.parse("cpus:2"));
    assertThat(sorter.sort()).containsExactly("b", "a");
  }

  @Test
  void aLoneClientLeftDirtyTakesItsPlaceWhenAnotherJoins() {
    DrfSorter drf = (DrfSorter) sorter;
    sorter.add("a");
    sorter.add("b");
    sorter.deactivate("b");
    assertThat(sorter.sort()).containsExactly("a");
    // The only client in the order: its offers re-key nothing (its place cannot change).
    sorter.allocated("a", Resources.parse("cpus:2"));
    assertThat(sorter.sort()).containsExactly("a");
    sorter.allocated("a", Resources.parse("cpus:1"));
    sorter.visit(c -> false);
    drf.checkInvariants();
    // b joins with a smaller share (none), at the front, although a's share was never recomputed.
    sorter.activate("b");
    assertThat(sorter.sort()).containsExactly("b", "a");
    drf.checkInvariants();
    sorter.unallocated("a", Resources.parse("cpus:3"));
    assertThat(sorter.sort()).containsExactly("a", "b");
    sorter.deactivate("a");
    assertThat(sorter.sort()).containsExactly("b");
    sorter.allocated("a", Resources.parse("cpus:5"));
    sorter.activate("a");
    assertThat(sorter.sort()).containsExactly("b", "a");
    assertThat(drf.weightedShare("a")).isEqualTo(0.5);
    drf.checkInvariants();
  }

  @Test
  void visitWithSkipBitsPassesOverTheTaggedClientsWhoseBitIsSet() {
    DrfSorter drf = (DrfSorter) sorter;
    for (String c : List.of("a", "b", "c", "d", "e")) {
      sorter.add(c);
    }
    drf.tag("a", 0);
    drf.tag("b", 70); // in the second word
    drf.tag("c", 200); // beyond the bitset: never passed over
    drf.tag("d", 3); // "e" is untagged: never passed over
    long[] skip = new long[2];
    skip[0] = 1L << 0 | 1L << 3;
    skip[1] = 1L << (70 - 64);
    List<String> visited = new ArrayList<>();

    assertThat(drf.visit(c -> !visited.add(c), skip)).isFalse();

    assertThat(visited).containsExactly("c", "e");
    visited.clear();
    drf.deactivate("e");
    assertThat(drf.visit(c -> visited.add(c), new long[0])).isTrue();
    assertThat(visited).containsExactly("a");
    drf.checkInvariants();
  }

  @Property(tries = 200)
  void visitWithSkipBitsVisitsTheOthersInOrder(
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 300) int clients,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 12) int left,
      @ForAll boolean mostSkipped,
      @ForAll long seed) {
    // Many clients and few left over take the sorter's "pick the few" path; the others its loop.
    java.util.Random random = new java.util.Random(seed);
    DrfSorter drf = new DrfSorter(); // jqwik runs no @BeforeEach
    drf.addTotal(Resources.parse("cpus:1000;mem:1000"));
    List<Integer> tags = new ArrayList<>();
    for (int t = 0; t < clients + clients / 3; t++) {
      tags.add(t);
    }
    java.util.Collections.shuffle(tags, random);
    long[] skip = new long[(clients + clients / 3 + 63) / 64];
    for (int i = 0; i < clients; i++) {
      String name = "c" + i;
      drf.add(name);
      drf.tag(name, tags.get(i));
      if (random.nextInt(4) == 0) {
        drf.allocated(name, Resources.parse("cpus:" + (1 + random.nextInt(3))));
      }
      if (random.nextInt(10) == 0) {
        drf.deactivate(name);
      }
      // Most skipped: all but about `left` of them (the sorter's "pick the few" path); else half.
      if (mostSkipped ? random.nextInt(clients) >= left : random.nextBoolean()) {
        skip[tags.get(i) >>> 6] |= 1L << tags.get(i);
      }
    }
    if (clients > 2) {
      drf.tag("c0", tags.get(clients)); // re-tagged: the old tag no longer names it
    }
    Map<String, Integer> tagOf = new HashMap<>();
    for (int i = 0; i < clients; i++) {
      tagOf.put("c" + i, i == 0 && clients > 2 ? tags.get(clients) : tags.get(i));
    }
    List<String> expected = new ArrayList<>();
    for (String c : drf.sort()) {
      int t = tagOf.get(c);
      if ((skip[t >>> 6] & 1L << t) == 0) {
        expected.add(c);
      }
    }
    List<String> visited = new ArrayList<>();

    assertThat(drf.visit(c -> !visited.add(c), skip)).isFalse();

    assertThat(visited).isEqualTo(expected);
    if (!expected.isEmpty()) {
      String stop = expected.get(expected.size() / 2);
      visited.clear();
      assertThat(drf.visit(c -> visited.add(c) && c.equals(stop), skip)).isTrue();
      assertThat(visited).isEqualTo(expected.subList(0, expected.size() / 2 + 1));
    }
    drf.checkInvariants();
  }

  @Test
  void weightDividesTheShare() {
    sorter.add("heavy");
    sorter.add("light");
    sorter.updateWeight("heavy", 2);
    sorter.allocated("heavy", Resources.parse("cpus:4"));
    sorter.allocated("light", Resources.parse("cpus:3"));
    assertThat(sorter.sort()).containsExactly("heavy", "light");
    assertThat(((DrfSorter) sorter).weightedShare("heavy")).isEqualTo(0.2);
  }

  @Test
  void sharesFollowChangesOfThePool() {
    sorter.add("a");
    sorter.add("b");
    sorter.allocated("a", Resources.parse("cpus:2"));
    sorter.allocated("b", Resources.parse("gpus:1"));
    // No gpus in the pool: b's gpus do not count.
    assertThat(sorter.sort()).containsExactly("b", "a");
    sorter.addTotal(Resources.parse("gpus:2"));
    assertThat(sorter.sort()).containsExactly("a", "b");
  }

  record Step(int kind, int client, int cpus, int mem, int weight, boolean check) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 6),
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 300),
            Arbitraries.integers().between(1, 4))
        .as((k, c, cpus, mem, w) -> new Step(k, c, cpus, mem, w, true))
        .list()
        .ofMaxSize(60);
  }

  /**
   * Many clients, and the order looked at only now and then: the sorter re-keys the clients
   * changed in between (or rebuilds its order when many changed) before it answers.
   */
  @Provide
  Arbitrary<List<Step>> bursts() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 6),
            Arbitraries.integers().between(0, 40),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 300),
            Arbitraries.integers().between(1, 4),
            Arbitraries.integers().between(0, 15))
        .as((k, c, cpus, mem, w, look) -> new Step(k, c, cpus, mem, w, look == 0))
        .list()
        .ofMaxSize(300);
  }

  /** The same property when the order is asked for only after bursts of changes. */
  @Property(tries = 200)
  void orderAfterBurstsEqualsBruteForceRecomputation(@ForAll("bursts") List<Step> steps) {
    orderEqualsBruteForceRecomputation(steps);
  }

  /** The DRF order always equals a brute-force recomputation from the allocations and weights. */
  @Property(tries = 300)
  void orderEqualsBruteForceRecomputation(@ForAll("steps") List<Step> steps) {
    DrfSorter drf = new DrfSorter();
    Map<String, long[]> alloc = new HashMap<>();
    Map<String, Double> weights = new HashMap<>();
    Set<String> inactive = new HashSet<>();
    long[] total = {0, 0};
    for (int n = 0; n < steps.size(); n++) {
      Step s = steps.get(n);
      String c = "c" + s.client();
      boolean known = alloc.containsKey(c);
      switch (s.kind()) {
        case 0 -> {
          if (!known) {
            drf.add(c);
            alloc.put(c, new long[2]);
          }
        }
        case 1 -> {
          drf.remove(c);
          alloc.remove(c);
          inactive.remove(c);
        }
        case 2 -> {
          if (known) {
            drf.allocated(c, Resources.of(s.cpus(), s.mem()));
            alloc.get(c)[0] += s.cpus();
            alloc.get(c)[1] += s.mem();
          }
        }
        case 3 -> {
          if (known) {
            long cpus = Math.min(s.cpus(), alloc.get(c)[0]);
            long mem = Math.min(s.mem(), alloc.get(c)[1]);
            drf.unallocated(c, Resources.of(cpus, mem));
            alloc.get(c)[0] -= cpus;
            alloc.get(c)[1] -= mem;
          }
        }
        case 4 -> {
          drf.addTotal(Resources.of(s.cpus(), s.mem()));
          total[0] += s.cpus();
          total[1] += s.mem();
        }
        case 5 -> {
          drf.updateWeight(c, s.weight());
          weights.put(c, (double) s.weight());
        }
        default -> {
          if (known) {
            if (inactive.add(c)) {
              drf.deactivate(c);
            } else {
              inactive.remove(c);
              drf.activate(c);
            }
          }
        }
      }
      drf.checkInvariants();
      if (!s.check() && n < steps.size() - 1) {
        continue;
      }
      List<String> expected = new ArrayList<>();
      Map<String, Double> shares = new HashMap<>();
      for (Map.Entry<String, long[]> e : alloc.entrySet()) {
        double share = 0;
        for (int i = 0; i < 2; i++) {
          if (total[i] > 0 && e.getValue()[i] > 0) {
            share = Math.max(share, e.getValue()[i] * 1000 / (double) (total[i] * 1000));
          }
        }
        shares.put(e.getKey(), share / weights.getOrDefault(e.getKey(), 1.0));
        if (!inactive.contains(e.getKey())) {
          expected.add(e.getKey());
        }
      }
      expected.sort(Comparator.<String>comparingDouble(shares::get).thenComparing(Comparator.naturalOrder()));
      assertThat(drf.sort()).containsExactlyElementsOf(expected);
      drf.checkInvariants();
    }
  }
}
