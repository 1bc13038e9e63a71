package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The role tree sorter keeps the sorter contract and sorts level by level like Mesos's hierarchical sorter. */
class RoleTreeSorterTest extends SorterContract {
  private static final List<String> ROLES =
      List.of("a", "b", "a/x", "a/y", "a/x/p", "b/z", "c/d/e", "*");

  @Override
  protected Sorter newSorter() {
    return new RoleTreeSorter(DrfSorter::new);
  }

  @Test
  void subtreesCompeteAsAWholeAtEachLevel() {
    RoleTreeSorter s = new RoleTreeSorter(DrfSorter::new);
    s.addTotal(Resources.parse("cpus:100;mem:1000"));
    for (String r : List.of("eng/web/frontend", "eng/web/backend", "eng/batch", "ops")) {
      s.add(r);
    }
    // eng's subtree holds 30 cpus in all, ops 20: ops comes first although each eng leaf holds less.
    s.allocated("eng/web/frontend", Resources.parse("cpus:10"));
    s.allocated("eng/web/backend", Resources.parse("cpus:10"));
    s.allocated("eng/batch", Resources.parse("cpus:10"));
    s.allocated("ops", Resources.parse("cpus:20"));
    assertThat(s.sort()).containsExactly("ops", "eng/batch", "eng/web/backend", "eng/web/frontend");
    // Weight 2 halves eng's share (30% -> 15%), ahead of ops (20%).
    s.updateWeight("eng", 2);
    assertThat(s.sort()).containsExactly("eng/batch", "eng/web/backend", "eng/web/frontend", "ops");
    s.checkInvariants();
  }

  @Test
  void aRoleWithChildRolesCompetesWithThemAsItsVirtualLeaf() {
    RoleTreeSorter s = new RoleTreeSorter(DrfSorter::new);
    s.addTotal(Resources.parse("cpus:100"));
    s.add("eng/web");
    s.allocated("eng/web", Resources.parse("cpus:5"));
    s.add("eng");
    s.allocated("eng", Resources.parse("cpus:1"));
    assertThat(s.sort()).containsExactly("eng", "eng/web");
    s.allocated("eng", Resources.parse("cpus:10"));
    assertThat(s.sort()).containsExactly("eng/web", "eng");
    s.remove("eng/web");
    assertThat(s.sort()).containsExactly("eng");
    assertThat(s.allocation("eng")).isEqualTo(Resources.parse("cpus:11"));
    s.checkInvariants();
  }

