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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random event sequences against {@link HierarchicalAllocator}, checked after every event against
 * the allocator's own invariants and against an independent model built only from what
 * {@link HierarchicalAllocator#allocate()} returned and what was recovered.
 */
class AllocatorPropertiesTest {
  private static final String[] AGENT_RESOURCES = {
    "cpus:4;mem:4096;ports:[1000-1010]",
    "cpus:2;mem:1024;cpus(a):2;mem(a):512",
    "cpus:1;mem:64;disk:100;cpus(b):1",
    "cpus(a/x):3;mem(a/x):300;gpus:1",
  };
  private static final List<List<String>> ROLE_SETS =
      List.of(List.of("*"), List.of("a"), List.of("b"), List.of("a", "b"), List.of("a/x", "*"));
  private static final Resources[] PARTS = {
    Resources.parse("cpus:1"),
    Resources.parse("mem:512;ports:[1000-1002]"),
    Resources.parse("cpus(a):1;mem(a):100"),
    Resources.parse("cpus:0.5;gpus:1;disk:50"),
  };

  enum Kind { ADD_AGENT, REMOVE_AGENT, ADD_FRAMEWORK, REMOVE_FRAMEWORK, ALLOCATE, RECOVER_ALL, RECOVER_PART,
    SUPPRESS, REVIVE, DEACTIVATE, ACTIVATE, ADVANCE, WEIGHTS, QUOTA, RESERVE, UNRESERVE }

  record Event(Kind kind, int agent, int framework, int choice, boolean filter) {}

  @Provide
  Arbitrary<List<Event>> events() {
    return Combinators.combine(
            Arbitraries.of(Kind.class),
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, 7),
            Arbitraries.of(true, false))
        .as(Event::new)
        .list()
        .ofMaxSize(80);
  }

  @Property(tries = 400)
  void neverAllocatesAResourceTwice(@ForAll("events") List<Event> events) {
    Simulation sim = new Simulation(7);
    HierarchicalAllocator allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
    Map<AgentId, Resources> totals = new TreeMap<>();
    Map<FrameworkId, Map<AgentId, Resources>> model = new HashMap<>();

    for (Event e : events) {
      AgentId a = agent("agent" + e.agent());
      FrameworkId f = framework("fw" + e.framework());
      switch (e.kind()) {
        case ADD_AGENT -> {
          if (!totals.containsKey(a)) {
            String text = AGENT_RESOURCES[e.choice() % AGENT_RESOURCES.length];
            totals.put(a, Resources.parse(text));
            allocator.addAgent(a, agentInfo(a.value(), text), Resources.parse(text), Map.of());
          }
        }
        case REMOVE_AGENT -> {
          allocator.removeAgent(a);
          totals.remove(a);
          model.values().forEach(byAgent -> byAgent.remove(a));
        }
        case ADD_FRAMEWORK -> {
          if (!model.containsKey(f)) {
            List<String> roles = ROLE_SETS.get(e.choice() % ROLE_SETS.size());
            allocator.addFramework(f, info(f.value(), roles.toArray(new String[0])), Map.of(), true);
            model.put(f, new HashMap<>());
          }
        }
        case REMOVE_FRAMEWORK -> {
          allocator.removeFramework(f);
          model.remove(f);
        }
        case ALLOCATE -> {
          for (Allocation alloc : allocator.allocate()) {
            assertThat(model).containsKey(alloc.frameworkId());
            assertThat(totals).containsKey(alloc.agentId());
            model.get(alloc.frameworkId()).merge(alloc.agentId(), alloc.resources(), Resources::add);
          }
        }
        case RECOVER_ALL, RECOVER_PART -> {
          Resources held = model.getOrDefault(f, Map.of()).getOrDefault(a, Resources.EMPTY);
          Resources asked = e.kind() == Kind.RECOVER_ALL ? held : PARTS[e.choice() % PARTS.length];
          Optional<Filters> filters = e.filter() ? Optional.of(Filters.DEFAULT) : Optional.empty();
          allocator.recoverResources(f, a, asked, filters);
          if (model.containsKey(f) && !held.isEmpty()) {
            Resources left = held.subtractUpTo(asked);
            if (left.isEmpty()) {
              model.get(f).remove(a);
            } else {
              model.get(f).put(a, left);
            }
          }
        }
        case SUPPRESS, REVIVE -> {
          try {
            if (e.kind() == Kind.SUPPRESS) {
              allocator.suppressOffers(f, e.filter() ? Set.of() : Set.of("a"));
            } else {
              allocator.reviveOffers(f, e.filter() ? Set.of() : Set.of("a"));
            }
          } catch (IllegalArgumentException notSubscribed) {
            assertThat(notSubscribed).hasMessageContaining("does not subscribe");
          }
        }
        case DEACTIVATE -> allocator.deactivateFramework(f);
        case ACTIVATE -> allocator.activateFramework(f);
        case ADVANCE -> sim.advance(Duration.ofSeconds(e.choice()));
        case WEIGHTS -> allocator.updateWeights(Map.of(e.filter() ? "a" : "b", 1.0 + e.choice()));
        case QUOTA -> allocator.updateQuota(e.filter() ? "a" : "b", e.choice() == 0 ? Quota.NONE
            : new Quota(e.choice() % 3 == 0 ? Resources.EMPTY : Resources.parse("cpus:" + e.choice() % 3),
                Resources.parse("cpus:" + (1 + e.choice()))));
        case RESERVE, UNRESERVE -> {
          Resources plain = Resources.parse("cpus:1");
          Resources reserved = Resources.parse("cpus(a):1");
          Resources from = e.kind() == Kind.RESERVE ? plain : reserved;
          Resources to = e.kind() == Kind.RESERVE ? reserved : plain;
          Resources freeBefore = allocator.free(a);
          try {
            allocator.updateAvailable(a, from, to);
            totals.put(a, totals.get(a).subtract(from).add(to));
          } catch (IllegalArgumentException notFree) {
            assertThat(allocator.free(a)).as("a failed conversion changes nothing").isEqualTo(freeBefore);
          }
        }
      }
      allocator.checkInvariants();
      for (Map.Entry<AgentId, Resources> t : totals.entrySet()) {
        Resources allocated = Resources.EMPTY;
        for (Map.Entry<FrameworkId, Map<AgentId, Resources>> fw : model.entrySet()) {
          Resources held = fw.getValue().getOrDefault(t.getKey(), Resources.EMPTY);
          assertThat(allocator.allocation(fw.getKey(), t.getKey())).as("held by %s", fw.getKey()).isEqualTo(held);
          allocated = allocated.add(held); // throws if a range or set item is held twice
        }
        assertThat(t.getValue().contains(allocated)).as("%s within %s", allocated, t.getValue()).isTrue();
        assertThat(allocated.add(allocator.free(t.getKey()))).isEqualTo(t.getValue());
      }
    }
  }

  /** After enough cycles with nothing filtered or suppressed, no free resource is left unoffered. */
  @Property(tries = 100)
  void everyAllocatableFreeResourceIsOffered(@ForAll("events") List<Event> events) {
    Simulation sim = new Simulation(11);
    HierarchicalAllocator allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
    List<AgentId> agents = new ArrayList<>();
    for (int i = 0; i < AGENT_RESOURCES.length; i++) {
      AgentId a = agent("agent" + i);
      agents.add(a);
      allocator.addAgent(a, agentInfo(a.value(), AGENT_RESOURCES[i]), Resources.parse(AGENT_RESOURCES[i]), Map.of());
    }
    // One framework per role set covers every reservation role.
    for (int i = 0; i < ROLE_SETS.size(); i++) {
      allocator.addFramework(framework("fw" + i), info("fw" + i, ROLE_SETS.get(i).toArray(new String[0])),
          Map.of(), true);
    }
    for (Event e : events) {
      if (e.kind() == Kind.ALLOCATE) {
        allocator.allocate();
      } else if (e.kind() == Kind.RECOVER_PART) {
        allocator.recoverResources(framework("fw" + e.framework()), agents.get(e.agent() % agents.size()),
            PARTS[e.choice() % PARTS.length], Optional.empty());
      }
    }
    allocator.allocate();
    allocator.checkInvariants();
    for (AgentId a : agents) {
      Resources free = allocator.free(a);
      assertThat(free.unreserved().scalar("cpus") < 0.01 && free.unreserved().scalar("mem") < 32)
          .as("unoffered free %s on %s", free, a).isTrue();
    }
  }
}
