package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The sorting side of {@link HierarchicalAllocator}: the role sorter over the tracked roles, each
 * role's framework sorter and members, and the pool (cluster total) they share. The allocator
 * tells it what each framework holds per role; a cycle asks it for the order.
 *
 * <p>Pools are synced lazily: adding an agent updates the role sorter only, and a role's framework
 * sorter is brought up to the cluster total when a cycle next uses it, so that adding N agents
 * costs O(N) sorter updates, not O(N x roles). The framework sorter of the role last used is
 * remembered, so that handing out an offer does no map lookup in the common case.
 *
 * <p>Concurrency: confined to the allocator's thread; no locks.
 *
 * <p>Invariants (checked by {@link #checkInvariants}): a role is tracked (in the role sorter, with
 * a framework sorter and a non-empty member set) exactly while some framework subscribes it or
 * holds resources in it; each member is a client of the role's framework sorter.
 */
final class RoleBooks {
  private final Supplier<? extends Sorter> factory;
  private final Sorter roleSorter;
  private final Map<String, Sorter> frameworkSorters = new HashMap<>();
  /** The pool each framework sorter was last given (see the class comment). */
  private final Map<String, Resources> sorterTotals = new HashMap<>();
  private final Map<String, Set<String>> members = new HashMap<>();
  private Resources clusterTotal = Resources.EMPTY;
  /** The role {@link #sorterOf} last answered, its sorter, and the pool that sorter was last synced to (null: unknown). */
  private String lastRole;
  private Sorter lastSorter;
  private Resources lastSynced;

  RoleBooks(Supplier<? extends Sorter> factory) {
    this.factory = factory;
    this.roleSorter = new RoleTreeSorter(this::newSorter);
  }

  /** The role sorter (hierarchical, over the tracked roles). */
  Sorter roles() {
    return roleSorter;
  }

  /** The sum of the agents' scalar quantities. */
  Resources clusterTotal() {
    return clusterTotal;
  }

  /** The tracked roles (a live view). */
  Set<String> trackedRoles() {
    return members.keySet();
  }

  /** The clients tracked under {@code role} (a live view; empty if the role is not tracked). */
  Set<String> members(String role) {
    return members.getOrDefault(role, Set.of());
  }

  /** Adds an agent's scalar quantities to the pool. */
  void addTotal(Resources quantities) {
    clusterTotal = clusterTotal.add(quantities);
    roleSorter.addTotal(quantities);
  }

  /** Takes an agent's resources out of the pool. */
  void removeTotal(Resources total) {
    clusterTotal = clusterTotal.subtract(DrfSorter.quantities(total));
    roleSorter.removeTotal(total);
  }

  /** Tracks the framework under {@code role}, and the role if new; active as {@link FrameworkState#wantsOffers} says. */
  void track(FrameworkState fw, String role) {
    Set<String> clients = members.get(role);
    if (clients == null) {
      clients = new HashSet<>();
      members.put(role, clients);
      Sorter s = newSorter();
      s.addTotal(clusterTotal);
      frameworkSorters.put(role, s);
      sorterTotals.put(role, clusterTotal);
      lastRole = null;
      roleSorter.add(role);
    }
    if (clients.add(fw.client)) {
      Sorter s = frameworkSorters.get(role);
      s.add(fw.client);
      if (s instanceof DrfSorter drf) {
        drf.tag(fw.client, fw.index); // for the allocator's filtered-framework skip
      }
      if (!fw.wantsOffers(role)) {
        s.deactivate(fw.client);
      }
    }
  }

  /** Stops tracking the framework under {@code role} (it must hold nothing there), and the role if it was the last. */
  void untrack(FrameworkState fw, String role) {
    Set<String> clients = members.get(role);
    if (clients == null || !clients.remove(fw.client)) {
      return;
    }
    frameworkSorters.get(role).remove(fw.client);
    if (clients.isEmpty()) {
      members.remove(role);
      frameworkSorters.remove(role);
      sorterTotals.remove(role);
      lastRole = null;
      roleSorter.remove(role);
    }
  }

  /** Activates or deactivates the framework in each of its tracked roles' sorters, as it now wants offers. */
  void refreshActivation(FrameworkState fw) {
    for (String role : fw.trackedRoles()) {
      Sorter s = frameworkSorters.get(role);
      if (fw.wantsOffers(role)) {
        s.activate(fw.client);
      } else {
        s.deactivate(fw.client);
      }
    }
  }

  /** Counts {@code resources} (any: the sorters count scalar quantities) as held by {@code client} in {@code role}. */
  void allocated(String role, String client, Resources resources) {
    roleSorter.allocated(role, resources);
    sorterOf(role).allocated(client, resources);
  }

  /** Counts {@code resources} as no longer held by {@code client} in {@code role}. */
  void unallocated(String role, String client, Resources resources) {
    roleSorter.unallocated(role, resources);
    sorterOf(role).unallocated(client, resources);
  }

  /** The framework sorter of a tracked role, its pool brought up to the cluster total first. */
  Sorter frameworkSorter(String role) {
    Sorter s = sorterOf(role);
    if (lastSynced != clusterTotal) {
      Resources synced = sorterTotals.get(role);
      if (synced != clusterTotal) {
        s.removeTotal(synced);
        s.addTotal(clusterTotal);
        sorterTotals.put(role, clusterTotal);
      }
      lastSynced = clusterTotal;
    }
    return s;
  }

  /** The framework sorter of a tracked role (a one-entry cache before the map: most cycles serve one role). */
  private Sorter sorterOf(String role) {
    if (role != lastRole) {
      lastSorter = frameworkSorters.get(role);
      lastRole = role;
      lastSynced = null;
    }
    return lastSorter;
  }

  private Sorter newSorter() {
    Sorter s = factory.get();
    if (s == null) {
      throw new IllegalStateException("sorter factory returned null");
    }
    return s;
  }

  /**
   * Checks the invariants in the class comment against what the frameworks hold.
   *
   * @param roleSums each tracked role's scalar quantities held, over its frameworks
   * @param frameworkSums each (role, client)'s scalar quantities held, keyed {@code role + " " + client}
   * @param byClient the frameworks by sorter client
   * @throws IllegalStateException if one is broken
   */
  void checkInvariants(Map<String, Resources> roleSums, Map<String, Resources> frameworkSums,
      Map<String, FrameworkState> byClient) {
    ((RoleTreeSorter) roleSorter).checkInvariants();
    for (Map.Entry<String, Set<String>> e : members.entrySet()) {
      String role = e.getKey();
      Sorter s = frameworkSorters.get(role);
      if (e.getValue().isEmpty() || !roleSorter.contains(role) || s == null) {
        throw new IllegalStateException("role " + role + " is tracked without frameworks or sorter");
      }
      Resources q = DrfSorter.quantities(roleSums.getOrDefault(role, Resources.EMPTY));
      if (!roleSorter.allocation(role).equals(q)) {
        throw new IllegalStateException("role sorter holds " + roleSorter.allocation(role)
            + " for role " + role + " which holds " + q);
      }
      Set<String> active = new HashSet<>(s.sort());
      for (String client : e.getValue()) {
        FrameworkState fw = byClient.get(client);
        if (fw == null || !s.contains(client)) {
          throw new IllegalStateException("client " + client + " of role " + role + " is not a framework in its sorter");
        }
        if (active.contains(client) != fw.wantsOffers(role)) {
          throw new IllegalStateException("framework " + client + " has the wrong activation in role " + role);
        }
        Resources held = DrfSorter.quantities(frameworkSums.getOrDefault(role + " " + client, Resources.EMPTY));
        if (!s.allocation(client).equals(held)) {
          throw new IllegalStateException("sorter of role " + role + " holds " + s.allocation(client)
              + " for " + client + " which holds " + held);
        }
      }
    }
  }
}
