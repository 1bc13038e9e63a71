package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The JMH benchmarks' set-ups, timed by the CPU time of the running thread rather than wall-clock
 * time: on a shared machine whose load exceeds its cores, wall-clock figures mostly measure the
 * other processes. Run with {@code java -cp benchmarks/target/benchmarks.jar
 * dev.agora.benchmarks.CpuTime [repeats]}; prints the median and the worst of each figure.
 * {@code -Dwarmups=N} (default 2) sets the untimed runs before each figure: on a loaded machine the
 * JIT compiler threads get little CPU, and a first cycle timed after 2 runs still partly runs
 * interpreted code. {@code -Donly=PREFIX} runs only the figures whose name starts with PREFIX
 * (e.g. {@code -Donly=SuppressOffers}).
 */
public final class CpuTime {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private CpuTime() {}

  interface Step {
    /** Prepares untimed, then returns the timed part. */
    Runnable prepare();
  }

  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    if (args.length > 1 && args[1].equals("decline")) {
      for (int i = 0; i < repeats; i++) {
        HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
        Clusters.addFrameworks(a, 1000, "role");
        Clusters.addDeclineAgents(a, 10_000, 1000);
        a.allocate();
      }
      return;
    }
    System.out.printf("# repeats %d after %d warm-ups; CPU time of the benchmark thread; median / worst%n", repeats,
        Integer.getInteger("warmups", 2));

    report("DeclineOffers.addAgents 10000x1000 (ms)", repeats, () -> {
      HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(a, 1000, "role");
      return () -> Clusters.addDeclineAgents(a, 10_000, 1000);
    });
    report("DeclineOffers.firstCycle 10000x1000 (ms)", repeats, () -> {
      HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(a, 1000, "role");
      Clusters.addDeclineAgents(a, 10_000, 1000);
      return a::allocate;
    });
    if (selected("DeclineOffers.cycle")) {
      declineRounds(10_000, 1000, 60);
    }
    if (selected("SuppressOffers")) {
      suppressed(Integer.getInteger("agents", 10_000), 1000, 99, 30, repeats);
    }

