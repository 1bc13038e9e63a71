package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two-level sort in the allocator: roles level by level in the role tree, then frameworks within a role. */
class HierarchicalRolesTest {
  private Simulation sim;
  private HierarchicalAllocator allocator;

  @BeforeEach
  void setUp() {
    sim = new Simulation(3);
    allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
  }

  @AfterEach
  void invariantsHold() {
    allocator.checkInvariants();
  }

  private Allocation addAgentAndAllocate(int i) {
    AgentId id = agent("a" + i);
    allocator.addAgent(id, agentInfo("h" + i, "cpus:10;mem:100"), Resources.parse("cpus:10;mem:100"), Map.of());
    List<Allocation> out = allocator.allocate();
    assertThat(out).hasSize(1);
    return out.get(0);
  }

  @Test
  void agentsGoToTheLeastServedSubtreeFirst() {
    allocator.addFramework(framework("web"), info("web", "eng/web"), Map.of(), true);
    allocator.addFramework(framework("batch"), info("batch", "eng/batch"), Map.of(), true);
    allocator.addFramework(framework("ops"), info("ops", "ops"), Map.of(), true);
    // A flat sort would give eng/batch, eng/web, then ops (every share 0, then names). Level by
    // level, eng's subtree holds a third after the first agent, so ops comes second.
    assertThat(addAgentAndAllocate(1).role()).isEqualTo("eng/batch");
    assertThat(addAgentAndAllocate(2).role()).isEqualTo("ops");
    Allocation third = addAgentAndAllocate(3);
    assertThat(third.role()).isEqualTo("eng/web");
    assertThat(third.frameworkId()).isEqualTo(framework("web"));
  }

  @Test
  void weightsApplyAtEachLevelAndFrameworksShareTheirRole() {
    allocator.updateWeights(Map.of("eng", 3.0));
    allocator.addFramework(framework("f1"), info("f1", "eng/web"), Map.of(), true);
    allocator.addFramework(framework("f2"), info("f2", "eng/web"), Map.of(), true);
    allocator.addFramework(framework("ops"), info("ops", "ops"), Map.of(), true);
    // eng weighs 3: it takes three agents for each one of ops; within eng/web f1 and f2 alternate.
    StringBuilder order = new StringBuilder();
    for (int i = 1; i <= 8; i++) {
      order.append(addAgentAndAllocate(i).frameworkId().value()).append(' ');
    }
    assertThat(order.toString().trim()).isEqualTo("f1 ops f2 f1 f2 ops f1 f2");
  }
}
