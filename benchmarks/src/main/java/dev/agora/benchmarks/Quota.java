package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Mirrors Mesos's {@code HierarchicalAllocator_BENCHMARK_Test.LargeAndSmallQuota}: {@code
 * frameworks} roles, each with one framework and a quota, over {@code agents} agents {@code
 * cpus:2;mem:2048;disk:2048}. Half the roles have a "large" quota (one and a half agents' worth),
 * half a "small" one (a quarter of an agent); together they ask less than the cluster holds
 * (5,250 of 6,000 cpus).
 *
 * <ul>
 *   <li>{@code addFrameworks}: adding all frameworks to the allocator holding agents and quotas;
 *   <li>{@code cycle}: a full allocation cycle over a cluster with everything free;
 *   <li>{@code emptyCycle}: a cycle when everything is allocated already.
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@Warmup(iterations = 15) // single shots: the JIT needs more than a few (3 gave addAgents ~35 ms, 15 gave ~12)
@Measurement(iterations = 10)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Quota {
  static final Resources AGENT = Resources.parse("cpus:2;mem:2048;disk:2048");
  static final Resources LARGE = Resources.parse("cpus:3;mem:3072");
  static final Resources SMALL = Resources.parse("cpus:0.5;mem:512");

  static String role(int i) {
    return "role" + i;
  }

  static FrameworkInfo[] infos(int frameworks) {
    FrameworkInfo[] infos = new FrameworkInfo[frameworks];
    for (int i = 0; i < frameworks; i++) {
      infos[i] = Clusters.frameworkInfo(i, role(i));
    }
    return infos;
  }

  static HierarchicalAllocator cluster(int agents, int frameworks) {
    HierarchicalAllocator a = Clusters.newAllocator(new ManualClock());
    for (int i = 0; i < agents; i++) {
      a.addAgent(Clusters.agent(i), new AgentInfo("host-" + i, AGENT), AGENT, Map.of());
    }
    for (int i = 0; i < frameworks; i++) {
      Resources q = i % 2 == 0 ? LARGE : SMALL;
      a.updateQuota(role(i), dev.agora.core.allocation.Quota.of(q));
    }
    return a;
  }

  /** Agents and quotas, no frameworks yet. */
  @State(Scope.Thread)
  public static class NoFrameworks {
    @Param({"3000"})
    public int agents;

    @Param({"3000"})
    public int frameworks;

    HierarchicalAllocator allocator;
    FrameworkInfo[] infos;

    @Setup(Level.Invocation)
    public void setUp() {
      infos = infos(frameworks);
      allocator = cluster(agents, frameworks);
    }
  }

  /** The whole cluster; every invocation starts with everything free. */
  @State(Scope.Thread)
  public static class Full {
    @Param({"3000"})
    public int agents;

    @Param({"3000"})
    public int frameworks;

    HierarchicalAllocator allocator;
    List<Allocation> offers = List.of();

    @Setup(Level.Trial)
    public void setUp() {
      allocator = cluster(agents, frameworks);
      FrameworkInfo[] infos = infos(frameworks);
      for (int i = 0; i < frameworks; i++) {
        allocator.addFramework(Clusters.framework(i), infos[i], Map.of(), true);
      }
    }

    @Setup(Level.Invocation)
    public void recover() {
      for (Allocation o : offers) {
        allocator.recoverResources(o.frameworkId(), o.agentId(), o.resources(), Optional.empty());
      }
      offers = List.of();
    }
  }

  /** The whole cluster with everything allocated. */
  @State(Scope.Thread)
  public static class Allocated {
    @Param({"3000"})
    public int agents;

    @Param({"3000"})
    public int frameworks;

    HierarchicalAllocator allocator;

    @Setup(Level.Trial)
    public void setUp() {
      allocator = cluster(agents, frameworks);
      FrameworkInfo[] infos = infos(frameworks);
      for (int i = 0; i < frameworks; i++) {
        allocator.addFramework(Clusters.framework(i), infos[i], Map.of(), true);
      }
      allocator.allocate();
    }
  }

  @Benchmark
  public HierarchicalAllocator addFrameworks(NoFrameworks s) {
    for (int i = 0; i < s.frameworks; i++) {
      s.allocator.addFramework(Clusters.framework(i), s.infos[i], Map.of(), true);
    }
    return s.allocator;
  }

  @Benchmark
  public List<Allocation> cycle(Full s) {
    s.offers = s.allocator.allocate();
    return s.offers;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public List<Allocation> emptyCycle(Allocated s) {
    return s.allocator.allocate();
  }
}
