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

/** A subscribed framework. */
final class FrameworkEntry {
  final FrameworkId id;
  FrameworkInfo info;
  /** Where its scheduler is; null for a framework known only from an agent's report. */
  Address address;
  boolean connected = true;
  Cancellable failoverTimer;
  final Map<TaskId, TaskEntry> tasks = new LinkedHashMap<>();
  final Set<OfferEntry> offers = new LinkedHashSet<>();
  /** Agents it started executors of its own on: they hear of its removal even with no task left. */
  final Set<AgentId> executorAgents = new LinkedHashSet<>();

  FrameworkEntry(FrameworkId id, FrameworkInfo info, Address address) {
    this.id = id;
    this.info = info;
    this.address = address;
  }
}
