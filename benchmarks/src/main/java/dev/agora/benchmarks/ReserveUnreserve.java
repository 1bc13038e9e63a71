package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Resources;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mirrors Mesos's reservation benchmark (operator reserve then unreserve on one agent whose
 * resources already carry many roles' reservations): one agent holding {@code roles} dynamic
 * reservations {@code cpus(role-i):1;mem(role-i):128}; {@code pair} times one reserve and one
 * unreserve of {@code cpus:1;mem:128} through the allocator ({@code updateAvailable}).
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class ReserveUnreserve {
  @Param({"200"})
  public int roles;

  HierarchicalAllocator allocator;
  AgentId agent;
  Resources unreserved;
  Resources reserved;

  @Setup
  public void setUp() {
    allocator = Clusters.newAllocator(new ManualClock());
    agent = Clusters.agent(0);
    Resources total = Resources.parse("cpus:1000;mem:1024000;disk:4096;ports:[31000-32000]");
    allocator.addAgent(agent, new AgentInfo("host-0", total), total, Map.of());
    Resources one = Resources.parse("cpus:1;mem:128");
    for (int i = 0; i < roles; i++) {
      allocator.updateAvailable(agent, one, one.reserveTo("role-" + i));
    }
    unreserved = one;
    reserved = one.reserveTo("role-new");
  }

  @Benchmark
  public HierarchicalAllocator pair() {
    allocator.updateAvailable(agent, unreserved, reserved);
    allocator.updateAvailable(agent, reserved, unreserved);
    return allocator;
  }
}
