package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.transport.Address;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The master's books. Confined to the master's loop. */
final class Registry {
  final Map<AgentId, AgentEntry> agents = new LinkedHashMap<>();
  final Map<FrameworkId, FrameworkEntry> frameworks = new LinkedHashMap<>();
  final Map<OfferId, OfferEntry> offers = new LinkedHashMap<>();
  final Set<FrameworkId> removedFrameworks = new LinkedHashSet<>();
  final Set<AgentId> unreachableAgents = new LinkedHashSet<>();
  /**
   * Agents the durable registry says were admitted and that have not re-registered with this
   * leader yet (after a failover); reconciliation does not answer for their tasks meanwhile.
   */
  final Set<AgentId> recoveringAgents = new LinkedHashSet<>();

  /** The agent registered from {@code address}, if any. */
  java.util.Optional<AgentEntry> agentAt(Address address) {
    for (AgentEntry a : agents.values()) {
      if (a.address.equals(address)) {
        return java.util.Optional.of(a);
      }
    }
    return java.util.Optional.empty();
  }
}