  @Test
  void rejectsBadSegments() {
    RoleTreeSorter s = new RoleTreeSorter(DrfSorter::new);
    assertThatThrownBy(() -> s.add("a//b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a//b");
    assertThatThrownBy(() -> s.add("a/.")).isInstanceOf(IllegalArgumentException.class);
  }

  record Step(int kind, int role, int cpus, int mem, int weight) {}

  @Provide
  Arbitrary<List<Step>> treeSteps() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 6),
            Arbitraries.integers().between(0, ROLES.size() - 1),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 300),
            Arbitraries.integers().between(1, 4))
        .as(Step::new)
        .list()
        .ofMaxSize(80);
  }

  /** The hierarchical order always equals a brute-force recomputation, level by level, from the allocations and weights. */
  @Property(tries = 300)
  void hierarchicalOrderEqualsBruteForceRecomputation(@ForAll("treeSteps") List<Step> steps) {
    RoleTreeSorter tree = new RoleTreeSorter(DrfSorter::new);
    Map<String, long[]> alloc = new HashMap<>();
    Map<String, Double> weights = new HashMap<>();
    Set<String> inactive = new HashSet<>();
    long[] total = {0, 0};
    for (Step s : steps) {
      String r = ROLES.get(s.role());
      boolean known = alloc.containsKey(r);
      switch (s.kind()) {
        case 0 -> {
          if (!known) {
            tree.add(r);
            alloc.put(r, new long[2]);
          }
        }
        case 1 -> {
          tree.remove(r);
          alloc.remove(r);
          inactive.remove(r);
        }
        case 2 -> {
          if (known) {
            tree.allocated(r, Resources.of(s.cpus(), s.mem()));
            alloc.get(r)[0] += s.cpus() * 1000L;
            alloc.get(r)[1] += s.mem() * 1000L;
          }
        }
        case 3 -> {
          if (known) {
            long cpus = Math.min(s.cpus() * 1000L, alloc.get(r)[0]);
            long mem = Math.min(s.mem() * 1000L, alloc.get(r)[1]);
            tree.unallocated(r, Resources.of(cpus / 1000.0, mem / 1000.0));
            alloc.get(r)[0] -= cpus;
            alloc.get(r)[1] -= mem;
          }
        }
        case 4 -> {
          tree.addTotal(Resources.of(s.cpus(), s.mem()));
          total[0] += s.cpus() * 1000L;
          total[1] += s.mem() * 1000L;
        }
        case 5 -> {
          // Weights for inner nodes too ("c", "c/d") that are never clients themselves.
          String target = s.cpus() % 2 == 0 ? r : r.contains("/") ? r.substring(0, r.indexOf('/')) : r;
          tree.updateWeight(target, s.weight());
          weights.put(target, (double) s.weight());
        }
        default -> {
          if (known) {
            if (inactive.add(r)) {
              tree.deactivate(r);
            } else {
              inactive.remove(r);
              tree.activate(r);
            }
          }
        }
      }
      tree.checkInvariants();
      List<String> expected = new ArrayList<>();
      bruteForce("", alloc, weights, inactive, total, expected);
      assertThat(tree.sort()).as("after %s", s).isEqualTo(expected);
      List<String> visited = new ArrayList<>();
      tree.visit(c -> !visited.add(c));
      assertThat(visited).isEqualTo(expected);
    }
  }

  /** Appends the active clients under {@code node} ("" is the root) in hierarchical DRF order. */
  private static void bruteForce(String node, Map<String, long[]> alloc, Map<String, Double> weights,
      Set<String> inactive, long[] total, List<String> out) {
    // The children of the node: the next segment of every client path below it.
    TreeSet<String> children = new TreeSet<>();
    for (String client : alloc.keySet()) {
      if (node.isEmpty() || client.startsWith(node + "/")) {
        String rest = node.isEmpty() ? client : client.substring(node.length() + 1);
        children.add(rest.split("/")[0]);
      }
    }
    record Entry(String segment, double share) {}
    List<Entry> entries = new ArrayList<>();
    if (!node.isEmpty() && alloc.containsKey(node)) {
      entries.add(new Entry(".", share(alloc.get(node), total, weights.getOrDefault(node, 1.0))));
    }
    for (String child : children) {
      String path = node.isEmpty() ? child : node + "/" + child;
      long[] sum = new long[2];
      for (Map.Entry<String, long[]> e : alloc.entrySet()) {
        if (e.getKey().equals(path) || e.getKey().startsWith(path + "/")) {
          sum[0] += e.getValue()[0];
          sum[1] += e.getValue()[1];
        }
      }
      entries.add(new Entry(child, share(sum, total, weights.getOrDefault(path, 1.0))));
    }
    entries.sort(Comparator.comparingDouble(Entry::share).thenComparing(Entry::segment));
    for (Entry e : entries) {
      if (e.segment().equals(".")) {
        if (!inactive.contains(node)) {
          out.add(node);
        }
        continue;
      }
      String path = node.isEmpty() ? e.segment() : node + "/" + e.segment();
      boolean hasChildren = alloc.keySet().stream().anyMatch(c -> c.startsWith(path + "/"));
      if (hasChildren) {
        bruteForce(path, alloc, weights, inactive, total, out);
      } else if (!inactive.contains(path)) {
        out.add(path);
      }
    }
  }

  private static double share(long[] held, long[] total, double weight) {
    double dominant = 0;
    for (int i = 0; i < 2; i++) {
      if (held[i] > 0 && total[i] > 0) {
        dominant = Math.max(dominant, held[i] / (double) total[i]);
      }
    }
    return dominant / weight;
  }
}
