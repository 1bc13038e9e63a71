package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import java.util.HashMap;
import java.util.HashSet;
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
 */
final class FrameworkState {
  final FrameworkId id;
  /** The framework's name in the sorters. */
  final String client;
  FrameworkInfo info;
  boolean active;
  final Set<String> suppressed = new HashSet<>();
  /** Role to agent to resources; roles sorted so that recovery visits them in a fixed order. */
  final Map<String, Map<AgentId, Resources>> allocations = new TreeMap<>();
  /** The agents whose {@link AgentState#filters} hold filters of this framework (maybe expired). */
  final Set<AgentId> filteredAgents = new HashSet<>();
  /** The full cycle in which it was last offered something (starvation accounting). */
  long offeredCycle = -1;
  /** Full cycles in a row it wanted offers but got none while others did. */
  int hungryCycles;
  /** Whether its last give-back carried a decline filter (and it has not revived since). */
  boolean declining;

  FrameworkState(FrameworkId id, FrameworkInfo info, boolean active) {
    this.id = id;
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

  Resources allocation(String role, AgentId agent) {
    Map<AgentId, Resources> byAgent = allocations.get(role);
    return byAgent == null ? Resources.EMPTY : byAgent.getOrDefault(agent, Resources.EMPTY);
  }

  void add(String role, AgentId agent, Resources resources) {
    allocations.computeIfAbsent(role, r -> new HashMap<>()).merge(agent, resources, Resources::add);
  }

  void subtract(String role, AgentId agent, Resources resources) {
    Map<AgentId, Resources> byAgent = allocations.get(role);
    Resources left = byAgent.get(agent).subtract(resources);
    if (left.isEmpty()) {
      byAgent.remove(agent);
      if (byAgent.isEmpty()) {
        allocations.remove(role);
      }
    } else {
      byAgent.put(agent, left);
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
