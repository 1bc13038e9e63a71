package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Example;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Batched allocation: a cycle looks only at the agents it is given (the touched ones) and skips
 * agents on which nothing changed since a cycle could give nothing away there.
 */
class BatchedAllocationTest {
  private final Simulation sim = new Simulation(5);

  private HierarchicalAllocator newAllocator() {
    HierarchicalAllocator a = HierarchicalAllocator.builder().build();
    a.initialize(sim);
    return a;
  }

  private static void addAgents(HierarchicalAllocator a, int n) {
    for (int i = 0; i < n; i++) {
      a.addAgent(agent("a" + i), agentInfo("h" + i, "cpus:4;mem:1024"), Resources.parse("cpus:4;mem:1024"), Map.of());
    }
  }

  @Test
  void anEventTriggeredCycleLooksOnlyAtTheTouchedAgents() {
    HierarchicalAllocator a = newAllocator();
    addAgents(a, 100);
    a.addFramework(framework("f"), info("f", "*"), Map.of(), true);
    List<Allocation> first = a.allocate();
    assertThat(first).hasSize(100);
    assertThat(a.lastCycleVisited()).isEqualTo(100);
    // Two offers come back (declined without a filter): only their agents are touched.
    a.recoverResources(framework("f"), agent("a7"), first.get(7).resources(), Optional.empty());
    a.recoverResources(framework("f"), agent("a42"), first.get(42).resources(), Optional.empty());
    List<Allocation> batched = a.allocate(Set.of(agent("a42"), agent("a7"), agent("unknown")));
    assertThat(a.lastCycleVisited()).isEqualTo(2);
    assertThat(batched).extracting(Allocation::agentId).containsExactly(agent("a42"), agent("a7"));
    a.checkInvariants();
  }

  @Test
  void aFullCycleSkipsAgentsUntouchedSinceNobodyCouldTakeThem() {
    HierarchicalAllocator a = newAllocator();
    addAgents(a, 50);
    a.addFramework(framework("f"), info("f", "*"), Map.of(), true);
    for (Allocation o : a.allocate()) {
      a.recoverResources(o.frameworkId(), o.agentId(), o.resources(), Optional.of(new Filters(Duration.ofSeconds(10))));
    }
    assertThat(a.allocate()).isEmpty();
    assertThat(a.lastCycleVisited()).as("every agent filtered: looked at once").isEqualTo(50);
    assertThat(a.allocate()).isEmpty();
    assertThat(a.lastCycleVisited()).as("nothing changed since").isZero();
    // The filters expire: the agents are looked at, and offered, again.
    sim.advance(Duration.ofSeconds(11));
    assertThat(a.allocate()).hasSize(50);
    // A new framework is a new candidate for clean agents.
    addAgents(a, 0);
    a.addAgent(agent("b"), agentInfo("hb", "cpus:1;mem:64"), Resources.parse("cpus:1;mem:64"), Map.of());
    a.suppressOffers(framework("f"), Set.of());
    assertThat(a.allocate()).isEmpty();
    assertThat(a.lastCycleVisited()).isEqualTo(1);
    a.addFramework(framework("g"), info("g", "*"), Map.of(), true);
    assertThat(a.allocate()).extracting(Allocation::frameworkId).containsExactly(framework("g"));
    a.checkInvariants();
  }

  @Test
  void aDeactivatedAgentOffersNothingUntilReactivated() {
    HierarchicalAllocator a = newAllocator();
    addAgents(a, 2);
    a.deactivateAgent(agent("a0"));
    a.addFramework(framework("f"), info("f", "*"), Map.of(), true);
    assertThat(a.allocate()).extracting(Allocation::agentId).containsExactly(agent("a1"));
    assertThat(a.explain(framework("f")).roles().get(0).agents())
        .containsEntry(dev.agora.core.allocation.Explanation.Reason.AGENT_INACTIVE, 1);
    a.activateAgent(agent("a0"));
    assertThat(a.allocate()).extracting(Allocation::agentId).containsExactly(agent("a0"));
    a.checkInvariants();
  }

  // ------------------------------------------------------------------ equivalence property

  enum Kind { ALLOCATE, RECOVER, DECLINE, SUPPRESS, REVIVE, ADVANCE, QUOTA, DEACTIVATE_AGENT, ACTIVATE_AGENT,
    ADD_FRAMEWORK, REMOVE_FRAMEWORK, DEACTIVATE_FRAMEWORK, ACTIVATE_FRAMEWORK }

