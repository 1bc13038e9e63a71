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

  FrameworkEntry(FrameworkId id, FrameworkInfo info, Address address) {
    this.id = id;
    this.info = info;
    this.address = address;
  }
}

/** An outstanding offer. */
final class OfferEntry {
  final Offer offer;
  Cancellable timeout;

  OfferEntry(Offer offer) {
    this.offer = offer;
  }
}

/** A task of a framework, unique by framework and task id. */
record TaskKey(FrameworkId frameworkId, TaskId taskId) {}

/** A live task as the master knows it. */
final class TaskEntry {
  final FrameworkId frameworkId;
  final TaskInfo info;
  final AgentId agentId;
  /** The latest status; STAGING until the agent reports. */
  TaskStatus status;

  TaskEntry(FrameworkId frameworkId, TaskInfo info, TaskStatus status) {
    this.frameworkId = frameworkId;
    this.info = info;
    this.agentId = info.agentId();
    this.status = status;
  }

  TaskState state() {
    return status.state();
  }

  TaskKey key() {
    return new TaskKey(frameworkId, info.taskId());
  }
}
