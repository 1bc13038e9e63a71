package dev.agora.allocator;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Allocator;
import dev.agora.core.allocation.Explanation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.Roles;
import dev.agora.core.runtime.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Allocator}: Mesos's hierarchical allocator. Agents are shared among roles,
 * and each role's share among its frameworks, by weighted Dominant Resource Fairness (or by the
 * {@link Sorter} given to the builder).
 *
 * <p>Create one with {@link #builder()}. Threading: not thread-safe; like every {@link Allocator}
 * it is called only from the master's event loop (see the SPI's contract). Nullability: no method
 * accepts or returns null. Ownership: the allocator owns its sorters, which it creates from the
 * builder's factory; the values it is given and returns are immutable.
 *
 * <p>Design. Resources handed out stay allocated to the framework (offered or in use) until
 * {@link #recoverResources}. An {@link #allocate()} cycle visits agents in id order; for each agent
 * it visits roles in the role sorter's order and, in each role, frameworks in that role's sorter
 * order, and gives the first framework that may take them all the agent's free resources that
 * are allocatable to the role ({@link Resources#allocatableTo}), if they reach the minimum
 * allocatable size and no decline filter of the framework on that agent contains them. Sorters
 * are told at once, so the next agent goes to whoever is then lowest. A framework appears in a
 * role's sorter as active only while it is active, subscribes the role and has not suppressed
 * it; so a cycle does not even look at frameworks that may not receive offers.
 *
 * <p>Resources carry no allocation role: {@link #recoverResources} takes them back from the
 * framework's roles in name order, and resources a framework already uses when it is added are
 * attributed to the first of its roles they are allocatable to. Filters are per framework and
 * agent (not per role), and {@link #reviveOffers} clears all of the framework's filters.
 *
 * <p>Concurrency: confined to the master's loop; no locks.
 *
 * <p>Invariants (checked by {@link #checkInvariants()}; tests call it after every step):
 *
 * <ul>
 *   <li>per agent, {@code allocated + free == total}, and {@code allocated} is the sum of every
 *       framework's allocation there plus what not-yet-added frameworks use there ({@code
 *       orphans}): nothing is allocated twice;
 *   <li>the role sorter's allocation of a role, and a role sorter's allocation of a framework,
 *       are the quantities of the framework allocations they stand for;
 *   <li>a role is tracked (in the role sorter, with a framework sorter) exactly while some
 *       framework subscribes it or holds resources in it; a framework is active in a role's
 *       sorter exactly when {@link FrameworkState#wantsOffers} holds;
 *   <li>the sorters' pool is the sum of the agents' totals;
 *   <li>an agent's spare holding (reused by its next offer) holds nothing and names no framework
 *       (so that it keeps no removed framework reachable).
 * </ul>
 */
public final class HierarchicalAllocator implements Allocator {
  private static final Logger LOG = LoggerFactory.getLogger(HierarchicalAllocator.class);

  /** Hungry full cycles after which a framework passed over for decliners is offered first. */
  public static final int DEFAULT_STARVATION_CYCLES = 3;

  /** Filters longer than this (about a century) are cut to it, so that clock arithmetic cannot wrap. */
  private static final long MAX_FILTER_NANOS = Duration.ofDays(36_500).toNanos();

  /** How many visited agents {@link #allocateVisits} reads ahead at a time ({@link AgentState#touch}); a power of two. */
  private static final int TOUCH_AHEAD = 16;

  private final MinAllocatable minAllocatable;
  /** {@code books.roles()}. */
  private final Sorter roleSorter;
  /** The role sorter, the roles' framework sorters and members, and the pool they share. */
  private final RoleBooks books;
  private final Map<FrameworkId, FrameworkState> frameworks = new HashMap<>();
  private final Map<String, FrameworkState> byClient = new HashMap<>();
  /** The {@link FrameworkState#index} values in use, one per framework (the lowest free one is given next). */
  private final java.util.BitSet frameworkIndices = new java.util.BitSet();
  private final TreeMap<AgentId, AgentState> agents = new TreeMap<>();
  /**
   * The values of {@link #agents} in id order as an array, for the cycles' scans (an array reads
   * sequentially; tree nodes do not); null when agents were added or removed since (rebuilt by
   * the next full cycle).
   */
  private AgentState[] agentOrder;
  /** The scan's copy of {@link #agentOrder}'s fields, by slot in that order (rebuilt with it). */
  private AgentColumns columns;
  /** What frameworks not (yet) added use on agents, from {@link #addAgent}. */
  private final Map<FrameworkId, Map<AgentId, Resources>> orphans = new HashMap<>();
  private final QuotaTracker quota = new QuotaTracker();
  private final Map<String, Double> weights = new TreeMap<>();
  /** During {@link #allocate()} with quota: the unreserved free quantities of the cluster. */
  private Resources cycleFree = Resources.EMPTY;
  /** During {@link #allocate()}: roles deactivated in the role sorter for being at their limit. */
  private final List<String> saturated = new ArrayList<>();
  /**
   * Bumped by every event that may let a cycle give away what it could not before without the
   * agent's free resources changing (a framework added, activated, revived or updated; with
   * quota, anything that loosens a limit or the headroom). An agent clean at the current version
   * is skipped by cycles.
   */
  private long version;
  // Where the current cycle is, for the two visitors below (reused: a visit allocates no lambda).
  private AgentState atAgent;
  private long atNow;
  private List<Allocation> atResult;
  private String atRole;
  private Resources atOffered;
  /** The agents the current cycle visits (reused, so that a cycle allocates no list). */
  private final List<AgentState> visit = new ArrayList<>();
  /** Where {@link #allocateVisits} leaves what {@link AgentState#touch} read (so that those reads are kept). */
  private int touchSink;
  /** How many agents the last cycle visited (not skipped as clean, inactive or without free resources). */
  private int lastCycleVisited;
  /** Full cycles run so far (starvation accounting). */
  private long cycle;
  /** Offers made since the last full cycle ended. */
  private int offersInCycle;
  /** Frameworks starved by decliners, oldest first: offered first on every agent until served. */
  private final LinkedHashSet<FrameworkState> starving = new LinkedHashSet<>();
  /**
   * The frameworks that want offers ({@link FrameworkState#wantsAnyOffers}), in the order of
   * {@link #frameworks}' values; null once a framework was added or removed or its wish may have
   * changed (rebuilt by the next full cycle's starvation accounting, which thus costs the active
   * frameworks, not all of them).
   */
  private FrameworkState[] wanting;
  /** Frameworks whose wish for offers may have changed since the last full cycle. */
  private final Set<FrameworkState> maybeIdle = new HashSet<>();
  private final int starvationCycles;
  private Clock clock;

  private HierarchicalAllocator(Builder b) {
    this.minAllocatable = b.minAllocatable != null ? b.minAllocatable : MinAllocatable.DEFAULT;
    this.starvationCycles = b.starvationCycles > 0 ? b.starvationCycles : DEFAULT_STARVATION_CYCLES;
    this.books = new RoleBooks(b.sorterFactory != null ? b.sorterFactory : DrfSorter::new);
    this.roleSorter = books.roles();
  }

  /** A builder; by default weighted DRF sorters and Mesos's minimum of {@code cpus:0.01} or {@code mem:32}. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "hierarchical-" + roleSorter.name();
  }

  @Override
  public void initialize(Clock clock) {
    if (this.clock != null) {
      throw new IllegalStateException("allocator was already initialized");
    }
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  // ---------------------------------------------------------------- frameworks

  @Override
  public void addFramework(FrameworkId id, FrameworkInfo info, Map<AgentId, Resources> used, boolean active) {
    requireInitialized();
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(used, "used");
    if (frameworks.containsKey(id)) {
      LOG.warn("framework {} is already added; ignoring the second add", id);
      return;
    }
    int index = frameworkIndices.nextClearBit(0);
    frameworkIndices.set(index);
    FrameworkState fw = new FrameworkState(id, index, info, active);
    frameworks.put(id, fw);
    byClient.put(fw.client, fw);
    for (String role : info.roles()) {
      books.track(fw, role);
    }
    Map<AgentId, Resources> adopted = orphans.remove(id);
    if (adopted != null) {
      // Already counted in the agents' allocations when the agents were added.
      for (Map.Entry<AgentId, Resources> e : new TreeMap<>(adopted).entrySet()) {
        attribute(fw, agents.get(e.getKey()), e.getValue(), false);
      }
    }
    for (Map.Entry<AgentId, Resources> e : new TreeMap<>(used).entrySet()) {
      AgentState agent = agents.get(e.getKey());
      if (agent == null || adopted != null && adopted.containsKey(e.getKey())) {
        continue; // reported again when the agent is added, or already adopted
      }
      attribute(fw, agent, clampToFree(agent, id, e.getValue()), true);
    }
    books.refreshActivation(fw);
    wantsChanged(fw);
    version++;
    assert checkAgents();
  }

  @Override
  public void removeFramework(FrameworkId id) {
    requireInitialized();
    FrameworkState fw = frameworks.remove(id);
    wanting = null;
    if (fw == null) {
      Map<AgentId, Resources> held = orphans.remove(id);
      if (held != null) {
        held.forEach((agentId, r) -> agents.get(agentId).release(r));
      }
      return;
    }
    byClient.remove(fw.client);
    starving.remove(fw);
    clearFilters(fw);
    frameworkIndices.clear(fw.index); // no filter carries its bit any more: the next framework added may take it
    for (String role : new ArrayList<>(fw.allocations.keySet())) {
      for (AgentState agent : fw.agentsIn(role)) {
        unallocate(fw, role, agent, fw.allocation(role, agent));
      }
    }
    for (String role : fw.trackedRoles()) {
      books.untrack(fw, role);
    }
    assert checkAgents();
  }

  @Override
  public void activateFramework(FrameworkId id) {
    requireInitialized();
    FrameworkState fw = frameworks.get(id);
    if (fw != null) {
      fw.active = true;
      books.refreshActivation(fw);
      wantsChanged(fw);
      version++;
    }
  }

  @Override
  public void deactivateFramework(FrameworkId id) {
    requireInitialized();
    FrameworkState fw = frameworks.get(id);
    if (fw != null) {
      fw.active = false;
      books.refreshActivation(fw);
      wantsChanged(fw);
    }
  }

  @Override
  public void updateFramework(FrameworkId id, FrameworkInfo info) {
    requireInitialized();
    Objects.requireNonNull(info, "info");
    FrameworkState fw = frameworks.get(id);
    if (fw == null) {
      return;
    }
    Set<String> before = fw.trackedRoles();
    fw.info = info;
    fw.suppressed.retainAll(info.roles());
    for (String role : info.roles()) {
      if (!before.contains(role)) {
        books.track(fw, role);
      }
    }
    for (String role : before) {
      if (!fw.subscribes(role) && !fw.allocations.containsKey(role)) {
        books.untrack(fw, role);
      }
    }
    books.refreshActivation(fw);
    wantsChanged(fw);
    version++;
  }

  @Override
  public void suppressOffers(FrameworkId id, Set<String> roles) {
    requireInitialized();
    checkRoles(roles);
    FrameworkState fw = frameworks.get(id);
    if (fw != null) {
      checkSubscribed(fw, roles);
      fw.suppressed.addAll(subscribed(fw, roles));
      books.refreshActivation(fw);
      wantsChanged(fw);
    }
  }

  @Override
  public void reviveOffers(FrameworkId id, Set<String> roles) {
    requireInitialized();
    checkRoles(roles);
    FrameworkState fw = frameworks.get(id);
    if (fw != null) {
      checkSubscribed(fw, roles);
      clearFilters(fw);
      fw.declining = false;
      fw.suppressed.removeAll(subscribed(fw, roles));
      books.refreshActivation(fw);
      wantsChanged(fw);
      version++;
    }
  }

  // ---------------------------------------------------------------- agents

  @Override
  public void addAgent(AgentId id, AgentInfo info, Resources total, Map<FrameworkId, Resources> used) {
    requireInitialized();
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(total, "total");
    Objects.requireNonNull(used, "used");
    if (agents.containsKey(id)) {
      LOG.warn("agent {} is already added; ignoring the second add", id);
      return;
    }
    AgentState agent = new AgentState(id, total);
    agents.put(id, agent);
    agentOrder = null;
    Resources quantities = DrfSorter.quantities(total);
    books.addTotal(quantities);
    if (!quota.isEmpty()) {
      version++; // more free resources loosen the headroom kept for guarantees
    }
    for (Map.Entry<FrameworkId, Resources> e : (used.size() <= 1 ? used : new TreeMap<>(used)).entrySet()) {
      Resources r = clampToFree(agent, e.getKey(), e.getValue());
      if (r.isEmpty()) {
        continue;
      }
      FrameworkState fw = frameworks.get(e.getKey());
      if (fw != null) {
        attribute(fw, agent, r, true);
      } else {
        agent.allocate(r);
        orphans.computeIfAbsent(e.getKey(), f -> new HashMap<>()).merge(id, r, Resources::add);
      }
    }
    assert agent.consistent();
  }

  @Override
  public void removeAgent(AgentId id) {
    requireInitialized();
    AgentState agent = agents.get(id);
    if (agent == null) {
      return;
    }
    for (Holding h : agent.holdings()) {
      FrameworkState fw = h.framework;
      String role = h.role; // read first: an emptied holding forgets them
      unallocate(fw, role, agent, h.sum());
      if (!fw.subscribes(role) && !fw.allocations.containsKey(role)) {
        books.untrack(fw, role);
      }
    }
    for (FrameworkState fw : frameworks.values()) {
      fw.filteredAgents.remove(id);
    }
    orphans.values().removeIf(byAgent -> byAgent.remove(id) != null && byAgent.isEmpty());
    agents.remove(id);
    agentOrder = null;
    books.removeTotal(agent.total);
  }

  // ---------------------------------------------------------------- resources

  @Override
  public void recoverResources(
      FrameworkId frameworkId, AgentId agentId, Resources resources, Optional<Filters> filters) {
    requireInitialized();
    Objects.requireNonNull(resources, "resources");
    Objects.requireNonNull(filters, "filters");
    AgentState agent = agents.get(agentId);
    if (agent == null) {
      return;
    }
    FrameworkState fw = frameworks.get(frameworkId);
    if (fw == null) {
      recoverOrphan(frameworkId, agent, resources);
      return;
    }
    Resources remaining = resources;
    Resources recovered = Resources.EMPTY;
    for (String role : new ArrayList<>(fw.allocations.keySet())) {
      if (remaining.isEmpty()) {
        break;
      }
      // Keep the very object when the role holds it all (the usual decline), so that the agent's
      // free resources and the filter are that object and the next cycle matches by identity.
      Resources part = fw.holdsOf(role, agent, remaining);
      if (part.isEmpty()) {
        continue;
      }
      unallocate(fw, role, agent, part);
      remaining = part == remaining ? Resources.EMPTY : remaining.subtract(part);
      recovered = recovered.isEmpty() ? part : recovered.add(part);
      if (!fw.subscribes(role) && !fw.allocations.containsKey(role)) {
        books.untrack(fw, role);
      }
    }
    if (filters.isPresent() && !recovered.isEmpty() && !filters.get().refuse().isZero()) {
      long nanos = filters.get().refuse().compareTo(Duration.ofNanos(MAX_FILTER_NANOS)) > 0
          ? MAX_FILTER_NANOS
          : filters.get().refuse().toNanos();
      agent.addFilter(fw.index, new OfferFilter(recovered, clock.nanoTime() + nanos));
      fw.addFilteredAgent(agentId);
      fw.declining = true;
    } else if (!recovered.isEmpty()) {
      fw.declining = false; // a task ended or an offer was rescinded: not a refusal
    }
    assert agent.consistent();
  }

  @Override
  public void updateWeights(Map<String, Double> weights) {
    requireInitialized();
    Map<String, Double> checked = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : new TreeMap<>(weights).entrySet()) {
      String role = Roles.check(e.getKey());
      Double w = e.getValue();
      if (w == null || !(w > 0) || w.isInfinite()) {
        throw new IllegalArgumentException(
            "weight of role '" + role + "' must be positive and finite but was " + w);
      }
      checked.put(role, w);
    }
    checked.forEach(roleSorter::updateWeight);
    this.weights.putAll(checked);
  }

  @Override
  public Map<String, Double> weights() {
    return Collections.unmodifiableMap(new TreeMap<>(weights));
  }

  @Override
  public void updateQuota(String role, Quota newQuota) {
    requireInitialized();
    Roles.check(role);
    Objects.requireNonNull(newQuota, "quota");
    if (role.equals(Resources.UNRESERVED)) {
      throw new IllegalArgumentException("role '*' cannot have a quota");
    }
    if (!books.clusterTotal().contains(newQuota.guarantee())) {
      LOG.warn("quota guarantee {} of role {} exceeds the cluster's {}; accepted, met as the cluster grows",
          newQuota.guarantee(), role, books.clusterTotal());
    }
    Map<String, Resources> byRole = new HashMap<>();
    for (String r : books.trackedRoles()) {
      byRole.put(r, roleSorter.allocation(r));
    }
    quota.set(role, newQuota, byRole);
    version++;
  }

  @Override
  public Map<String, Quota> quotas() {
    return quota.quotas();
  }

  @Override
  public List<RoleInfo> roles() {
    TreeSet<String> names = new TreeSet<>(books.trackedRoles());
    names.addAll(weights.keySet());
    names.addAll(quota.quotas().keySet());
    Map<String, Resources> reserved = new HashMap<>();
    for (AgentState agent : agents.values()) {
      for (String r : agent.total.reservationRoles()) {
        names.add(r);
        reserved.merge(r, agent.total.reservedTo(r), Resources::add);
      }
    }
    List<RoleInfo> out = new ArrayList<>();
    for (String role : names) {
      Resources allocated = Resources.EMPTY;
      for (String r : books.trackedRoles()) {
        if (Roles.isSelfOrAncestor(role, r)) {
          allocated = allocated.add(roleSorter.allocation(r));
        }
      }
      List<String> members = new ArrayList<>(books.members(role));
      Collections.sort(members);
      Quota q = quota.quota(role);
      out.add(new RoleInfo(role, weights.getOrDefault(role, 1.0), q, allocated,
          reserved.getOrDefault(role, Resources.EMPTY), dominantShare(allocated), members,
          q.guarantee().subtractUpTo(books.clusterTotal())));
    }
    return out;
  }

  private double dominantShare(Resources allocated) {
    double share = 0;
    for (String name : allocated.names()) {
      long total = books.clusterTotal().scalarMillis(name);
      if (total > 0) {
        share = Math.max(share, allocated.scalarMillis(name) / (double) total);
      }
    }
    return share;
  }

  @Override
  public void updateAvailable(AgentId agentId, Resources from, Resources to) {
    requireInitialized();
    AgentState agent = requireAgent(agentId);
    checkConversion(from, to);
    if (!agent.free().contains(from)) {
      throw new IllegalArgumentException("cannot convert " + from + " on agent " + agentId
          + ": only " + agent.free() + " is free there");
    }
    agent.convert(from, to, true);
    if (!quota.isEmpty()) {
      version++; // the cluster's unreserved free resources changed
    }
  }

  @Override
  public void updateAllocation(FrameworkId frameworkId, AgentId agentId, Resources from, Resources to) {
    requireInitialized();
    AgentState agent = requireAgent(agentId);
    checkConversion(from, to);
    FrameworkState fw = frameworks.get(frameworkId);
    if (fw == null) {
      throw new IllegalArgumentException("unknown framework " + frameworkId);
    }
    for (String role : fw.allocations.keySet()) {
      Resources held = fw.allocation(role, agent);
      if (held.contains(from)) {
        fw.subtract(role, agent, from);
        fw.add(role, agent, to);
        agent.convert(from, to, false);
        return;
      }
    }
    throw new IllegalArgumentException("framework " + frameworkId + " does not hold " + from
        + " on agent " + agentId + " in one role");
  }

  private AgentState requireAgent(AgentId agentId) {
    AgentState agent = agents.get(Objects.requireNonNull(agentId, "agentId"));
    if (agent == null) {
      throw new IllegalArgumentException("unknown agent " + agentId);
    }
    return agent;
  }

  private static void checkConversion(Resources from, Resources to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (from.isEmpty()) {
      throw new IllegalArgumentException("nothing to convert: " + from);
    }
    if (!from.unreserveAll().equals(to.unreserveAll())) {
      throw new IllegalArgumentException("cannot convert " + from + " into " + to + ": the quantities differ");
    }
  }

  @Override
  public Explanation explain(FrameworkId frameworkId) {
    requireInitialized();
    FrameworkState fw = frameworks.get(frameworkId);
    if (fw == null) {
      return new Explanation(frameworkId, false, List.of());
    }
    long now = clock.nanoTime();
    Resources free = quota.anyUnmet() ? clusterFree() : Resources.EMPTY;
    List<Explanation.RoleExplanation> out = new ArrayList<>();
    for (String role : fw.info.roles()) {
      Map<Explanation.Reason, Integer> counts = new EnumMap<>(Explanation.Reason.class);
      for (AgentState agent : agents.values()) {
        counts.merge(reason(fw, role, agent, now, free), 1, Integer::sum);
      }
      out.add(new Explanation.RoleExplanation(role, counts));
    }
    return new Explanation(frameworkId, true, out);
  }

  private Explanation.Reason reason(FrameworkState fw, String role, AgentState agent, long now, Resources free) {
    if (!fw.active) {
      return Explanation.Reason.FRAMEWORK_INACTIVE;
    }
    if (fw.suppressed.contains(role)) {
      return Explanation.Reason.SUPPRESSED;
    }
    if (!agent.active) {
      return Explanation.Reason.AGENT_INACTIVE;
    }
    Resources available = agent.free().allocatableTo(role);
    if (available.isEmpty()) {
      return Explanation.Reason.NOTHING_FREE;
    }
    Resources limited = Caps.cap(available, quota.limitHeadroom(role));
    if (limited.isEmpty() || limited != available && !minAllocatable.allows(limited)) {
      return Explanation.Reason.QUOTA_LIMIT;
    }
    Resources headroomed = Caps.cap(limited, headroomCaps(role, free));
    if (headroomed.isEmpty() || headroomed != limited && !minAllocatable.allows(headroomed)) {
      return Explanation.Reason.QUOTA_HEADROOM;
    }
    if (!minAllocatable.allows(headroomed)) {
      return Explanation.Reason.BELOW_MINIMUM_ALLOCATABLE;
    }
    if (agent.isFiltered(fw.index, headroomed, now)) {
      return Explanation.Reason.FILTERED;
    }
    return Explanation.Reason.OFFERABLE;
  }

  /** The unreserved free scalar quantities of the whole cluster. */
  private Resources clusterFree() {
    Resources sum = Resources.EMPTY;
    for (AgentState agent : agents.values()) {
      if (!agent.free().isEmpty()) {
        sum = sum.add(DrfSorter.quantities(agent.free().unreserved()));
      }
    }
    return sum;
  }

  /**
   * Caps that keep the headroom owed to unmet guarantees: for each name other roles are owed,
   * what is free beyond the headroom, plus what {@code role}'s own guarantee still lacks.
   */
  private Map<String, Long> headroomCaps(String role, Resources free) {
    if (!quota.anyUnmet()) {
      return Map.of();
    }
    Resources required = quota.required();
    Resources own = quota.unmetGuarantee(role);
    Map<String, Long> caps = new HashMap<>();
    for (String name : required.names()) {
      long surplus = Math.max(0, free.scalarMillis(name) - required.scalarMillis(name));
      caps.put(name, surplus + own.scalarMillis(name));
    }
    return caps;
  }

  @Override
  public List<Allocation> allocate() {
    requireInitialized();
    long now = clock.nanoTime();
    visit.clear();
    if (agentOrder == null) {
      agentOrder = agents.values().toArray(new AgentState[0]);
      columns = new AgentColumns(agentOrder.length);
      for (int i = 0; i < agentOrder.length; i++) {
        agentOrder[i].attach(columns, i);
      }
    }
    // The scan reads the columns, not the agents: the agents it skips are never touched.
    AgentColumns c = columns;
    long v = version;
    for (int i = 0; i < agentOrder.length; i++) {
      if (!c.skip(i, v, now)) {
        visit.add(agentOrder[i]);
      }
    }
    List<Allocation> result = allocateVisits(now);
    endFullCycle();
    return result;
  }

  @Override
  public List<Allocation> allocate(Set<AgentId> touched) {
    requireInitialized();
    Objects.requireNonNull(touched, "touched");
    long now = clock.nanoTime();
    visit.clear();
    for (AgentId id : touched) {
      AgentState agent = agents.get(id);
      if (agent != null && wantsVisit(agent, now)) {
        visit.add(agent);
      }
    }
    visit.sort((x, y) -> x.id.compareTo(y.id)); // the same order as a full cycle
    return allocateVisits(now);
  }

  /** Whether a cycle should look at the agent: active, something free, and not clean. */
  private boolean wantsVisit(AgentState agent, long now) {
    // The agent's own fields first: a clean agent is skipped without touching its resources.
    return agent.active && !agent.clean(version, now) && agent.hasFree();
  }

  /** Forgets that agents are clean, so that the next cycle looks at every agent (tests compare both ways). */
  void touchAll() {
    agents.values().forEach(a -> {
      a.cleanVersion = -1;
      a.sync();
    });
  }

  /** How many agents the last cycle looked at; the others were skipped (clean, inactive or full). */
  int lastCycleVisited() {
    return lastCycleVisited;
  }

  /** The cycle over {@link #visit}. */
  private List<Allocation> allocateVisits(long now) {
    lastCycleVisited = visit.size();
    List<Allocation> result = new ArrayList<>(Math.min(visit.size(), 1 << 16)); // most visited agents yield one offer
    if (visit.isEmpty()) {
      return result;
    }
    boolean quotas = !quota.isEmpty();
    Set<String> unmetOrder = Set.of();
    if (quotas && !anyAllocatable()) {
      for (AgentState agent : visit) {
        agent.markClean(version, now);
      }
      visit.clear();
      return result; // nothing worth offering: skip the per-cycle quota preparation
    }
    if (quotas) {
      cycleFree = clusterFree();
      for (String role : books.trackedRoles()) {
        saturateIfAtLimit(role);
      }
      if (quota.anyUnmet()) {
        unmetOrder = new LinkedHashSet<>();
        for (String role : roleSorter.sort()) {
          if (quota.hasUnmetGuarantee(role)) {
            unmetOrder.add(role);
          }
        }
      }
    }
    int touched = 0;
    try {
      for (int vi = 0, visits = visit.size(); vi < visits; vi++) {
        AgentState agent = visit.get(vi);
        if ((vi & (TOUCH_AHEAD - 1)) == 0) {
          // Read the next agents' cycle state in one short loop first: their cache misses are
          // independent, so they overlap, where the visits would meet them one after another.
          for (int k = vi, end = Math.min(visits, vi + TOUCH_AHEAD); k < end; k++) {
            touched += visit.get(k).touch();
          }
        }
        int before = result.size();
        // Stage 1: roles still short of their guarantee, in the role order at the cycle's start
        // (a guarantee once met stays met within the cycle).
        for (Iterator<String> it = unmetOrder.isEmpty() ? null : unmetOrder.iterator();
            it != null && it.hasNext() && agent.hasFree(); ) {
          String role = it.next();
          if (!quota.hasUnmetGuarantee(role) || !roleSorter.contains(role)) {
            it.remove(); // met (or gone) for the rest of the cycle
          } else {
            allocateRole(agent, role, now, result);
          }
        }
        if (!starving.isEmpty() && agent.hasFree()) {
          allocateStarving(agent, now, result);
        }
        // Stage 2: every role. Each pass gives one role what it may take of the agent; a role's
        // allocation reorders the role sorter, so the next pass starts over. Passes end when
        // nothing is left or taken.
        atAgent = agent;
        atNow = now;
        atResult = result;
        while (agent.hasFree() && roleSorter.visit(roleVisitor)) {
          // next pass
        }
        if (result.size() == before) {
          agent.markClean(version, now); // nobody could take anything: skip it until touched
        }
      }
    } finally {
      for (String role : saturated) {
        if (roleSorter.contains(role)) {
          roleSorter.activate(role);
        }
      }
      saturated.clear();
      cycleFree = Resources.EMPTY;
      visit.clear();
      atAgent = null;
      atResult = null;
      atOffered = null;
      touchSink = touched;
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("allocation cycle handed out {} offers over {} of {} agents", result.size(), lastCycleVisited,
          agents.size());
    }
    return result;
  }

  /** Whether some visited agent's free resources reach the minimum allocatable (else no role could be offered anything). */
  private boolean anyAllocatable() {
    for (AgentState agent : visit) {
      if (minAllocatable.allows(agent.free())) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void deactivateAgent(AgentId id) {
    requireInitialized();
    AgentState agent = agents.get(Objects.requireNonNull(id, "id"));
    if (agent != null) {
      agent.active = false;
      agent.sync();
    }
  }

  @Override
  public void activateAgent(AgentId id) {
    requireInitialized();
    AgentState agent = agents.get(Objects.requireNonNull(id, "id"));
    if (agent != null && !agent.active) {
      agent.active = true;
      agent.cleanVersion = -1;
      agent.sync();
      if (!quota.isEmpty()) {
        version++;
      }
    }
  }

  /**
   * Leaves a role out of the rest of this cycle's role order if its quota limits (or its
   * ancestors') leave no room for any minimum allocatable offer, so that a cycle does not visit
   * saturated roles on every agent.
   */
  private void saturateIfAtLimit(String role) {
    if (minAllocatable.impossibleUnder(quota.limitHeadroom(role)) && roleSorter.contains(role)) {
      roleSorter.deactivate(role);
      saturated.add(role);
    }
  }

  /** Offers what {@code role} may take of the agent to its first framework that wants it; whether one took it. */
  private boolean allocateRole(AgentState agent, String role, long now, List<Allocation> result) {
    Resources offered = offerable(agent, role);
    if (offered == null) {
      return false;
    }
    atAgent = agent;
    atNow = now;
    atResult = result;
    atRole = role;
    atOffered = offered;
    Sorter sorter = books.frameworkSorter(role);
    if (!agent.filters.isEmpty()) {
      if (agent.filteredByAll(offered, frameworks.size(), now)) {
        return false; // every framework filtered it (an agent declined by all): no need to ask each
      }
      long[] filtered = agent.blockingBits(offered, now);
      if (filtered != null && sorter instanceof DrfSorter drf) {
        // An agent declined by many frameworks: pass over those by a bit test in the sorter's loop.
        return drf.visit(frameworkVisitor, filtered);
      }
    }
    return sorter.visit(frameworkVisitor);
  }

  /** Stage 2's visitor of roles: offers the agent the cycle is at to the role. */
  private final Predicate<String> roleVisitor = role -> allocateRole(atAgent, role, atNow, atResult);

  /**
   * The visitor of a role's frameworks: gives {@link #atOffered} to the first one that did not
   * filter it (allowed: the visitor then returns true, so the sorter's order may change).
   */
  private final Predicate<String> frameworkVisitor = client -> {
    FrameworkState fw = byClient.get(client);
    if (atAgent.isFiltered(fw.index, atOffered, atNow)) {
      return false;
    }
    give(fw, atRole, atAgent, atOffered, atResult);
    return true;
  };

  /** What of the agent may be offered to {@code role} now (quota caps applied), or null if nothing worth offering. */
  private Resources offerable(AgentState agent, String role) {
    boolean quotas = !quota.isEmpty();
    if (!quotas && agent.offerableKnown(role)) {
      return agent.knownOfferable();
    }
    Resources free = agent.free().allocatableTo(role);
    Resources available = free;
    if (!free.isEmpty() && quotas) {
      available = Caps.cap(Caps.cap(free, quota.limitHeadroom(role)), headroomCaps(role, cycleFree));
    }
    Resources offered = !available.isEmpty() && minAllocatable.allows(available) ? available : null;
    if (!quotas) {
      agent.knowOfferable(role, offered); // a function of the free resources and the role only
    }
    return offered;
  }

  /** Hands {@code offered} out to the framework in {@code role}: the books, the quota cycle state, the result. */
  private void give(FrameworkState fw, String role, AgentState agent, Resources offered, List<Allocation> result) {
    allocate(fw, role, agent, offered);
    if (!quota.isEmpty()) {
      cycleFree = cycleFree.subtractUpTo(DrfSorter.quantities(offered.unreserved()));
      saturateIfAtLimit(role);
    }
    fw.offeredCycle = cycle;
    offersInCycle++;
    if (!starving.isEmpty()) {
      starving.remove(fw);
    }
    result.add(new Allocation(fw.id, role, agent.id, offered));
  }

  /**
   * Stage 0 of an agent's visit: frameworks starved by decliners (see {@link #endFullCycle})
   * are offered the agent first, oldest first, in the first of their roles that may take it.
   */
  private void allocateStarving(AgentState agent, long now, List<Allocation> result) {
    for (Iterator<FrameworkState> it = starving.iterator(); it.hasNext() && !agent.free().isEmpty(); ) {
      FrameworkState fw = it.next();
      for (String role : fw.info.roles()) {
        if (!fw.wantsOffers(role) || !roleSorter.contains(role)) {
          continue;
        }
        Resources offered = offerable(agent, role);
        if (offered != null && !agent.isFiltered(fw.index, offered, now)) {
          it.remove();
          give(fw, role, agent, offered, result);
          break;
        }
      }
    }
  }

  /**
   * Starvation accounting at the end of a full cycle. A framework that wants offers, does not
   * decline them (its last give-back had no filter, or it revived since), but got none since the
   * last full cycle while others did is hungry; after {@code starvationCycles} hungry
   * cycles in a row it is starving and is offered first (stage 0) until it receives an offer. So
   * frameworks ahead of it in DRF order that keep declining (with short or long filters) delay a
   * framework with unmet demand by at most {@code starvationCycles} full cycles; the DRF order
   * decides everything else.
   */
  private void endFullCycle() {
    boolean passedOver = offersInCycle > 0;
    // A framework that stopped wanting offers is not hungry (nothing else makes it hungry until it wants them again).
    for (FrameworkState fw : maybeIdle) {
      if (!fw.wantsAnyOffers()) {
        fw.hungryCycles = 0;
        starving.remove(fw);
      }
    }
    maybeIdle.clear();
    if (wanting == null) {
      List<FrameworkState> w = new ArrayList<>();
      for (FrameworkState fw : frameworks.values()) {
        if (fw.wantsAnyOffers()) {
          w.add(fw);
        }
      }
      wanting = w.toArray(new FrameworkState[0]);
    }
    for (FrameworkState fw : wanting) {
      if (fw.offeredCycle == cycle) {
        fw.hungryCycles = 0;
        if (!starving.isEmpty()) {
          starving.remove(fw);
        }
      } else if (fw.declining) {
        fw.hungryCycles = 0; // no sign of unmet demand: it declines what it is offered
        starving.remove(fw);
      } else if (passedOver && ++fw.hungryCycles >= starvationCycles && !starving.contains(fw)) {
        starving.add(fw);
        version++; // a new candidate for agents that looked clean
      }
    }
    offersInCycle = 0;
    cycle++;
  }

  /** Notes that {@code fw}'s wish for offers may have changed (see {@link #wanting}). */
  private void wantsChanged(FrameworkState fw) {
    wanting = null;
    maybeIdle.add(fw);
  }

  // ---------------------------------------------------------------- views for tests and operators

  /** What {@code framework} holds on {@code agent} over all its roles; empty if unknown. */
  Resources allocation(FrameworkId framework, AgentId agent) {
    FrameworkState fw = frameworks.get(framework);
    AgentState a = agents.get(agent);
    if (fw == null || a == null) {
      return Resources.EMPTY;
    }
    Resources sum = Resources.EMPTY;
    for (String role : fw.allocations.keySet()) {
      sum = sum.add(fw.allocation(role, a));
    }
    return sum;
  }

  /** The free resources of {@code agent}; empty if unknown. */
  Resources free(AgentId agent) {
    AgentState a = agents.get(agent);
    return a == null ? Resources.EMPTY : a.free();
  }

  /** The roles currently tracked, sorted. */
  Set<String> trackedRoles() {
    return new TreeSet<>(books.trackedRoles());
  }

  /** The agents known, in cycle order. */
  Set<AgentId> agentIds() {
    return agents.navigableKeySet();
  }

  /** Checks the invariants in the class comment; throws {@link IllegalStateException} if broken. */
  void checkInvariants() {
    if (agentOrder != null) {
      for (int i = 0; i < agentOrder.length; i++) {
        if (!agentOrder[i].synced(columns, i)) {
          throw new IllegalStateException("the scan's columns disagree with agent " + agentOrder[i].id);
        }
      }
    }
    Map<AgentId, Resources> sums = new HashMap<>();
    Map<String, Resources> roleSums = new HashMap<>();
    Map<String, Resources> frameworkSums = new HashMap<>();
    int holdings = 0;
    for (FrameworkState fw : frameworks.values()) {
      for (String role : fw.trackedRoles()) {
        if (!books.members(role).contains(fw.client)) {
          throw new IllegalStateException("framework " + fw.id + " is not tracked under role " + role);
        }
        Resources inRole = Resources.EMPTY;
        for (AgentState agent : fw.agentsIn(role)) {
          Resources held = fw.allocation(role, agent);
          if (held.isEmpty() || agents.get(agent.id) != agent) {
            throw new IllegalStateException("empty or stale allocation entry of " + fw.id + " on " + agent.id);
          }
          holdings++;
          inRole = inRole.add(DrfSorter.quantities(held));
          sums.merge(agent.id, held, Resources::add);
        }
        roleSums.merge(role, inRole, Resources::add);
        frameworkSums.put(role + " " + fw.client, inRole);
      }
    }
    java.util.BitSet indices = new java.util.BitSet();
    for (FrameworkState fw : frameworks.values()) {
      if (indices.get(fw.index)) {
        throw new IllegalStateException("framework " + fw.id + " shares index " + fw.index);
      }
      indices.set(fw.index);
    }
    if (!indices.equals(frameworkIndices)) {
      throw new IllegalStateException("framework indices " + indices + " but " + frameworkIndices + " in use");
    }
    for (AgentState agent : agents.values()) {
      agent.filters.checkInvariants(frameworkIndices);
      if (!agent.spareForgotten()) {
        throw new IllegalStateException("agent " + agent.id + " keeps a spare holding that still names its framework");
      }
      for (Holding h : agent.holdings()) {
        if (frameworks.get(h.framework.id) != h.framework || h.agent != agent
            || h.framework.agentsIn(h.role).indexOf(agent) != h.indexInFramework) {
          throw new IllegalStateException("holding of " + h.framework.id + " in " + h.role + " on " + agent.id
              + " is not linked from its framework");
        }
        holdings--;
      }
    }
    if (holdings != 0) {
      throw new IllegalStateException(holdings + " framework holdings are not linked from their agents");
    }
    orphans.values().forEach(byAgent -> byAgent.forEach((a, r) -> sums.merge(a, r, Resources::add)));
    Resources total = Resources.EMPTY;
    for (AgentState agent : agents.values()) {
      total = total.add(DrfSorter.quantities(agent.total));
      if (!agent.consistent()) {
        throw new IllegalStateException("agent " + agent.id + ": allocated " + agent.allocated()
            + " + free " + agent.free() + " != total " + agent.total);
      }
      if (!agent.allocated().equals(sums.getOrDefault(agent.id, Resources.EMPTY))) {
        throw new IllegalStateException("agent " + agent.id + " counts " + agent.allocated()
            + " allocated but frameworks hold " + sums.get(agent.id));
      }
    }
    if (!total.equals(books.clusterTotal())) {
      throw new IllegalStateException("cluster total " + books.clusterTotal() + " != sum of agents " + total);
    }
    quota.check(roleSums);
    books.checkInvariants(roleSums, frameworkSums, byClient);
  }

  // ---------------------------------------------------------------- internals

  private void requireInitialized() {
    if (clock == null) {
      throw new IllegalStateException("allocator is not initialized: call initialize(clock) first");
    }
  }

  private void allocate(FrameworkState fw, String role, AgentState agent, Resources resources) {
    agent.allocate(resources);
    fw.add(role, agent, resources);
    // Sorters count scalar quantities themselves, without a copy; quota needs the quantities.
    books.allocated(role, fw.client, resources);
    if (!quota.isEmpty()) {
      boolean owed = quota.anyUnmet();
      quota.allocated(role, DrfSorter.quantities(resources));
      if (owed) {
        // It may have met (part of) a guarantee: the headroom kept for it shrinks, so agents a
        // cycle passed over (marked clean) for that headroom may now be offered.
        version++;
      }
    }
  }

  private void unallocate(FrameworkState fw, String role, AgentState agent, Resources resources) {
    fw.subtract(role, agent, resources);
    agent.release(resources);
    books.unallocated(role, fw.client, resources);
    if (!quota.isEmpty()) {
      quota.unallocated(role, DrfSorter.quantities(resources));
      version++; // room under a limit, or headroom, may open on other agents
    }
  }

  /**
   * Records resources the framework holds on an agent, split over its roles: each part goes to
   * the first role it is allocatable to, anything left to its first role.
   *
   * @param fromFree whether the resources are still free on the agent (false: already counted)
   */
  private void attribute(FrameworkState fw, AgentState agent, Resources resources, boolean fromFree) {
    Resources remaining = resources;
    List<String> roles = fw.info.roles();
    for (String role : roles) {
      Resources part = remaining.allocatableTo(role);
      if (!part.isEmpty()) {
        hold(fw, role, agent, part, fromFree);
        remaining = part == remaining ? Resources.EMPTY : remaining.subtract(part);
      }
    }
    if (!remaining.isEmpty()) {
      hold(fw, roles.get(0), agent, remaining, fromFree);
    }
  }

  private void hold(FrameworkState fw, String role, AgentState agent, Resources r, boolean fromFree) {
    if (fromFree) {
      allocate(fw, role, agent, r);
    } else {
      fw.add(role, agent, r);
      Resources q = DrfSorter.quantities(r);
      books.allocated(role, fw.client, q);
      quota.allocated(role, q);
    }
  }

  private void recoverOrphan(FrameworkId frameworkId, AgentState agent, Resources resources) {
    Map<AgentId, Resources> byAgent = orphans.get(frameworkId);
    Resources held = byAgent == null ? null : byAgent.get(agent.id);
    if (held == null) {
      return;
    }
    Resources part = held.intersect(resources);
    agent.release(part);
    Resources left = held.subtract(part);
    if (left.isEmpty()) {
      byAgent.remove(agent.id);
      if (byAgent.isEmpty()) {
        orphans.remove(frameworkId);
      }
    } else {
      byAgent.put(agent.id, left);
    }
  }

  /** What of {@code used} is free on the agent; a master that reports more has a bug, logged. */
  private static Resources clampToFree(AgentState agent, FrameworkId framework, Resources used) {
    if (agent.free().contains(used)) {
      return used;
    }
    Resources part = agent.free().intersect(used);
    LOG.warn("framework {} reports using {} on agent {} where only {} is free; counting {}",
        framework, used, agent.id, agent.free(), part);
    return part;
  }

  /** The subscribed roles among {@code roles}, or all subscribed roles if {@code roles} is empty. */
  private static Set<String> subscribed(FrameworkState fw, Set<String> roles) {
    Set<String> out = new HashSet<>(fw.info.roles());
    if (!roles.isEmpty()) {
      out.retainAll(roles);
    }
    return out;
  }

  /** Throws naming the roles of {@code roles} the framework does not subscribe (an unknown role). */
  private static void checkSubscribed(FrameworkState fw, Set<String> roles) {
    Set<String> unknown = new TreeSet<>(roles);
    unknown.removeAll(fw.info.roles());
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("framework " + fw.id + " does not subscribe roles " + unknown
          + "; its roles are " + fw.info.roles());
    }
  }

  private static void checkRoles(Set<String> roles) {
    for (String role : roles) {
      Roles.check(role);
    }
  }

  private void clearFilters(FrameworkState fw) {
    for (AgentId agentId : fw.filteredAgents) {
      AgentState agent = agents.get(agentId);
      if (agent != null) {
        agent.filters.remove(fw.index);
        agent.sync();
      }
    }
    fw.filteredAgents.clear();
  }

  private boolean checkAgents() {
    for (AgentState a : agents.values()) {
      if (!a.consistent()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Builds a {@link HierarchicalAllocator}. Each setter checks its value at once and may be called
   * once. Not thread-safe; use one builder on one thread.
   */
  public static final class Builder {
    private MinAllocatable minAllocatable;
    private Supplier<? extends Sorter> sorterFactory;
    private int starvationCycles;

    private Builder() {}

    /**
     * The starvation bound: a framework that wants offers but is passed over for frameworks that
     * decline (with any filter) for this many full cycles in a row is offered first, so it
     * receives an offer within {@code cycles + 1} full cycles whenever some agent has resources it
     * may take. Default {@value HierarchicalAllocator#DEFAULT_STARVATION_CYCLES}.
     *
     * @throws IllegalArgumentException if {@code cycles < 1}
     * @throws IllegalStateException if already set
     */
    public Builder starvationCycles(int cycles) {
      if (cycles < 1) {
        throw new IllegalArgumentException("starvationCycles must be >= 1 but was " + cycles);
      }
      if (starvationCycles != 0) {
        throw new IllegalStateException("starvationCycles was already set to " + starvationCycles);
      }
      starvationCycles = cycles;
      return this;
    }

    /**
     * The smallest offers worth making: resources are offered only if they hold every scalar
     * quantity of at least one of the given alternatives (Mesos's
     * {@code --min_allocatable_resources}; default {@code cpus:0.01} or {@code mem:32}).
     *
     * @throws IllegalArgumentException if an alternative is empty or holds non-scalar resources
     * @throws IllegalStateException if already set
     */
    public Builder minAllocatable(Resources first, Resources... more) {
      Objects.requireNonNull(first, "first");
      requireUnset(minAllocatable, "minAllocatable");
      List<Resources> all = new ArrayList<>();
      all.add(first);
      all.addAll(Arrays.asList(more));
      minAllocatable = new MinAllocatable(all);
      return this;
    }

    /**
     * Where the allocator gets its sorters: one for roles and one for the frameworks of each role.
     * The factory must return a new, empty sorter on each call; it is called on the master's loop.
     * Default: weighted DRF.
     *
     * @throws IllegalStateException if already set
     */
    public Builder sorter(Supplier<? extends Sorter> factory) {
      Objects.requireNonNull(factory, "factory");
      requireUnset(sorterFactory, "sorter");
      sorterFactory = factory;
      return this;
    }

    /** A new allocator; call {@link Allocator#initialize} before anything else. */
    public HierarchicalAllocator build() {
      return new HierarchicalAllocator(this);
    }

    private static void requireUnset(Object current, String field) {
      if (current != null) {
        throw new IllegalStateException(field + " was already set to " + current);
      }
    }
  }
}
