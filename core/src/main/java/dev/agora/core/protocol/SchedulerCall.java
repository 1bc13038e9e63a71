package dev.agora.core.protocol;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.TaskId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Calls a framework's scheduler makes to the master (Mesos v1 {@code scheduler::Call}). */
public sealed interface SchedulerCall extends Message {

  /** Subscribes, or resubscribes when {@code info} carries the id of an earlier subscription. */
  record Subscribe(FrameworkInfo info) implements SchedulerCall {}

  /** Ends the framework: its tasks are killed and its offers rescinded. */
  record Teardown(FrameworkId frameworkId) implements SchedulerCall {}

  /** Uses offers (all on one agent) for operations; what they leave unused is filtered by {@code filters}. */
  record Accept(FrameworkId frameworkId, List<OfferId> offerIds, List<Operation> operations, Filters filters)
      implements SchedulerCall {
    public Accept {
      offerIds = List.copyOf(offerIds);
      operations = List.copyOf(operations);
    }
  }

  /** Returns offers unused, not to be offered again for {@code filters.refuse()}. */
  record Decline(FrameworkId frameworkId, List<OfferId> offerIds, Filters filters) implements SchedulerCall {
    public Decline {
      offerIds = List.copyOf(offerIds);
    }
  }

  /** The framework will vacate the agents of these inverse offers in time. */
  record AcceptInverseOffers(FrameworkId frameworkId, List<OfferId> inverseOfferIds, Filters filters)
      implements SchedulerCall {
    public AcceptInverseOffers {
      inverseOfferIds = List.copyOf(inverseOfferIds);
    }
  }

  /** The framework will not vacate these agents; it is asked again after {@code filters.refuse()}. */
  record DeclineInverseOffers(FrameworkId frameworkId, List<OfferId> inverseOfferIds, Filters filters)
      implements SchedulerCall {
    public DeclineInverseOffers {
      inverseOfferIds = List.copyOf(inverseOfferIds);
    }
  }

  /** Clears filters and asks for offers again in {@code roles} (all roles if empty). */
  record Revive(FrameworkId frameworkId, Set<String> roles) implements SchedulerCall {
    public Revive {
      roles = Set.copyOf(roles);
    }
  }

  /** Asks for no offers in {@code roles} (all roles if empty) until revived. */
  record Suppress(FrameworkId frameworkId, Set<String> roles) implements SchedulerCall {
    public Suppress {
      roles = Set.copyOf(roles);
    }
  }

  /**
   * Replaces the framework's {@code FrameworkInfo} without resubscribing (Mesos
   * {@code UPDATE_FRAMEWORK}): its name, roles, capabilities, failover timeout and labels may
   * change; its principal, user and checkpointing may not. Offers made under the old info are
   * rescinded. {@code suppressedRoles} are the roles to receive no offers from now on; the
   * framework's other roles are revived.
   */
  record UpdateFramework(FrameworkInfo info, Set<String> suppressedRoles) implements SchedulerCall {
    public UpdateFramework {
      if (info == null || info.id().isEmpty()) {
        throw new IllegalArgumentException("an update needs the framework info with its id");
      }
      suppressedRoles = Set.copyOf(suppressedRoles);
    }
  }

  /** Kills a task, with an optional grace period overriding the task's. */
  record Kill(FrameworkId frameworkId, TaskId taskId, Optional<AgentId> agentId, Optional<Duration> gracePeriod)
      implements SchedulerCall {}

  /** Acknowledges the status update {@code uuid} of a task, so the agent stops resending it. */
  record Acknowledge(FrameworkId frameworkId, AgentId agentId, TaskId taskId, UUID uuid) implements SchedulerCall {}

  /** Asks for the latest state of the given tasks; none means all the framework's tasks (implicit). */
  record Reconcile(FrameworkId frameworkId, List<ReconcileTask> tasks) implements SchedulerCall {
    public Reconcile {
      tasks = List.copyOf(tasks);
    }
  }

  /** One task to reconcile, with the agent the framework believes it is on. */
  record ReconcileTask(TaskId taskId, Optional<AgentId> agentId) {}

  /**
   * Sends {@code data} to the framework's executor {@code executorId} on agent {@code agentId}
   * (Mesos {@code MESSAGE}); best effort: a message to an executor that is not running is dropped.
   */
  record FrameworkMessage(FrameworkId frameworkId, AgentId agentId, ExecutorId executorId, byte[] data)
      implements SchedulerCall {
    public FrameworkMessage {
      if (frameworkId == null || agentId == null || executorId == null || data == null) {
        throw new IllegalArgumentException("a framework message needs framework, agent, executor and data");
      }
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FrameworkMessage m && frameworkId.equals(m.frameworkId) && agentId.equals(m.agentId)
          && executorId.equals(m.executorId) && java.util.Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(frameworkId, agentId, executorId, java.util.Arrays.hashCode(data));
    }

    @Override
    public String toString() {
      return "FrameworkMessage[" + frameworkId + " -> " + agentId + "/" + executorId + ", " + data.length + " bytes]";
    }
  }

  /** The framework the call is from, or empty for a first subscription. */
  default Optional<FrameworkId> caller() {
    if (this instanceof Subscribe s) {
      return s.info().id();
    }
    if (this instanceof Teardown c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Accept c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Decline c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Revive c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Suppress c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Kill c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof Acknowledge c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof FrameworkMessage c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof UpdateFramework c) {
      return c.info().id();
    }
    if (this instanceof AcceptInverseOffers c) {
      return Optional.of(c.frameworkId());
    }
    if (this instanceof DeclineInverseOffers c) {
      return Optional.of(c.frameworkId());
    }
    return Optional.of(((Reconcile) this).frameworkId());
  }
}
