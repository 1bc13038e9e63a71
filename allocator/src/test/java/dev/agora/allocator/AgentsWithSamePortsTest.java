package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Regression: every agent offers the same port ranges, so the allocator must never add ranges of
 * different agents together (Resources refuses overlapping ranges); the cluster total the DRF
 * shares divide by holds scalar quantities only.
 */
class AgentsWithSamePortsTest {
  @Test
  void agentsWithTheSamePortRangesAreAllOffered() {
    HierarchicalAllocator allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(new Simulation(1));
    Resources agentTotal = Resources.parse("cpus:2;mem:1024;ports:[31000-32000]");
    for (int i = 0; i < 3; i++) {
      allocator.addAgent(AgentId.of("a" + i), new AgentInfo("h" + i, agentTotal), agentTotal, Map.of());
    }
    allocator.addFramework(FrameworkId.of("f"), FrameworkInfo.builder("f").build(), Map.of(), true);
    List<Allocation> allocations = allocator.allocate();
    assertThat(allocations).hasSize(3).allSatisfy(a -> assertThat(a.resources()).isEqualTo(agentTotal));

    allocator.removeAgent(AgentId.of("a1"));
    allocator.recoverResources(FrameworkId.of("f"), AgentId.of("a0"), agentTotal, java.util.Optional.empty());
    assertThat(allocator.allocate()).singleElement().extracting(Allocation::agentId).isEqualTo(AgentId.of("a0"));
  }
}
