package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mirrors Mesos's {@code HierarchicalAllocator_BENCHMARK_Test.DeclineOffers}: {@code agents}
 * agents {@code cpus:24;mem:4096;disk:4096;ports:[31000-32000]}, agent i already running
 * {@code cpus:16;mem:2014;disk:1024} and 16 ports of framework i % {@code frameworks}, all
 * frameworks in one role. Every round offers the free resources and declines every offer with an
 * infinite filter.
 *
 * <ul>
 *   <li>{@code addAgents}: adding all agents to an allocator that knows the frameworks (Mesos:
 *       "Added N agents in ...");
 *   <li>{@code firstCycle}: the first allocation cycle;
 *   <li>{@code cycle}: one later round's allocation cycle: each round every agent is offered to
 *       the next framework that has not filtered it. The declines of the previous round's offers
 *       run before the timed cycle, as in Mesos's benchmark, which times the allocation run.
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@Warmup(iterations = 15) // single shots: the JIT needs more than a few (3 gave addAgents ~35 ms, 15 gave ~12)
@Measurement(iterations = 10)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DeclineOffers {

  /** A fresh allocator with the frameworks only, for {@code addAgents}. */
  @State(Scope.Thread)
  public static class Empty {
    @Param({"10000"})
    public int agents;

    @Param({"1000"})
    public int frameworks;

    HierarchicalAllocator allocator;

    @Setup(Level.Invocation)
    public void setUp() {
      allocator = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(allocator, frameworks, "role");
    }
  }

  /** A fresh cluster before its first cycle, for {@code firstCycle}. */
  @State(Scope.Thread)
  public static class Fresh {
    @Param({"10000"})
    public int agents;

    @Param({"1000"})
    public int frameworks;

    HierarchicalAllocator allocator;

    @Setup(Level.Invocation)
    public void setUp() {
      allocator = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(allocator, frameworks, "role");
      Clusters.addDeclineAgents(allocator, agents, frameworks);
    }
  }

  /** One cluster kept across rounds, for {@code cycle}. */
  @State(Scope.Thread)
  public static class Rounds {
    @Param({"10000"})
    public int agents;

    @Param({"1000"})
    public int frameworks;

    HierarchicalAllocator allocator;
    List<Allocation> offers = List.of();
    long rounds;
    long offered;

    @Setup(Level.Trial)
    public void setUp() {
      allocator = Clusters.newAllocator(new ManualClock());
      Clusters.addFrameworks(allocator, frameworks, "role");
      Clusters.addDeclineAgents(allocator, agents, frameworks);
    }

    /** Declines the last round's offers, outside the timed cycle (as Mesos's benchmark does). */
    @Setup(Level.Invocation)
    public void decline() {
      Clusters.declineAll(allocator, offers, Clusters.FOREVER);
      offers = List.of();
    }

    @TearDown(Level.Trial)
    public void report() {
      System.out.printf("%n%d rounds, %d offers per round on average%n",
          rounds, rounds == 0 ? 0 : offered / rounds);
    }
  }

  @Benchmark
  public HierarchicalAllocator addAgents(Empty s) {
    Clusters.addDeclineAgents(s.allocator, s.agents, s.frameworks);
    return s.allocator;
  }

  @Benchmark
  public List<Allocation> firstCycle(Fresh s) {
    return s.allocator.allocate();
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  public List<Allocation> cycle(Rounds s) {
    s.offers = s.allocator.allocate();
    s.rounds++;
    s.offered += s.offers.size();
    return s.offers;
  }
}
