package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HierarchicalAllocatorTest {
  private static final AgentId A1 = agent("a1");
  private static final AgentId A2 = agent("a2");
  private static final FrameworkId FA = framework("fa");
  private static final FrameworkId FB = framework("fb");

  private Simulation sim;
  private HierarchicalAllocator allocator;

  @BeforeEach
  void setUp() {
    sim = new Simulation(42);
    allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
  }

  @AfterEach
  void invariantsHold() {
    allocator.checkInvariants();
  }

  private void addAgent(AgentId id, String resources) {
    allocator.addAgent(id, agentInfo(id.value() + ".host", resources), Resources.parse(resources), Map.of());
  }

  private void addFramework(FrameworkId id, String... roles) {
    allocator.addFramework(id, info(id.value(), roles), Map.of(), true);
  }

  private void recover(Allocation a, Resources r, Filters filters) {
    allocator.recoverResources(a.frameworkId(), a.agentId(), r, Optional.of(filters));
  }

  /**
   * Frameworks that each launch one task of a fixed size per offer, returning the rest with no
   * filter, and decline an offer in which no task fits with the default 5 s filter; cycles run
   * until nothing is offered. Returns the tasks launched per framework.
   */
  private Map<FrameworkId, Integer> runTasks(Map<FrameworkId, Resources> taskSize) {
    Map<FrameworkId, Integer> launched = new LinkedHashMap<>();
    taskSize.keySet().forEach(f -> launched.put(f, 0));
    for (int cycle = 0; cycle < 1000; cycle++) {
      List<Allocation> offers = allocator.allocate();
      if (offers.isEmpty()) {
        return launched;
      }
      for (Allocation offer : offers) {
        Resources task = taskSize.get(offer.frameworkId());
        if (offer.resources().contains(task)) {
          launched.merge(offer.frameworkId(), 1, Integer::sum);
          recover(offer, offer.resources().subtract(task), Filters.NONE);
        } else {
          recover(offer, offer.resources(), Filters.DEFAULT);
        }
      }
      allocator.checkInvariants();
    }
    throw new AssertionError("no fixed point after 1000 cycles: " + launched);
  }

  @Test
  void drfPaperExampleGivesAThreeTasksAndBTwo() {
    // Ghodsi et al. 2011, section 4: 9 CPUs and 18 GB; A's tasks <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>.
    addAgent(A1, "cpus:9;mem:18432");
    addFramework(FA, "a");
    addFramework(FB, "b");

    Map<FrameworkId, Integer> launched =
        runTasks(Map.of(FA, Resources.of(1, 4096), FB, Resources.of(3, 1024)));

    assertThat(launched).containsEntry(FA, 3).containsEntry(FB, 2);
    // Both end with a dominant share of 2/3: A in memory (12 of 18 GB), B in CPUs (6 of 9).
    assertThat(allocator.allocation(FA, A1)).isEqualTo(Resources.of(3, 12288));
    assertThat(allocator.allocation(FB, A1)).isEqualTo(Resources.of(6, 2048));
  }

  @Test
  void drfPaperExampleHoldsForFrameworksOfOneRole() {
    addAgent(A1, "cpus:9;mem:18432");
    addFramework(FA, "*");
    addFramework(FB, "*");

    assertThat(runTasks(Map.of(FA, Resources.of(1, 4096), FB, Resources.of(3, 1024))))
        .containsEntry(FA, 3)
        .containsEntry(FB, 2);
  }

  @Test
  void weightsTwoToOneGiveTwiceTheShare() {
    addAgent(A1, "cpus:30;mem:30720");
    addFramework(FA, "a");
    addFramework(FB, "b");
    allocator.updateWeights(Map.of("a", 2.0, "b", 1.0));

    Map<FrameworkId, Integer> launched =
        runTasks(Map.of(FA, Resources.of(1, 1024), FB, Resources.of(1, 1024)));

    assertThat(launched).containsEntry(FA, 20).containsEntry(FB, 10);
  }

  @Test
  void eachAgentGoesToTheLowestShareAtThatMoment() {
    addAgent(A1, "cpus:4;mem:4096");
    addAgent(A2, "cpus:4;mem:4096");
    addFramework(FA, "*");
    addFramework(FB, "*");

    List<Allocation> offers = allocator.allocate();

    assertThat(offers).extracting(Allocation::frameworkId, Allocation::agentId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(FA, A1), org.assertj.core.groups.Tuple.tuple(FB, A2));
    assertThat(allocator.allocate()).isEmpty();
  }

  @Test
  void declineFilterHoldsResourcesForTheRefuseTimeAndReleasesThemAfter() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    Allocation offer = allocator.allocate().get(0);

    recover(offer, offer.resources(), new Filters(Duration.ofSeconds(10)));
    assertThat(allocator.allocate()).isEmpty();
    sim.advance(Duration.ofSeconds(9));
    assertThat(allocator.allocate()).isEmpty();
    sim.advance(Duration.ofSeconds(1));

    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.resources()).isEqualTo(Resources.parse("cpus:4;mem:4096")));
  }

  @Test
  void declinedResourcesGoToTheNextFramework() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    addFramework(FB, "*");
    Allocation first = allocator.allocate().get(0);
    assertThat(first.frameworkId()).isEqualTo(FA);

    recover(first, first.resources(), Filters.DEFAULT);

    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FB));
  }

  @Test
  void filterBlocksOnlyOffersItContains() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    Allocation offer = allocator.allocate().get(0);

    recover(offer, Resources.of(1, 1024), Filters.DEFAULT);
    assertThat(allocator.allocate()).isEmpty();
    recover(offer, Resources.of(1, 0), Filters.NONE);

    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.resources()).isEqualTo(Resources.of(2, 1024)));
  }

  @Test
  void zeroRefuseTimeSetsNoFilter() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    Allocation offer = allocator.allocate().get(0);

    recover(offer, offer.resources(), Filters.NONE);

    assertThat(allocator.allocate()).hasSize(1);
  }

  @Test
  void suppressedFrameworkGetsNoOffersUntilRevived() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    allocator.suppressOffers(FA, Set.of());
    assertThat(allocator.allocate()).isEmpty();

    allocator.reviveOffers(FA, Set.of());

    assertThat(allocator.allocate()).hasSize(1);
  }

  @Test
  void suppressingOneRoleLeavesTheOthers() {
    addAgent(A1, "cpus:2;mem:100;cpus(x):4;mem(x):400");
    addFramework(FA, "x", "y");
    allocator.suppressOffers(FA, Set.of("x"));

    assertThat(allocator.allocate()).singleElement().satisfies(a -> {
      assertThat(a.role()).isEqualTo("y");
      assertThat(a.resources()).isEqualTo(Resources.parse("cpus:2;mem:100"));
    });
    allocator.reviveOffers(FA, Set.of("x"));
    assertThat(allocator.allocate()).singleElement().satisfies(a -> {
      assertThat(a.role()).isEqualTo("x");
      assertThat(a.resources()).isEqualTo(Resources.parse("cpus(x):4;mem(x):400"));
    });
  }

  @Test
  void reviveClearsDeclineFilters() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    Allocation offer = allocator.allocate().get(0);
    recover(offer, offer.resources(), Filters.refuseSeconds(3600));
    assertThat(allocator.allocate()).isEmpty();

    allocator.reviveOffers(FA, Set.of());

    assertThat(allocator.allocate()).hasSize(1);
  }

  @Test
  void suppressAndReviveRejectBadRoleNames() {
    addFramework(FA, "*");
    assertThatThrownBy(() -> allocator.suppressOffers(FA, Set.of("a b")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a b");
    assertThatThrownBy(() -> allocator.reviveOffers(FA, Set.of("../x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../x");
  }

  @Test
  void suppressAndReviveOfRolesTheFrameworkDoesNotSubscribeAreErrorsWithoutChange() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "web");
    assertThatThrownBy(() -> allocator.suppressOffers(FA, Set.of("web", "unknown")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown");
    assertThat(allocator.allocate()).as("web was not suppressed").hasSize(1);
    assertThatThrownBy(() -> allocator.reviveOffers(FA, Set.of("other")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("other");
  }

  @Test
  void reservedResourcesGoOnlyToTheirRole() {
    addAgent(A1, "cpus:2;mem:100;cpus(web):4;mem(web):400");
    addFramework(FA, "*");
    addFramework(FB, "web");

    Map<FrameworkId, Allocation> byFramework = new HashMap<>();
    allocator.allocate().forEach(a -> byFramework.put(a.frameworkId(), a));

    assertThat(byFramework.get(FA).resources()).isEqualTo(Resources.parse("cpus:2;mem:100"));
    assertThat(byFramework.get(FA).role()).isEqualTo("*");
    assertThat(byFramework.get(FB).resources()).isEqualTo(Resources.parse("cpus(web):4;mem(web):400"));
  }

  @Test
  void frameworkIsOfferedNothingWhileInactive() {
    addAgent(A1, "cpus:4;mem:4096");
    allocator.addFramework(FA, info("fa", "*"), Map.of(), false);
    assertThat(allocator.allocate()).isEmpty();

    allocator.activateFramework(FA);
    assertThat(allocator.allocate()).hasSize(1);
    allocator.deactivateFramework(FA);
    addAgent(A2, "cpus:4;mem:4096");
    assertThat(allocator.allocate()).isEmpty();
  }

  @Test
  void offersBelowTheMinimumAreNotMade() {
    addAgent(A1, "cpus:0.005;mem:16;disk:1000");
    addFramework(FA, "*");
    assertThat(allocator.allocate()).isEmpty();
  }

  @Test
  void eitherCpusOrMemReachesTheDefaultMinimum() {
    addAgent(A1, "cpus:0.01");
    addAgent(A2, "mem:32");
    addFramework(FA, "*");
    assertThat(allocator.allocate()).hasSize(2);
  }

  @Test
  void customMinimumNeedsEveryQuantityOfOneAlternative() {
    allocator = HierarchicalAllocator.builder()
        .minAllocatable(Resources.of(1, 512), Resources.scalar("gpus", 1))
        .build();
    allocator.initialize(sim);
    addAgent(A1, "cpus:2;mem:256");
    addAgent(A2, "cpus:1;mem:512");
    addAgent(agent("a3"), "gpus:1");
    addFramework(FA, "*");

    assertThat(allocator.allocate()).extracting(Allocation::agentId).containsExactly(A2, agent("a3"));
  }

  @Test
  void removingAnAgentDropsItsResourcesFromEveryAllocation() {
    addAgent(A1, "cpus:4;mem:4096");
    addAgent(A2, "cpus:4;mem:4096");
    addFramework(FA, "*");
    addFramework(FB, "*");
    allocator.allocate();

    allocator.removeAgent(A1);
    allocator.recoverResources(FA, A1, Resources.of(4, 4096), Optional.empty());

    assertThat(allocator.allocation(FA, A1)).isEqualTo(Resources.EMPTY);
    assertThat(allocator.agentIds()).containsExactly(A2);
    // fa now holds nothing, so the agent fb gives back goes to fa.
    allocator.recoverResources(FB, A2, Resources.of(4, 4096), Optional.of(Filters.NONE));
    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FA));
  }

  @Test
  void removingAFrameworkFreesWhatItHeld() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    addFramework(FB, "*");
    allocator.allocate();

    allocator.removeFramework(FA);

    assertThat(allocator.free(A1)).isEqualTo(Resources.of(4, 4096));
    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FB));
  }

  @Test
  void recoverResourcesIsIdempotent() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    Allocation offer = allocator.allocate().get(0);

    recover(offer, offer.resources(), Filters.NONE);
    recover(offer, offer.resources(), Filters.DEFAULT);

    assertThat(allocator.free(A1)).isEqualTo(Resources.of(4, 4096));
    assertThat(allocator.allocation(FA, A1)).isEqualTo(Resources.EMPTY);
    // The second call recovered nothing, so it set no filter either.
    assertThat(allocator.allocate()).hasSize(1);
  }

  @Test
  void recoveringMoreThanHeldRecoversOnlyWhatIsHeld() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");
    allocator.allocate();
    allocator.recoverResources(FA, A1, Resources.of(1, 1024), Optional.empty());
    assertThat(allocator.free(A1)).isEqualTo(Resources.of(1, 1024));

    allocator.recoverResources(FA, A1, Resources.parse("cpus:10;mem:10000;gpus:1"), Optional.empty());

    assertThat(allocator.free(A1)).isEqualTo(Resources.of(4, 4096));
    assertThat(allocator.allocation(FA, A1)).isEqualTo(Resources.EMPTY);
  }

  @Test
  void recoveringWhatIsNotHeldSetsNoFilter() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "*");

    allocator.recoverResources(FA, A1, Resources.of(4, 4096), Optional.of(Filters.DEFAULT));

    assertThat(allocator.allocate()).hasSize(1);
  }

  @Test
  void callsAboutUnknownFrameworksAndAgentsAreIgnored() {
    addAgent(A1, "cpus:4;mem:4096");
    FrameworkId ghost = framework("ghost");
    allocator.removeFramework(ghost);
    allocator.activateFramework(ghost);
    allocator.deactivateFramework(ghost);
    allocator.updateFramework(ghost, info("ghost", "*"));
    allocator.suppressOffers(ghost, Set.of());
    allocator.reviveOffers(ghost, Set.of());
    allocator.recoverResources(ghost, A1, Resources.of(1, 1), Optional.of(Filters.DEFAULT));
    allocator.recoverResources(FA, agent("nowhere"), Resources.of(1, 1), Optional.empty());
    allocator.removeAgent(agent("nowhere"));

    assertThat(allocator.free(A1)).isEqualTo(Resources.of(4, 4096));
  }

  @Test
  void usedResourcesReportedOnAddAreCounted() {
    addAgent(A1, "cpus:4;mem:4096");
    allocator.addFramework(FA, info("fa", "*"), Map.of(A1, Resources.of(1, 1024), A2, Resources.of(1, 1)), true);
    assertThat(allocator.free(A1)).isEqualTo(Resources.of(3, 3072));

    // An agent re-registering before its framework: the use is held until the framework comes.
    allocator.addAgent(A2, agentInfo("a2", "cpus:2;mem:2048"), Resources.parse("cpus:2;mem:2048"),
        Map.of(FB, Resources.of(2, 2048)));
    assertThat(allocator.free(A2)).isEqualTo(Resources.EMPTY);
    allocator.checkInvariants();
    allocator.addFramework(FB, info("fb", "*"), Map.of(A2, Resources.of(2, 2048)), true);
    allocator.checkInvariants();
    assertThat(allocator.allocation(FB, A2)).isEqualTo(Resources.of(2, 2048));
    allocator.recoverResources(FB, A2, Resources.of(2, 2048), Optional.empty());
    assertThat(allocator.free(A2)).isEqualTo(Resources.of(2, 2048));
  }

  @Test
  void usedByAFrameworkThatNeverComesIsFreedWhenItIsRemoved() {
    allocator.addAgent(A1, agentInfo("a1", "cpus:2;mem:2048"), Resources.parse("cpus:2;mem:2048"),
        Map.of(FB, Resources.of(1, 1024)));
    allocator.checkInvariants();
    allocator.removeFramework(FB);
    assertThat(allocator.free(A1)).isEqualTo(Resources.of(2, 2048));
  }

  @Test
  void updateFrameworkMovesItBetweenRoles() {
    addAgent(A1, "cpus:4;mem:4096");
    addFramework(FA, "x");
    allocator.allocate();

    allocator.updateFramework(FA, info("fa", "y"));
    // Still holds its role-x resources until they come back.
    assertThat(allocator.trackedRoles()).containsExactly("x", "y");
    allocator.recoverResources(FA, A1, Resources.of(4, 4096), Optional.empty());
    assertThat(allocator.trackedRoles()).containsExactly("y");
    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.role()).isEqualTo("y"));
  }

  @Test
  void badWeightsAreRejectedNamingTheValueWithoutAnyChange() {
    addAgent(A1, "cpus:10;mem:1000");
    addFramework(FA, "a");
    addFramework(FB, "b");
    allocator.allocate();
    allocator.recoverResources(FA, A1, Resources.parse("cpus:8;mem:1000"), Optional.empty());
    allocator.recoverResources(FB, A1, Resources.parse("cpus:9;mem:1000"), Optional.empty());
    // fa holds cpus:2 (0.2), fb cpus:1 (0.1); with weight 3, fa's weighted share would be lower.

    for (double bad : new double[] {0, -1, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY}) {
      Map<String, Double> weights = new LinkedHashMap<>();
      weights.put("a", 3.0);
      weights.put("b", bad);
      assertThatThrownBy(() -> allocator.updateWeights(weights))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'b'")
          .hasMessageContaining(String.valueOf(bad));
    }
    assertThatThrownBy(() -> allocator.updateWeights(Map.of("a", 3.0, "bad role", 1.0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad role");
    assertThatThrownBy(() -> allocator.updateWeights(Map.of("a", 3.0, "", 1.0)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(allocator.allocate()).singleElement()
        .satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FB));
  }

  @Test
  void callsBeforeInitializeAreRejected() {
    HierarchicalAllocator fresh = HierarchicalAllocator.builder().build();
    assertThatThrownBy(fresh::allocate).isInstanceOf(IllegalStateException.class).hasMessageContaining("initialize");
    fresh.initialize(sim);
    assertThatThrownBy(() -> fresh.initialize(sim)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void builderSettersMayBeSetOnceAndCheckTheirValues() {
    HierarchicalAllocator.Builder b = HierarchicalAllocator.builder().minAllocatable(Resources.of(1, 1));
    assertThatThrownBy(() -> b.minAllocatable(Resources.of(1, 1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("minAllocatable was already set");
    b.sorter(DrfSorter::new);
    assertThatThrownBy(() -> b.sorter(DrfSorter::new)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> HierarchicalAllocator.builder().minAllocatable(Resources.EMPTY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> HierarchicalAllocator.builder().minAllocatable(Resources.parse("ports:[1-2]")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ports:[1-2]");
    assertThat(b.build().name()).isEqualTo("hierarchical-drf");
  }
}