  record Event(Kind kind, int agent, int framework, int choice) {}

  @Provide
  Arbitrary<List<Event>> events() {
    return Combinators.combine(
            Arbitraries.of(Kind.class),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, 9))
        .as(Event::new)
        .list()
        .ofMaxSize(100);
  }

  private static final List<List<String>> ROLES = List.of(List.of("*"), List.of("a"), List.of("a/x", "*"), List.of("b"));
  private static final String[] AGENTS = {"cpus:4;mem:4096", "cpus:2;mem:512;cpus(a):1", "cpus:1;mem:64;ports:[1-5]"};

  /**
   * Found by the property below: a guarantee met during a cycle frees the headroom it held on the
   * agents that cycle had already passed (and marked clean): they must be looked at again.
   */
  @Example
  void aGuaranteeMetMidCycleReleasesTheAgentsItsHeadroomHeldBack() {
    skippingCleanAgentsChangesNoDecision(List.of(
        new Event(Kind.QUOTA, 0, 0, 5), // role b: guarantee cpus:1
        new Event(Kind.ADD_FRAMEWORK, 0, 1, 2), // f1 in a/x and *
        new Event(Kind.ALLOCATE, 0, 0, 0),
        new Event(Kind.ADD_FRAMEWORK, 0, 0, 3), // f0 in b
        new Event(Kind.ALLOCATE, 0, 0, 0),
        new Event(Kind.ALLOCATE, 0, 0, 0)));
  }

  /**
   * Skipping clean agents never changes a decision: the same events give the same offers as an
   * allocator made to look at every agent on every cycle.
   */
  @Property(tries = 300)
  void skippingCleanAgentsChangesNoDecision(@ForAll("events") List<Event> events) {
    HierarchicalAllocator skipping = newAllocator();
    HierarchicalAllocator looking = newAllocator();
    List<HierarchicalAllocator> both = List.of(skipping, looking);
    for (int i = 0; i < 6; i++) {
      String text = AGENTS[i % AGENTS.length];
      for (HierarchicalAllocator a : both) {
        a.addAgent(agent("a" + i), agentInfo("h" + i, text), Resources.parse(text), Map.of());
      }
    }
    List<Allocation> outstanding = new ArrayList<>();
    for (Event e : events) {
      AgentId ag = agent("a" + e.agent());
      FrameworkId f = framework("f" + e.framework());
      switch (e.kind()) {
        case ALLOCATE -> {
          looking.touchAll();
          List<Allocation> expected = looking.allocate();
          List<Allocation> actual = skipping.allocate();
          assertThat(actual).isEqualTo(expected);
          outstanding.addAll(actual);
        }
        case RECOVER, DECLINE -> {
          if (!outstanding.isEmpty()) {
            Allocation o = outstanding.remove(e.choice() % outstanding.size());
            Optional<Filters> filters = e.kind() == Kind.DECLINE
                ? Optional.of(new Filters(Duration.ofSeconds(e.choice()))) : Optional.empty();
            both.forEach(a -> a.recoverResources(o.frameworkId(), o.agentId(), o.resources(), filters));
          }
        }
        case SUPPRESS -> both.forEach(a -> a.suppressOffers(f, Set.of()));
        case REVIVE -> both.forEach(a -> a.reviveOffers(f, Set.of()));
        case ADVANCE -> sim.advance(Duration.ofSeconds(e.choice()));
        case QUOTA -> both.forEach(a -> a.updateQuota(e.choice() % 2 == 0 ? "a" : "b",
            e.choice() < 3 ? Quota.NONE : new Quota(Resources.parse("cpus:" + e.choice() % 4),
                Resources.parse("cpus:" + e.choice()))));
        case DEACTIVATE_AGENT -> both.forEach(a -> a.deactivateAgent(ag));
        case ACTIVATE_AGENT -> both.forEach(a -> a.activateAgent(ag));
        case ADD_FRAMEWORK -> both.forEach(a -> a.addFramework(f,
            info(f.value(), ROLES.get(e.choice() % ROLES.size()).toArray(new String[0])), Map.of(), true));
        case REMOVE_FRAMEWORK -> {
          both.forEach(a -> a.removeFramework(f));
          outstanding.removeIf(o -> o.frameworkId().equals(f));
        }
        case DEACTIVATE_FRAMEWORK -> both.forEach(a -> a.deactivateFramework(f));
        case ACTIVATE_FRAMEWORK -> both.forEach(a -> a.activateFramework(f));
      }
      skipping.checkInvariants();
    }
  }
}
