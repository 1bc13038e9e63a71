package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
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
 */
final class FrameworkState {
  final FrameworkId id;
  /** The framework's name in the sorters. */
  final String client;
  FrameworkInfo info;
  boolean active;
  final Set<String> suppressed = new HashSet<>();
  /** Role to agent to resources; sorted so that recovery visits roles in a fixed order. */
  final Map<String, Map<AgentId, Resources>> allocations = new TreeMap<>();
  final Map<AgentId, List<OfferFilter>> filters = new HashMap<>();

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

  Resources allocation(String role, AgentId agent) {
    Map<AgentId, Resources> byAgent = allocations.get(role);
    return byAgent == null ? Resources.EMPTY : byAgent.getOrDefault(agent, Resources.EMPTY);
  }

  void add(String role, AgentId agent, Resources resources) {
    allocations.computeIfAbsent(role, r -> new TreeMap<>()).merge(agent, resources, Resources::add);
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

  void addFilter(AgentId agent, OfferFilter filter) {
    filters.computeIfAbsent(agent, a -> new ArrayList<>(1)).add(filter);
  }

  /** Whether a live filter holds back {@code offered} on {@code agent}; drops expired filters. */
  boolean isFiltered(AgentId agent, Resources offered, long nowNanos) {
    List<OfferFilter> list = filters.get(agent);
    if (list == null) {
      return false;
    }
    boolean blocked = false;
    for (Iterator<OfferFilter> it = list.iterator(); it.hasNext(); ) {
      OfferFilter f = it.next();
      if (!f.activeAt(nowNanos)) {
        it.remove();
      } else if (f.resources().contains(offered)) {
        blocked = true;
      }
    }
    if (list.isEmpty()) {
      filters.remove(agent);
    }
    return blocked;
  }
}
