package dev.agora.benchmarks;

import dev.agora.allocator.Sorters;
import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resources;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mirrors Mesos's {@code Sorter_BENCHMARK_Test.FullSort}: a DRF sorter with {@code frameworks}
 * clients and the pool of {@code agents} agents {@code cpus:24;mem:4096;disk:4096;ports}; each
 * agent's resources, with 100 port ranges, are allocated to client {@code i % frameworks}.
 *
 * <ul>
 *   <li>{@code addAllocations}: recording all the allocations;
 *   <li>{@code sort}: a full sort of the clients after a change;
 *   <li>{@code removeAllocations}: taking all the allocations back (Mesos's anchor: 12.2 s).
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@Warmup(iterations = 15) // single shots: the JIT needs more than a few (3 gave addAgents ~35 ms, 15 gave ~12)
@Measurement(iterations = 10)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class SorterFullSort {
  @Param({"50000"})
  public int agents;

  @Param({"1000"})
  public int frameworks;

  static final Resources AGENT;

  static {
    long[] pairs = new long[200];
    for (int i = 0; i < 100; i++) {
      pairs[2 * i] = 31000 + 10L * i;
      pairs[2 * i + 1] = 31000 + 10L * i + 4;
    }
    AGENT = Resources.parse("cpus:24;mem:4096;disk:4096")
        .add(Resources.builder().ranges("ports", Ranges.of(pairs)).build());
  }

  Sorter sorter;
  String[] clients;

  @Setup(Level.Invocation)
  public void setUp() {
    sorter = Sorters.drf();
    clients = new String[frameworks];
    for (int i = 0; i < frameworks; i++) {
      clients[i] = "framework-" + i;
      sorter.add(clients[i]);
    }
    for (int i = 0; i < agents; i++) {
      sorter.addTotal(AGENT);
    }
    for (int i = 0; i < agents; i++) {
      sorter.allocated(clients[i % frameworks], AGENT);
    }
    sorter.sort();
  }

  @Benchmark
  public Sorter addAllocations() {
    // The set-up already allocated once: allocate the same again (the sorter keeps quantities).
    for (int i = 0; i < agents; i++) {
      sorter.allocated(clients[i % frameworks], AGENT);
    }
    return sorter;
  }

  @Benchmark
  public List<String> sort() {
    sorter.allocated(clients[0], AGENT); // a change, so that the sort is not cached
    return sorter.sort();
  }

  @Benchmark
  public Sorter removeAllocations() {
    for (int i = 0; i < agents; i++) {
      sorter.unallocated(clients[i % frameworks], AGENT);
    }
    return sorter;
  }
}
