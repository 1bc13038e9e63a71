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
 *
 * <p>What it holds on one agent in one role is a {@link Held}: the pieces handed out or recovered
 * are kept apart and added up only when someone asks for the sum, so that an offer on an agent
 * where the framework already runs tasks costs no {@link Resources#add} (which merges port ranges),
 * and taking back exactly a piece that was handed out (the usual decline) costs no subtraction.
 */
final class FrameworkState {
  final FrameworkId id;
  /** The framework's name in the sorters. */
  final String client;
  FrameworkInfo info;
  boolean active;
  final Set<String> suppressed = new HashSet<>();
  /** Role to agent to resources; roles sorted so that recovery visits them in a fixed order. */
  final Map<String, Map<AgentId, Held>> allocations = new TreeMap<>();
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

  /** What it holds on {@code agent} in {@code role}; empty if nothing. */
  Resources allocation(String role, AgentId agent) {
    Map<AgentId, Held> byAgent = allocations.get(role);
    Held held = byAgent == null ? null : byAgent.get(agent);
    return held == null ? Resources.EMPTY : held.sum();
  }

  /** The agents on which it holds something in {@code role} (a live view; copy it to change allocations). */
  Set<AgentId> agentsIn(String role) {
    Map<AgentId, Held> byAgent = allocations.get(role);
    return byAgent == null ? Set.of() : byAgent.keySet();
  }

  /**
   * What of {@code wanted} it holds on {@code agent} in {@code role}: {@code wanted} itself (the
   * very object) when it holds it all, else the common part (maybe empty).
   */
  Resources holdsOf(String role, AgentId agent, Resources wanted) {
    Map<AgentId, Held> byAgent = allocations.get(role);
    Held held = byAgent == null ? null : byAgent.get(agent);
    if (held == null) {
      return Resources.EMPTY;
    }
    if (held.indexOf(wanted) >= 0) {
      return wanted;
    }
    Resources sum = held.sum();
    return sum.contains(wanted) ? wanted : sum.intersect(wanted);
  }

  /** Records that it now also holds {@code resources} (not empty) on {@code agent} in {@code role}. */
  void add(String role, AgentId agent, Resources resources) {
    Map<AgentId, Held> byAgent = allocations.get(role);
    if (byAgent == null) {
      byAgent = new HashMap<>();
      allocations.put(role, byAgent);
    }
    Held held = byAgent.get(agent);
    if (held == null) {
      byAgent.put(agent, new Held(resources));
    } else {
      held.add(resources);
    }
  }

  /** Records that it no longer holds {@code resources} on {@code agent} in {@code role}; it must hold them. */
  void subtract(String role, AgentId agent, Resources resources) {
    Map<AgentId, Held> byAgent = allocations.get(role);
    Held held = byAgent.get(agent);
    if (held.subtract(resources)) {
      byAgent.remove(agent);
      if (byAgent.isEmpty()) {
        allocations.remove(role);
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

  /**
   * What a framework holds on one agent in one role, as the pieces given to it: their sum is
   * computed (and the pieces replaced by it) only when asked for. Invariant: {@code 1 <= n}, no
   * piece is empty.
   */
  static final class Held {
    /** Pieces beyond this many are added up at once, so that a piece list stays short. */
    private static final int MAX_PIECES = 8;

    private Resources[] pieces;
    private int n;

    Held(Resources first) {
      pieces = new Resources[] {first, null};
      n = 1;
    }

    void add(Resources r) {
      if (n == MAX_PIECES) {
        sum();
      }
      if (n == pieces.length) {
        pieces = java.util.Arrays.copyOf(pieces, 2 * n);
      }
      pieces[n++] = r;
    }

    /** The index of the piece that is the very object {@code r}, or -1. */
    int indexOf(Resources r) {
      for (int i = 0; i < n; i++) {
        if (pieces[i] == r) {
          return i;
        }
      }
      return -1;
    }

    /** The sum of the pieces (which it becomes the only piece). */
    Resources sum() {
      if (n > 1) {
        Resources s = pieces[0];
        for (int i = 1; i < n; i++) {
          s = s.add(pieces[i]);
          pieces[i] = null;
        }
        pieces[0] = s;
        n = 1;
      }
      return pieces[0];
    }

    /** Takes {@code r} away (it must be held); whether nothing is left. */
    boolean subtract(Resources r) {
      int i = indexOf(r);
      if (i >= 0) {
        pieces[i] = pieces[--n];
        pieces[n] = null;
        return n == 0;
      }
      Resources left = sum().subtract(r);
      if (left.isEmpty()) {
        n = 0;
        pieces[0] = null;
        return true;
      }
      pieces[0] = left;
      return false;
    }
  }
}