    report("Quota.addFrameworks 3000x3000 (ms)", repeats, () -> {
      HierarchicalAllocator a = Quota.cluster(3000, 3000);
      var infos = Quota.infos(3000);
      return () -> {
        for (int i = 0; i < 3000; i++) {
          a.addFramework(Clusters.framework(i), infos[i], Map.of(), true);
        }
      };
    });
    if (selected("Quota.") || selected("SorterFullSort") || selected("ReserveUnreserve")
        || selected("MultiFrameworkWorkload")) {
      quotaAndTheRest(repeats);
    }
    if (selected("DeclineOffers.cycle")) {
      // The long run, once (not per repeat: ~1 min) and last (it leaves ~0.5 GB of filters to collect and
      // the JIT's profile of a filter-heavy cycle behind): every round each agent is declined by one more
      // framework, until round 1,001 finds every agent filtered by every framework.
      declineRounds(10_000, 1000, 1001);
    }
  }

  /** Quota's cycles, SorterFullSort, ReserveUnreserve, MultiFrameworkWorkload. */
  private static void quotaAndTheRest(int repeats) {
    HierarchicalAllocator quota = Quota.cluster(3000, 3000);
    var infos = Quota.infos(3000);
    for (int i = 0; i < 3000; i++) {
      quota.addFramework(Clusters.framework(i), infos[i], Map.of(), true);
    }
    List<List<Allocation>> last = new ArrayList<>(List.of(List.of()));
    report("Quota.cycle 3000x3000 (ms)", repeats, () -> {
      for (Allocation o : last.get(0)) {
        quota.recoverResources(o.frameworkId(), o.agentId(), o.resources(), java.util.Optional.empty());
      }
      return () -> last.set(0, quota.allocate());
    });
    report("Quota.emptyCycle 3000x3000 (ms)", repeats, () -> quota::allocate);
    // The first empty cycle after the full one still looks at every agent (none is known clean yet).
    report("Quota.emptyCycle, first after the full cycle (ms)", repeats, () -> {
      HierarchicalAllocator q = Quota.cluster(3000, 3000);
      for (int i = 0; i < 3000; i++) {
        q.addFramework(Clusters.framework(i), infos[i], Map.of(), true);
      }
      q.allocate();
      return q::allocate;
    });

    SorterFullSort sorter = new SorterFullSort();
    sorter.agents = 50_000;
    sorter.frameworks = 1000;
    report("SorterFullSort.removeAllocations 50000x1000 (ms)", repeats, () -> {
      sorter.setUp();
      return sorter::removeAllocations;
    });
    // The sorter re-keys changed clients lazily, at the next sort: removal plus that sort, for honesty.
    report("SorterFullSort.removeAllocations + the next sort (ms)", repeats, () -> {
      sorter.setUp();
      return () -> {
        sorter.removeAllocations();
        sorter.sorter.sort();
      };
    });
    report("SorterFullSort.sort 50000x1000 (ms)", repeats, () -> {
      sorter.setUp();
      return sorter::sort;
    });

    ReserveUnreserve ru = new ReserveUnreserve();
    ru.roles = 200;
    ru.setUp();
    report("ReserveUnreserve.pair 200 roles, per 1000 pairs (ms)", repeats, () -> () -> {
      for (int i = 0; i < 1000; i++) {
        ru.pair();
      }
    });

    MultiFrameworkWorkload w = new MultiFrameworkWorkload();
    report("MultiFrameworkWorkload.placeAll (ms)", repeats, () -> {
      w.setUp();
      return w::placeAll;
    });
  }

  private static void declineRounds(int agents, int frameworks, int rounds) {
    HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
    Clusters.addFrameworks(a, frameworks, "role");
    Clusters.addDeclineAgents(a, agents, frameworks);
    List<Long> times = new ArrayList<>();
    List<Allocation> offers = List.of();
    for (int r = 0; r < rounds; r++) {
      Clusters.declineAll(a, offers, Clusters.FOREVER);
      long t0 = THREADS.getCurrentThreadCpuTime();
      offers = a.allocate();
      times.add(THREADS.getCurrentThreadCpuTime() - t0);
    }
    List<Long> later = new ArrayList<>(times.subList(1, times.size()));
    print("DeclineOffers.cycle " + agents + "x" + frameworks + ", rounds 2-" + rounds + " (ms)", later);
    int worst = 1;
    for (int r = 1; r < rounds; r++) {
      if (times.get(r) > times.get(worst)) {
        worst = r;
      }
    }
    System.out.printf("  round 1 %.1f ms, round %d %.1f ms (%d offers); worst: round %d%n", times.get(0) / 1e6, rounds,
        times.get(times.size() - 1) / 1e6, offers.size(), worst + 1);
  }

  /**
   * The 99%-suppressed rounds: one allocator per repetition, {@code warmups} untimed repetitions
   * first (the JIT), then {@code repeats} whose rounds 2-{@code rounds} are all kept. Rounds 2-10
   * hand every agent to an active framework (10,000 offers each: the worst rounds), the later ones
   * only scan; both are reported apart, with the collections that ran inside timed rounds.
   */
  private static void suppressed(int agents, int frameworks, int percent, int rounds, int repeats) {
    int warmups = Integer.getInteger("warmups", 2);
    int active = frameworks - frameworks * percent / 100;
    List<Long> all = new ArrayList<>();
    List<Long> handOut = new ArrayList<>();
    List<Long> quiet = new ArrayList<>();
    long gcs = 0;
    long[] byRound = new long[rounds];
    for (int rep = 0; rep < warmups + repeats; rep++) {
      HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(a, frameworks, "role");
      Clusters.addDeclineAgents(a, agents, frameworks);
      for (int i = 0; i < frameworks * percent / 100; i++) {
        a.suppressOffers(Clusters.framework(i), Set.of());
      }
      List<Allocation> offers = List.of();
      for (int r = 0; r < rounds; r++) {
        Clusters.declineAll(a, offers, Clusters.FOREVER);
        long g0 = gcCount();
        long t0 = THREADS.getCurrentThreadCpuTime();
        offers = a.allocate();
        long t = THREADS.getCurrentThreadCpuTime() - t0;
        long g = gcCount() - g0;
        if (rep >= warmups && r >= 1) {
          all.add(t);
          (r < active ? handOut : quiet).add(t);
          byRound[r] += t;
          gcs += g;
        }
      }
    }
    String name = "SuppressOffers.cycle " + agents + "x" + frameworks + " " + percent + "% suppressed";
    print(name + ", rounds 2-" + rounds + " (ms)", all);
    print("  of which hand-out rounds 2-" + active + " (ms)", handOut);
    print("  of which quiet rounds " + (active + 1) + "-" + rounds + " (ms)", quiet);
    System.out.printf("  %d repetitions after %d warm-ups; %d collections inside timed rounds; hand-out mean %.3f ms%n",
        repeats, warmups, gcs, handOut.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6);
    StringBuilder means = new StringBuilder("  mean by round (ms):");
    for (int r = 1; r <= Math.min(active + 1, rounds - 1); r++) {
      means.append(String.format(" %d: %.2f", r + 1, byRound[r] / 1e6 / repeats));
    }
    System.out.println(means);
  }

  private static long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  /** Whether the figure named {@code name} is selected by {@code -Donly=PREFIX} (default: all). */
  private static boolean selected(String name) {
    String only = System.getProperty("only", "");
    return only.isEmpty() || name.startsWith(only) || only.startsWith(name);
  }

  private static void report(String name, int repeats, Step step) {
    if (!selected(name)) {
      return;
    }
    List<Long> times = new ArrayList<>();
    int warmups = Integer.getInteger("warmups", 2);
    for (int i = 0; i < repeats + warmups; i++) {
      Runnable timed = step.prepare();
      long t = cpu(() -> {
        timed.run();
        return 0;
      });
      if (i >= warmups) { // untimed warm-up runs
        times.add(t);
      }
    }
    print(name, times);
  }

  private static long cpu(LongSupplier body) {
    long t0 = THREADS.getCurrentThreadCpuTime();
    body.getAsLong();
    return THREADS.getCurrentThreadCpuTime() - t0;
  }

  private static void print(String name, List<Long> nanos) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    System.out.printf("%-60s %10.3f / %10.3f%n", name, sorted.get(sorted.size() / 2) / 1e6,
        sorted.get(sorted.size() - 1) / 1e6);
  }
}
