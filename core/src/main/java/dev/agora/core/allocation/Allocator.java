package dev.agora.core.allocation;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which framework gets which agent's resources: the master tells it what exists and what
 * comes back, and asks it for allocations on every allocation cycle.
 *
 * <p>Bookkeeping follows Mesos: resources an allocator hands out stay <em>allocated</em> to the
 * framework (whether offered or used by tasks) until the master gives them back with
 * {@link #recoverResources} (an offer declined, rescinded or partly used, a task ended).
 *
 * <p>Concurrency: every method is called on the master's event loop, one call at a time, and must
 * not block or call back into the master. An implementation is therefore not thread-safe and needs
 * no locks. If a method throws {@link IllegalArgumentException} the call had no effect; the master
 * treats any other exception as a bug.
 *
 * <p>Calls about unknown frameworks or agents are ignored, not errors, so that the master may
 * replay events after a failover; {@link #recoverResources} of resources already recovered is a
 * no-op.
 */
public interface Allocator {
  /** A short name for logs and the operator API, e.g. {@code hierarchical-drf}. */
  String name();

  /** Called once before any other method, with the clock that filters and timeouts follow. */
  void initialize(Clock clock);

  /**
   * Adds a framework, with what it already uses on each agent (after a failover).
   *
   * @param active whether it may receive offers now
   */
  void addFramework(FrameworkId id, FrameworkInfo info, Map<AgentId, Resources> used, boolean active);

  /** Removes a framework; what it held is free again. */
  void removeFramework(FrameworkId id);

  /** The framework may receive offers again (it resubscribed). */
  void activateFramework(FrameworkId id);

  /** The framework receives no offers until activated (it disconnected). */
  void deactivateFramework(FrameworkId id);

  /** The framework changed its roles or capabilities. */
  void updateFramework(FrameworkId id, FrameworkInfo info);

  /**
   * Adds an agent with its total resources and what frameworks already use on it (after a
   * failover or re-registration).
   */
  void addAgent(AgentId id, AgentInfo info, Resources total, Map<FrameworkId, Resources> used);

  /** Removes an agent; its resources vanish from every framework's allocation. */
  void removeAgent(AgentId id);

  /**
   * Gives back resources allocated to a framework on an agent.
   *
   * @param filters if present, the framework is not offered these resources on this agent again
   *     until the filter expires (decline, or the unused part of an accept)
   */
  void recoverResources(FrameworkId frameworkId, AgentId agentId, Resources resources, Optional<Filters> filters);

  /** The framework wants no offers in {@code roles} (all its roles if empty) until revived. */
  void suppressOffers(FrameworkId id, Set<String> roles);

  /** The framework wants offers again in {@code roles} (all its roles if empty), and its filters are cleared. */
  void reviveOffers(FrameworkId id, Set<String> roles);

  /**
   * Sets the weights of roles, replacing earlier weights of those roles.
   *
   * @throws IllegalArgumentException naming a weight that is not positive and finite, or a bad role
   */
  void updateWeights(Map<String, Double> weights);

  /**
   * Runs one allocation cycle: hands out free resources not filtered for the frameworks that
   * want them, and returns what it handed out.
   */
  List<Allocation> allocate();

  /**
   * Runs a batched allocation cycle over only {@code agents} (Mesos's allocation candidates): the
   * agents touched by events since the last cycle (added, resources recovered, reservations
   * changed). Unknown agents are ignored. The default runs a full {@link #allocate()}, which is
   * always correct, only slower.
   */
  default List<Allocation> allocate(Set<AgentId> agents) {
    return allocate();
  }

  /**
   * The agent's resources are offered to no framework until {@link #activateAgent} (Mesos's
   * {@code deactivateSlave}: an operator deactivated or is draining the agent). What frameworks
   * already hold there stays allocated. Idempotent; an unknown agent is ignored.
   */
  default void deactivateAgent(AgentId id) {
    throw new UnsupportedOperationException(name() + " does not support deactivating agents");
  }

  /** The agent's resources are offered again. Idempotent; an unknown agent is ignored. */
  default void activateAgent(AgentId id) {
    throw new UnsupportedOperationException(name() + " does not support deactivating agents");
  }

  // ------------------------------------------------------------------ optional operations
  // An allocator that does not support one throws UnsupportedOperationException (the default).

  /** The weights set so far by {@link #updateWeights}, by role. */
  default Map<String, Double> weights() {
    throw new UnsupportedOperationException(name() + " does not report weights");
  }

  /**
   * Sets a role's quota, replacing the earlier one; {@link Quota#NONE} removes it. A guarantee
   * above what the cluster holds is accepted (the cluster may grow) and reported by
   * {@link #roles()}.
   *
   * @throws IllegalArgumentException naming the role if it is not a valid role name or is
   *     {@code *}; nothing changes then
   */
  default void updateQuota(String role, Quota quota) {
    throw new UnsupportedOperationException(name() + " does not support quota");
  }

  /** The quotas set, by role. */
  default Map<String, Quota> quotas() {
    throw new UnsupportedOperationException(name() + " does not support quota");
  }

  /** Every role known (subscribed, holding resources, reserved to, weighted or with quota), sorted by name. */
  default List<RoleInfo> roles() {
    throw new UnsupportedOperationException(name() + " does not report roles");
  }

  /**
   * Converts free resources of an agent (operator reserve/unreserve): {@code from}, which must be
   * free on the agent, becomes {@code to}, which must hold the same quantities (only reservations
   * differ).
   *
   * @throws IllegalArgumentException naming the values if the agent is unknown, {@code from} is
   *     not free there, or the quantities differ; nothing changes then
   */
  default void updateAvailable(AgentId agentId, Resources from, Resources to) {
    throw new UnsupportedOperationException(name() + " does not support reservations");
  }

  /**
   * Converts resources allocated to a framework on an agent (RESERVE/UNRESERVE in an accepted
   * offer): {@code from}, which the framework must hold there, becomes {@code to}, which must hold
   * the same quantities; they stay allocated to the framework.
   *
   * @throws IllegalArgumentException naming the values if the framework does not hold
   *     {@code from} there or the quantities differ; nothing changes then
   */
  default void updateAllocation(FrameworkId frameworkId, AgentId agentId, Resources from, Resources to) {
    throw new UnsupportedOperationException(name() + " does not support reservations");
  }

  /** Why the framework does or does not receive each agent's free resources now. */
  default Explanation explain(FrameworkId frameworkId) {
    throw new UnsupportedOperationException(name() + " does not explain its decisions");
  }
}
