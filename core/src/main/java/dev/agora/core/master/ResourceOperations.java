package dev.agora.core.master;

import dev.agora.core.allocation.Allocator;
import dev.agora.core.allocation.Explanation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.Roles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's handling of reservations, quota, weights and roles: operator calls (reserve,
 * unreserve, update weights and quota, list roles, explain) and RESERVE / UNRESERVE operations in
 * a framework's accept. It validates each request against the registry, then tells the allocator.
 *
 * <p>Concurrency: called only on the master's loop, like the actor that owns it; no locks.
 *
 * <p>Errors: a bad request throws {@link IllegalArgumentException} naming the value, before
 * anything changes (the allocator's conversions are themselves all-or-nothing). A call while the
 * master does not lead throws {@link IllegalStateException}.
 *
 * <p>Durability: each reservation or unreservation updates the agent's resources in the durable
 * registry (one write), and a new leader, or this one when an unreachable agent comes back, gives
 * the allocator those resources when the agent re-registers: reservations survive a failover.
 * (Mesos checkpoints them on the agent, which reports them on re-registration; here the registry,
 * which already holds each admitted agent, keeps them.)
 */
final class ResourceOperations {
  private static final Logger LOG = LoggerFactory.getLogger(ResourceOperations.class);

  private final MasterActor master;
  private final Registry registry;

  ResourceOperations(MasterActor master, Registry registry) {
    this.master = master;
    this.registry = registry;
  }

  private Allocator allocator() {
    if (!master.isLeading()) {
      throw new IllegalStateException("this master does not lead");
    }
    return master.allocator();
  }

  // ---------------------------------------------------------------- operator calls

  void updateWeights(Map<String, Double> weights) {
    allocator().updateWeights(weights);
    master.registrar().weights(allocator().weights());
    master.requestAllocation();
  }

  Map<String, Double> weights() {
    return allocator().weights();
  }

  void updateQuota(String role, Quota quota) {
    allocator().updateQuota(role, quota);
    master.registrar().quotas(allocator().quotas());
    master.requestAllocation();
  }

  Map<String, Quota> quotas() {
    return allocator().quotas();
  }

  List<RoleInfo> roles() {
    return allocator().roles();
  }

  Explanation explain(FrameworkId id) {
    return allocator().explain(id);
  }

  /**
   * Reserves free resources of an agent: {@code resources} carry their new roles
   * ({@code cpus(eng):2}). Outstanding offers on the agent are rescinded first if what is free
   * alone does not hold them.
   */
  void reserve(AgentId agentId, Resources resources) {
    Allocator allocator = allocator();
    AgentEntry agent = requireAgent(agentId);
    checkReserved("reserve", resources);
    Resources from = resources.unreserveAll();
    convertFree(allocator, agent, from, resources);
  }

  /** Gives reserved free resources of an agent back to everyone: {@code resources} carry their current roles. */
  void unreserve(AgentId agentId, Resources resources) {
    Allocator allocator = allocator();
    AgentEntry agent = requireAgent(agentId);
    checkReserved("unreserve", resources);
    convertFree(allocator, agent, resources, resources.unreserveAll());
  }

  private void convertFree(Allocator allocator, AgentEntry agent, Resources from, Resources to) {
    try {
      allocator.updateAvailable(agent.id, from, to);
    } catch (IllegalArgumentException notFree) {
      if (agent.offers.isEmpty()) {
        throw notFree;
      }
      // Take back what is offered on the agent, then try again (Mesos rescinds offers too).
      master.rescindAgentOffers(agent);
      allocator.updateAvailable(agent.id, from, to);
    }
    LOG.info("agent {}: {} is now {}", agent.id, from, to);
    master.registrar().converted(agent.id, from, to);
    master.requestAllocation(agent.id);
  }

  private AgentEntry requireAgent(AgentId agentId) {
    AgentEntry agent = registry.agents.get(Objects.requireNonNull(agentId, "agentId"));
    if (agent == null) {
      throw new IllegalArgumentException("unknown agent " + agentId);
    }
    return agent;
  }

  private static void checkReserved(String what, Resources resources) {
    Objects.requireNonNull(resources, "resources");
    if (resources.isEmpty()) {
      throw new IllegalArgumentException("nothing to " + what);
    }
    if (!resources.unreserved().isEmpty()) {
      throw new IllegalArgumentException("cannot " + what + " " + resources.unreserved()
          + ": not reserved to a role");
    }
  }

  // ---------------------------------------------------------------- accept

  /**
   * Applies a RESERVE or UNRESERVE operation of an accepted offer: {@code available} is what is
   * left of the offers; returns what is left after the operation.
   *
   * @throws IllegalArgumentException naming the problem if the operation is invalid (roles the
   *     framework may not use, resources not in the offer, unreserving what is not reserved);
   *     nothing changes then
   */
  Resources apply(FrameworkEntry framework, AgentId agentId, Resources available, Operation op) {
    Resources from;
    Resources to;
    if (op instanceof Operation.Reserve reserve) {
      to = reserve.resources();
      checkReserved("reserve", to);
      List<String> foreign = new ArrayList<>();
      for (String role : to.reservationRoles()) {
        if (!framework.info.roles().contains(role)) {
          foreign.add(role);
        }
      }
      if (!foreign.isEmpty()) {
        throw new IllegalArgumentException("framework " + framework.id + " may not reserve for roles " + foreign
            + "; its roles are " + framework.info.roles());
      }
      from = to.unreserveAll();
    } else if (op instanceof Operation.Unreserve unreserve) {
      from = unreserve.resources();
      checkReserved("unreserve", from);
      for (String role : from.reservationRoles()) {
        Roles.check(role);
      }
      to = from.unreserveAll();
    } else {
      throw new IllegalArgumentException("not a reservation operation: " + op.type());
    }
    if (!available.contains(from)) {
      throw new IllegalArgumentException(op.type() + " of " + from + " which the offers do not hold ("
          + available + ")");
    }
    master.allocator().updateAllocation(framework.id, agentId, from, to);
    master.registrar().converted(agentId, from, to);
    LOG.info("framework {} {} on agent {}: {} is now {}", framework.id, op.type(), agentId, from, to);
    return available.subtract(from).add(to);
  }
}
