package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mirrors the multi-framework workload of Mesos's allocator benchmarks
 * (hierarchical_allocator_benchmarks.cpp): 80 agents {@code cpus:64;mem:488000}; 4 Marathon-like
 * frameworks (2,000 tasks of {@code cpus:0.25;mem:1000} each), 500 Jenkins-like (15 tasks of
 * {@code cpus:0.2;mem:2000}) and 50 Spark-like (80 tasks of {@code cpus:0.25;mem:2000}): 19,500
 * tasks. Each framework launches as many tasks as fit in an offer and still wanted, and declines
 * the rest with the default 5 s filter; the clock moves one allocation interval (1 s) per cycle.
 * {@code placeAll} times the whole run until every task is placed (allocator time plus the tiny
 * simulated frameworks), and fails if the tasks do not all fit within 1,000 cycles.
 */
@BenchmarkMode(Mode.SingleShotTime)
@Warmup(iterations = 15) // single shots: the JIT needs more than a few (3 gave addAgents ~35 ms, 15 gave ~12)
@Measurement(iterations = 10)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class MultiFrameworkWorkload {
  static final Resources AGENT = Resources.parse("cpus:64;mem:488000");

  record Kind(String role, int count, int tasks, Resources task) {}

  static final Kind[] KINDS = {
    new Kind("marathon", 4, 2000, Resources.parse("cpus:0.25;mem:1000")),
    new Kind("jenkins", 500, 15, Resources.parse("cpus:0.2;mem:2000")),
    new Kind("spark", 50, 80, Resources.parse("cpus:0.25;mem:2000")),
  };

  ManualClock clock;
  HierarchicalAllocator allocator;
  Map<FrameworkId, Integer> pending;
  Map<FrameworkId, Resources> taskOf;
  int totalPending;

  @Setup(Level.Invocation)
  public void setUp() {
    clock = new ManualClock();
    allocator = Clusters.newAllocator(clock);
    for (int i = 0; i < 80; i++) {
      allocator.addAgent(Clusters.agent(i), new AgentInfo("host-" + i, AGENT), AGENT, Map.of());
    }
    pending = new HashMap<>();
    taskOf = new HashMap<>();
    totalPending = 0;
    int n = 0;
    for (Kind k : KINDS) {
      for (int i = 0; i < k.count; i++, n++) {
        FrameworkId id = Clusters.framework(n);
        FrameworkInfo info = FrameworkInfo.builder(k.role + "-" + i).user("bench").role(k.role).build();
        allocator.addFramework(id, info, Map.of(), true);
        pending.put(id, k.tasks);
        taskOf.put(id, k.task);
        totalPending += k.tasks;
      }
    }
  }

  @Benchmark
  public int placeAll() {
    Optional<Filters> decline = Optional.of(Filters.DEFAULT);
    int cycles = 0;
    while (totalPending > 0) {
      if (++cycles > 1000) {
        throw new IllegalStateException(totalPending + " tasks still unplaced after 1000 cycles");
      }
      for (Allocation offer : allocator.allocate()) {
        FrameworkId f = offer.frameworkId();
        Resources task = taskOf.get(f);
        int want = pending.get(f);
        Resources left = offer.resources();
        int launched = 0;
        while (launched < want && left.contains(task)) {
          left = left.subtract(task);
          launched++;
        }
        pending.put(f, want - launched);
        totalPending -= launched;
        if (!left.isEmpty()) {
          allocator.recoverResources(f, offer.agentId(), left, decline);
        }
        if (want - launched == 0) {
          allocator.suppressOffers(f, java.util.Set.of());
        }
      }
      clock.advanceSeconds(1);
    }
    return cycles;
  }
}
