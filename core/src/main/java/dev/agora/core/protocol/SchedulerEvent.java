package dev.agora.core.protocol;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.InverseOffer;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskStatus;
import java.time.Duration;
import java.util.List;

/** Events the master sends a framework's scheduler (Mesos v1 {@code scheduler::Event}). */
public sealed interface SchedulerEvent extends Message {

  /** The subscription took; later calls carry {@code frameworkId}. */
  record Subscribed(FrameworkId frameworkId, Duration heartbeatInterval) implements SchedulerEvent {}

  /** New offers. */
  record Offers(List<Offer> offers) implements SchedulerEvent {
    public Offers {
      offers = List.copyOf(offers);
    }
  }

  /** The master asks the framework to vacate agents scheduled for maintenance; answer each. */
  record InverseOffers(List<InverseOffer> inverseOffers) implements SchedulerEvent {
    public InverseOffers {
      inverseOffers = List.copyOf(inverseOffers);
    }
  }

  /** An inverse offer is withdrawn (the maintenance was unscheduled or has started). */
  record RescindInverseOffer(OfferId inverseOfferId) implements SchedulerEvent {}

  /** An offer is no longer valid. */
  record Rescind(OfferId offerId) implements SchedulerEvent {}

  /** A task's status changed. Acknowledge it when {@code status.uuid()} is present. */
  record Update(TaskStatus status) implements SchedulerEvent {}

  /** An agent was lost. */
  record Failure(AgentId agentId) implements SchedulerEvent {}

  /** The master refuses the framework (removed, invalid call): the scheduler must stop. */
  record Error(String message) implements SchedulerEvent {}

  /** A message from the framework's executor {@code executorId} on agent {@code agentId} (Mesos {@code MESSAGE}). */
  record FrameworkMessage(AgentId agentId, ExecutorId executorId, byte[] data) implements SchedulerEvent {
    public FrameworkMessage {
      if (agentId == null || executorId == null || data == null) {
        throw new IllegalArgumentException("a framework message needs agent, executor and data");
      }
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FrameworkMessage m && agentId.equals(m.agentId) && executorId.equals(m.executorId)
          && java.util.Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(agentId, executorId, java.util.Arrays.hashCode(data));
    }

    @Override
    public String toString() {
      return "FrameworkMessage[" + agentId + "/" + executorId + ", " + data.length + " bytes]";
    }
  }

  /** The master is alive. */
  record Heartbeat() implements SchedulerEvent {}

}
