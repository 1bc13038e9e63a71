package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Explanation;
import dev.agora.core.allocation.Explanation.Reason;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QuotaAndReservationTest {
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

  private void addAgents(int n, String resources) {
    for (int i = 0; i < n; i++) {
      AgentId id = agent("a" + i);
      allocator.addAgent(id, agentInfo("h" + i, resources), Resources.parse(resources), Map.of());
    }
  }

  private static Map<String, Resources> byRole(List<Allocation> offers) {
    Map<String, Resources> out = new HashMap<>();
    for (Allocation a : offers) {
      out.merge(a.role(), DrfSorter.quantities(a.resources()), Resources::add);
    }
    return out;
  }

  @Test
  void aRoleNeverGetsMoreThanItsLimit() {
    addAgents(4, "cpus:4;mem:4096");
    allocator.addFramework(framework("f"), info("f", "capped"), Map.of(), true);
    allocator.updateQuota("capped", new Quota(Resources.EMPTY, Resources.parse("cpus:3;mem:2000")));
    Map<String, Resources> got = byRole(allocator.allocate());
    assertThat(got.get("capped").cpus()).isEqualTo(3.0);
    assertThat(got.get("capped").mem()).isEqualTo(2000.0);
    assertThat(allocator.allocate()).as("nothing more at the limit").isEmpty();
    assertThat(allocator.explain(framework("f")).roles().get(0).agents())
        .containsKey(Reason.QUOTA_LIMIT);
  }

  @Test
  void aParentsLimitCapsItsChildren() {
    addAgents(2, "cpus:4;mem:4096");
    allocator.addFramework(framework("w"), info("w", "eng/web"), Map.of(), true);
    allocator.addFramework(framework("b"), info("b", "eng/batch"), Map.of(), true);
    allocator.updateQuota("eng", new Quota(Resources.EMPTY, Resources.parse("cpus:5")));
    Map<String, Resources> got = byRole(allocator.allocate());
    double cpus = got.getOrDefault("eng/web", Resources.EMPTY).cpus()
        + got.getOrDefault("eng/batch", Resources.EMPTY).cpus();
    assertThat(cpus).isEqualTo(5.0);
  }

  @Test
  void headroomIsKeptForAnUnmetGuarantee() {
    addAgents(4, "cpus:4;mem:4096");
    allocator.addFramework(framework("greedy"), info("greedy", "greedy"), Map.of(), true);
    allocator.updateQuota("prod", Quota.of(Resources.parse("cpus:6;mem:6000")));
    // prod has no framework yet: greedy may take only what exceeds prod's guarantee.
    Map<String, Resources> got = byRole(allocator.allocate());
    assertThat(got.get("greedy").cpus()).isEqualTo(10.0);
    assertThat(got.get("greedy").mem()).isEqualTo(16384.0 - 6000);
    allocator.addFramework(framework("prod"), info("prod", "prod"), Map.of(), true);
    Map<String, Resources> prod = byRole(allocator.allocate());
    assertThat(prod.get("prod").cpus()).isEqualTo(6.0);
    assertThat(prod.get("prod").mem()).isEqualTo(6000.0);
  }

  @Test
  void guaranteedRolesGoFirstEvenWhenOthersHaveLowerShares() {
    addAgents(2, "cpus:2;mem:2048");
    allocator.addFramework(framework("a"), info("a", "a"), Map.of(), true);
    allocator.addFramework(framework("z"), info("z", "z"), Map.of(), true);
    allocator.updateQuota("z", Quota.of(Resources.parse("cpus:4;mem:4096")));
    Map<String, Resources> got = byRole(allocator.allocate());
    assertThat(got.get("z").cpus()).isEqualTo(4.0);
    assertThat(got).doesNotContainKey("a");
  }

  @Test
  void quotaAboveTheClusterIsAcceptedAndReported() {
    addAgents(1, "cpus:4;mem:4096");
    allocator.updateQuota("big", Quota.of(Resources.parse("cpus:100")));
    RoleInfo big = allocator.roles().stream().filter(r -> r.role().equals("big")).findFirst().orElseThrow();
    assertThat(big.quota().guarantee().cpus()).isEqualTo(100.0);
    // Accepted, and reported: the part the cluster cannot hold now.
    assertThat(big.guaranteeBeyondCluster()).isEqualTo(Resources.parse("cpus:96"));
    assertThat(allocator.quotas()).containsKey("big");
    allocator.updateQuota("big", Quota.NONE);
    assertThat(allocator.quotas()).doesNotContainKey("big");
  }

  @Test
  void badQuotaAndWeightsAreRejectedWithoutChange() {
    assertThatThrownBy(() -> allocator.updateQuota("bad role", Quota.NONE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad role");
    assertThatThrownBy(() -> allocator.updateQuota("*", Quota.of(Resources.parse("cpus:1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'*'");
    assertThatThrownBy(() -> new Quota(Resources.parse("cpus:2"), Resources.parse("cpus:1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds");
    assertThatThrownBy(() -> Quota.of(Resources.parse("ports:[1-2]")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scalars");
    assertThatThrownBy(() -> Quota.of(Resources.parse("cpus(r):1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unreserved");
    assertThatThrownBy(() -> allocator.updateWeights(Map.of("ok", 2.0, "neg", -1.0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1.0");
    assertThat(allocator.weights()).isEmpty();
    assertThat(allocator.quotas()).isEmpty();
  }

  @Test
  void reservedResourcesGoOnlyToTheirRoleAndItsChildren() {
    addAgents(1, "cpus:2;mem:1024");
    AgentId a = agent("a0");
    allocator.updateAvailable(a, Resources.parse("cpus:2;mem:1024"), Resources.parse("cpus(eng):2;mem(eng):1024"));
    allocator.addFramework(framework("other"), info("other", "other"), Map.of(), true);
    assertThat(allocator.allocate()).isEmpty();
    allocator.addFramework(framework("web"), info("web", "eng/web"), Map.of(), true);
    List<Allocation> offers = allocator.allocate();
    assertThat(offers).singleElement().satisfies(o -> {
      assertThat(o.frameworkId()).isEqualTo(framework("web"));
      assertThat(o.resources()).isEqualTo(Resources.parse("cpus(eng):2;mem(eng):1024"));
    });
    assertThat(allocator.roles()).anySatisfy(r -> {
      assertThat(r.role()).isEqualTo("eng");
      assertThat(r.reserved().cpus()).isEqualTo(2.0);
    });
  }

  @Test
  void reserveAndUnreserveInsideAnAllocation() {
    addAgents(1, "cpus:2;mem:1024");
    FrameworkId f = framework("f");
    allocator.addFramework(f, info("f", "r"), Map.of(), true);
    Allocation offer = allocator.allocate().get(0);
    Resources from = Resources.parse("cpus:1");
    Resources to = Resources.parse("cpus(r):1");
    allocator.updateAllocation(f, offer.agentId(), from, to);
    assertThat(allocator.allocation(f, offer.agentId())).isEqualTo(Resources.parse("cpus:1;cpus(r):1;mem:1024"));
    allocator.recoverResources(f, offer.agentId(), allocator.allocation(f, offer.agentId()), Optional.empty());
    assertThat(allocator.free(offer.agentId())).isEqualTo(Resources.parse("cpus:1;cpus(r):1;mem:1024"));
  }

  @Test
  void badConversionsAreRejectedWithoutChange() {
    addAgents(1, "cpus:2;mem:1024");
    AgentId a = agent("a0");
    Resources before = allocator.free(a);
    assertThatThrownBy(() -> allocator.updateAvailable(a, Resources.parse("cpus:3"), Resources.parse("cpus(r):3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("free");
    assertThatThrownBy(() -> allocator.updateAvailable(a, Resources.parse("cpus:1"), Resources.parse("cpus(r):2")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quantities differ");
    assertThatThrownBy(() -> allocator.updateAvailable(a, Resources.parse("cpus(r):1"), Resources.parse("cpus:1")))
        .as("unreserving what is not reserved").isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> allocator.updateAvailable(agent("nope"), Resources.parse("cpus:1"), Resources.parse("cpus(r):1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
    assertThatThrownBy(() -> allocator.updateAllocation(framework("ghost"), a, Resources.parse("cpus:1"), Resources.parse("cpus(r):1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ghost");
    assertThat(allocator.free(a)).isEqualTo(before);
  }

  @Test
  void explainNamesWhyAFrameworkGetsNothing() {
    addAgents(2, "cpus:2;mem:1024");
    FrameworkId f = framework("f");
    allocator.addFramework(f, info("f", "r"), Map.of(), true);
    assertThat(reasons(f)).containsEntry(Reason.OFFERABLE, 2);
    for (Allocation o : allocator.allocate()) {
      allocator.recoverResources(o.frameworkId(), o.agentId(), o.resources(), Optional.of(Filters.refuseSeconds(60)));
    }
    assertThat(reasons(f)).containsEntry(Reason.FILTERED, 2);
    allocator.suppressOffers(f, Set.of());
    assertThat(reasons(f)).containsEntry(Reason.SUPPRESSED, 2);
    allocator.reviveOffers(f, Set.of());
    allocator.deactivateFramework(f);
    assertThat(reasons(f)).containsEntry(Reason.FRAMEWORK_INACTIVE, 2);
    allocator.activateFramework(f);
    allocator.allocate();
    assertThat(reasons(f)).containsEntry(Reason.NOTHING_FREE, 2);
    assertThat(allocator.explain(framework("unknown")).known()).isFalse();
  }

  @Test
  void explainReportsBelowMinimumAllocatable() {
    addAgents(1, "cpus:0.001;mem:1");
    FrameworkId f = framework("f");
    allocator.addFramework(f, info("f", "r"), Map.of(), true);
    assertThat(reasons(f)).containsEntry(Reason.BELOW_MINIMUM_ALLOCATABLE, 1);
    assertThat(allocator.allocate()).isEmpty();
  }

  /**
   * K frameworks decline everything with long filters: each cycle offers every agent to a
   * framework that has not filtered it, so the hungry framework (sorted last) is offered within
   * K + 1 cycles.
   */
  @Test
  void noFrameworkStarvesBehindDecliners() {
    addAgents(3, "cpus:4;mem:4096");
    int k = 20;
    for (int i = 0; i < k; i++) {
      allocator.addFramework(framework("decliner" + i), info("d" + i, "r"), Map.of(), true);
    }
    FrameworkId hungry = framework("zz-hungry"); // last in name order: ties favour the decliners
    allocator.addFramework(hungry, info("hungry", "r"), Map.of(), true);
    int cycles = 0;
    int hungryOffers = 0;
    while (hungryOffers == 0) {
      cycles++;
      assertThat(cycles).as("cycles until the hungry framework is offered").isLessThanOrEqualTo(k + 1);
      for (Allocation o : allocator.allocate()) {
        if (o.frameworkId().equals(hungry)) {
          hungryOffers++;
        } else {
          allocator.recoverResources(o.frameworkId(), o.agentId(), o.resources(),
              Optional.of(Filters.refuseSeconds(3600)));
        }
      }
      sim.advance(Duration.ofSeconds(1));
    }
  }

  private Map<Reason, Integer> reasons(FrameworkId f) {
    Explanation e = allocator.explain(f);
    return e.roles().get(0).agents();
  }
}
