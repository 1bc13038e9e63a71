package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Quota properties over random clusters and event sequences. */
class QuotaPropertiesTest {
  private static final String[] ROLES = {"a", "a/x", "b", "c"};
  private static final String[] AGENTS = {"cpus:4;mem:4096", "cpus:2;mem:1024;cpus(a):1", "cpus:8;mem:512;disk:10"};

  enum Kind { ALLOCATE, RECOVER, QUOTA, CLEAR_QUOTA, ADVANCE, REVIVE }

  record Event(Kind kind, int role, int amount, int agent) {}

  @Provide
  Arbitrary<List<Event>> events() {
    return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, ROLES.length - 1),
            Arbitraries.integers().between(1, 12), Arbitraries.integers().between(0, 5))
        .as(Event::new).list().ofMaxSize(60);
  }

  @Property(tries = 200)
  void anAllocationNeverTakesARoleAboveItsLimit(@ForAll("events") List<Event> events) {
    Simulation sim = new Simulation(5);
    HierarchicalAllocator allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
    for (int i = 0; i < 6; i++) {
      String r = AGENTS[i % AGENTS.length];
      allocator.addAgent(agent("ag" + i), agentInfo("h" + i, r), Resources.parse(r), Map.of());
    }
    for (int i = 0; i < ROLES.length; i++) {
      allocator.addFramework(framework("f" + i), info("f" + i, ROLES[i]), Map.of(), true);
    }
    List<Allocation> held = new ArrayList<>();
    for (Event e : events) {
      String role = ROLES[e.role()];
      switch (e.kind()) {
        case ALLOCATE -> {
          Map<String, Resources> before = consumption(allocator);
          held.addAll(allocator.allocate());
          Map<String, Resources> after = consumption(allocator);
          allocator.quotas().forEach((r, q) -> {
            for (String name : q.limit().names()) {
              long limit = q.limit().scalarMillis(name);
              long was = before.getOrDefault(r, Resources.EMPTY).scalarMillis(name);
              long now = after.getOrDefault(r, Resources.EMPTY).scalarMillis(name);
              assertThat(now).as("%s of role %s (limit %s, was %s)", name, r, limit, was)
                  .isLessThanOrEqualTo(Math.max(limit, was));
            }
          });
        }
        case RECOVER -> {
          if (!held.isEmpty()) {
            Allocation a = held.remove(e.agent() % held.size());
            allocator.recoverResources(a.frameworkId(), a.agentId(), a.resources(),
                e.amount() % 2 == 0 ? Optional.of(Filters.DEFAULT) : Optional.empty());
          }
        }
        case QUOTA -> allocator.updateQuota(role, new Quota(Resources.EMPTY,
            Resources.parse("cpus:" + e.amount() + ";mem:" + 256 * e.amount())));
        case CLEAR_QUOTA -> allocator.updateQuota(role, Quota.NONE);
        case ADVANCE -> sim.advance(Duration.ofSeconds(e.amount()));
        case REVIVE -> allocator.reviveOffers(framework("f" + e.role()), java.util.Set.of());
      }
      allocator.checkInvariants();
    }
  }

  /** Guarantees that fit in the cluster are all met by one cycle, even with a greedy role present. */
  @Property(tries = 200)
  void guaranteesAreMetWheneverTheClusterCanMeetThem(
      @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 1, max = 8) Integer> agentCpus,
      @ForAll @Size(value = 3) List<@IntRange(min = 0, max = 10) Integer> shares) {
    Simulation sim = new Simulation(9);
    HierarchicalAllocator allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
    long totalCpus = 0;
    for (int i = 0; i < agentCpus.size(); i++) {
      String r = "cpus:" + agentCpus.get(i) + ";mem:" + 1024 * agentCpus.get(i);
      allocator.addAgent(agent("ag" + i), agentInfo("h" + i, r), Resources.parse(r), Map.of());
      totalCpus += agentCpus.get(i);
    }
    allocator.addFramework(framework("greedy"), info("greedy", "greedy"), Map.of(), true);
    int sum = shares.stream().mapToInt(Integer::intValue).sum();
    Map<String, Resources> guarantees = new HashMap<>();
    for (int i = 0; i < shares.size(); i++) {
      // Up to 90% of the cluster in total, in tenths of a cpu and 64 MB steps.
      double cpus = sum == 0 ? 0 : Math.floor(totalCpus * 0.9 * shares.get(i) / sum * 10) / 10;
      if (cpus < 0.1) {
        continue;
      }
      Resources g = Resources.parse("cpus:" + cpus + ";mem:" + 64 * (long) (cpus * 10));
      String role = "q" + i;
      allocator.updateQuota(role, new Quota(g, Resources.EMPTY));
      allocator.addFramework(framework("f" + i), info("f" + i, role), Map.of(), true);
      guarantees.put(role, g);
    }
    allocator.allocate();
    allocator.checkInvariants();
    Map<String, Resources> got = consumption(allocator);
    guarantees.forEach((role, g) -> assertThat(got.getOrDefault(role, Resources.EMPTY).contains(g))
        .as("role %s got %s, guaranteed %s", role, got.get(role), g).isTrue());
  }

  private static Map<String, Resources> consumption(HierarchicalAllocator allocator) {
    Map<String, Resources> out = new HashMap<>();
    for (RoleInfo r : allocator.roles()) {
      out.put(r.role(), r.allocated());
    }
    return out;
  }

  static FrameworkId fw(int i) {
    return framework("f" + i);
  }

  static AgentId ag(int i) {
    return agent("ag" + i);
  }
}
