package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import java.util.List;
import java.util.Set;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mirrors Mesos's {@code HierarchicalAllocator_BENCHMARK_Test.SuppressOffers} (and its
 * "99% suppressed" variant): the DeclineOffers cluster, where {@code suppressedPercent} of the
 * frameworks have suppressed offers. Every round the active frameworks decline what they are
 * offered with an infinite filter (outside the timed cycle); {@code cycle} times one allocation
 * cycle, whose cost should follow the active frameworks, not all of them.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class SuppressOffers {
  @Param({"10000"})
  public int agents;

  @Param({"1000"})
  public int frameworks;

  @Param({"99"})
  public int suppressedPercent;

  HierarchicalAllocator allocator;
  List<Allocation> offers = List.of();

  @Setup(Level.Trial)
  public void setUp() {
    allocator = Clusters.newAllocator(new ManualClock());
    Clusters.addFrameworks(allocator, frameworks, "role");
    Clusters.addDeclineAgents(allocator, agents, frameworks);
    int suppressed = (int) ((long) frameworks * suppressedPercent / 100);
    for (int i = 0; i < suppressed; i++) {
      allocator.suppressOffers(Clusters.framework(i), Set.of());
    }
  }

  @Setup(Level.Invocation)
  public void decline() {
    Clusters.declineAll(allocator, offers, Clusters.FOREVER);
    offers = List.of();
  }

  @Benchmark
  public List<Allocation> cycle() {
    offers = allocator.allocate();
    return offers;
  }
}
