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

/** A registered agent. */
final class AgentEntry {
  final AgentId id;
  final AgentInfo info;
  Address address;
  final Map<TaskKey, TaskEntry> tasks = new LinkedHashMap<>();
  final Set<OfferEntry> offers = new LinkedHashSet<>();
  int missedPings;
  boolean pongReceived = true;

  AgentEntry(AgentId id, AgentInfo info, Address address) {
    this.id = id;
    this.info = info;
    this.address = address;
  }
}
