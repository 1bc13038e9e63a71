package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the allocator knows of one framework: whether it is active, the roles it suppressed, what
 * it holds per role and agent, and its decline filters. Mutable; confined to the allocator's
 * thread.
 *
 * <p>Invariant: no allocation entry is empty (an entry is removed when it empties), so that
 * {@code allocations.containsKey(role)} means "holds something in role".
 *
 * <p>What it holds on one agent in one role is a {@link Holding}, linked from the agent too; the
 * framework lists its holdings per role.
 */
final class FrameworkState {
  final FrameworkId id;
  /** The framework's name in the sorters. */
  final String client;
  /**
   * A small dense number, unique among the allocator's frameworks (the lowest free one when added;
   * reused after the framework is removed, its filters gone): decline filters' bits are indexed by it.
   */
  final int index;
  FrameworkInfo info;
  boolean active;
  final Set<String> suppressed = new HashSet<>();
  /** Role to its holdings (none empty); roles sorted so that recovery visits them in a fixed order. */
  final Map<String, List<Holding>> allocations = new TreeMap<>();
  /** The last role {@link #add} looked up and its list (most frameworks have one role). */
  private String lastRole;
  private List<Holding> lastList;
  /** The agents whose {@link AgentState#filters} hold filters of this framework (maybe expired). */
  final Set<AgentId> filteredAgents = new HashSet<>();
  /** The full cycle in which it was last offered something (starvation accounting). */
  long offeredCycle = -1;
  /** Full cycles in a row it wanted offers but got none while others did. */
  int hungryCycles;
  /** Whether its last give-back carried a decline filter (and it has not revived since). */
  boolean declining;

  FrameworkState(FrameworkId id, int index, FrameworkInfo info, boolean active) {
    this.id = id;
    this.index = index;
    this.client = id.value();
    this.info = info;
    this.active = active;
  }

  boolean subscribes(String role) {
    return info.roles().contains(role);
  }

  /** Whether the framework should appear in the sorter of {@code role}. */
  boolean wantsOffers(String role) {
    return active && subscribes(role) && !suppressed.contains(role);
  }

  /** Whether it should appear in the sorter of at least one role. */
  boolean wantsAnyOffers() {
    if (!active) {
      return false;
    }
    for (String role : info.roles()) {
      if (!suppressed.contains(role)) {
        return true;
      }
    }
    return false;
  }

  /** What it holds on {@code agent} in {@code role}; empty if nothing. */
  Resources allocation(String role, AgentState agent) {
    Holding h = agent.holding(this, role);
    return h == null ? Resources.EMPTY : h.sum();
  }

  /** The agents on which it holds something in {@code role} (a copy). */
  List<AgentState> agentsIn(String role) {
    List<Holding> list = allocations.getOrDefault(role, List.of());
    List<AgentState> out = new ArrayList<>(list.size());
    for (Holding h : list) {
      out.add(h.agent);
    }
    return out;
  }

  /**
   * What of {@code wanted} it holds on {@code agent} in {@code role}: {@code wanted} itself (the
   * very object) when it holds it all, else the common part (maybe empty).
   */
  Resources holdsOf(String role, AgentState agent, Resources wanted) {
    Holding h = agent.holding(this, role);
    if (h == null) {
      return Resources.EMPTY;
    }
    if (h.hasPiece(wanted)) {
      return wanted;
    }
    Resources sum = h.sum();
    return sum.contains(wanted) ? wanted : sum.intersect(wanted);
  }

  /** Records that it now also holds {@code resources} (not empty) on {@code agent} in {@code role}. */
  void add(String role, AgentState agent, Resources resources) {
    Holding h = agent.holding(this, role);
    if (h != null) {
      h.add(resources);
      return;
    }
    h = agent.newHolding(this, role, resources);
    List<Holding> list = role == lastRole ? lastList : allocations.get(role);
    if (list == null) {
      list = new ArrayList<>();
      allocations.put(role, list);
    }
    lastRole = role;
    lastList = list;
    h.indexInFramework = list.size();
    list.add(h);
    agent.link(h);
  }

  /** Records that it no longer holds {@code resources} on {@code agent} in {@code role}; it must hold them. */
  void subtract(String role, AgentState agent, Resources resources) {
    Holding h = agent.holding(this, role);
    if (h.subtract(resources)) {
      agent.unlink(h);
      List<Holding> list = allocations.get(role);
      Holding last = list.remove(list.size() - 1);
      if (last != h) {
        list.set(h.indexInFramework, last);
        last.indexInFramework = h.indexInFramework;
      }
      if (list.isEmpty()) {
        allocations.remove(role);
        lastRole = null;
        lastList = null;
      }
    }
  }

  /** The roles it is tracked under: those it subscribes and those it still holds resources in. */
  Set<String> trackedRoles() {
    Set<String> roles = new HashSet<>(info.roles());
    roles.addAll(allocations.keySet());
    return roles;
  }

  /** Records that the framework has decline filters on {@code agent} (they live in its {@link AgentState}). */
  void addFilteredAgent(AgentId agent) {
    filteredAgents.add(agent);
  }
}
