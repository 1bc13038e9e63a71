package dev.agora.core.framework;

import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Transport;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A framework's connection to the master: it subscribes, delivers events to a {@link Scheduler},
 * and makes the scheduler's calls.
 *
 * <p>Concurrency: thread-safe; calls are posted to the driver's loop and sent in order. Calls made
 * before the subscription took are dropped with a warning (there is no framework id yet). Calls
 * are fire-and-forget, as in Mesos: their outcome comes back as events (an invalid launch as a
 * TASK_ERROR or TASK_DROPPED update, a refused framework as {@link Scheduler#error}).
 */
public interface SchedulerDriver extends AutoCloseable {

  /** The framework id, once subscribed. */
  Optional<FrameworkId> frameworkId();

  /** Uses offers (all on one agent) for operations; the unused rest is filtered by {@code filters}. */
  void accept(List<OfferId> offerIds, List<Operation> operations, Filters filters);

  /** Launches tasks on one offer; the unused rest is declined with the default filter. */
  default void launch(Offer offer, List<TaskInfo> tasks) {
    accept(List.of(offer.id()), List.of(new Operation.Launch(tasks)), Filters.DEFAULT);
  }

  /** Declines offers for {@code filters.refuse()}. */
  void decline(List<OfferId> offerIds, Filters filters);

  /** Clears filters and asks for offers in {@code roles} (all if empty). */
  void revive(Set<String> roles);

  /** The framework will leave the agents of these inverse offers before their maintenance starts. */
  default void acceptInverseOffers(List<OfferId> inverseOfferIds, Filters filters) {
    throw new UnsupportedOperationException("this driver does not answer inverse offers");
  }

  /** The framework will not leave these agents; the master asks again after {@code filters.refuse()}. */
  default void declineInverseOffers(List<OfferId> inverseOfferIds, Filters filters) {
    throw new UnsupportedOperationException("this driver does not answer inverse offers");
  }

  /**
   * Replaces the framework's info without resubscribing (Mesos {@code UPDATE_FRAMEWORK}): name,
   * roles, capabilities, failover timeout and labels may change, principal, user and checkpointing
   * may not (the master refuses such an update). Offers made under the old info are rescinded;
   * {@code suppressedRoles} get no offers until revived, the framework's other roles are revived.
   * Later resubscriptions carry the new info. The default throws {@link UnsupportedOperationException}.
   */
  default void updateFramework(FrameworkInfo info, Set<String> suppressedRoles) {
    throw new UnsupportedOperationException("this driver cannot update its framework info");
  }

  /** Asks for no offers in {@code roles} (all if empty). */
  void suppress(Set<String> roles);

  /** Kills a task (TERM, then KILL after the grace period, if given, or the task's). */
  void kill(TaskId taskId, Optional<AgentId> agentId, Optional<Duration> gracePeriod);

  /**
   * Sends {@code data} to the framework's executor {@code executorId} on agent {@code agentId}
   * (Mesos {@code MESSAGE}); best effort: it is dropped if the executor is not running. The default
   * throws {@link UnsupportedOperationException}.
   */
  default void sendFrameworkMessage(dev.agora.core.model.ExecutorId executorId, AgentId agentId, byte[] data) {
    throw new UnsupportedOperationException("this driver cannot send framework messages");
  }

  /** Acknowledges an update; needed only with implicit acknowledgements off. No-op without uuid. */
  void acknowledge(TaskStatus status);

  /** Asks for the state of the given tasks, or of all the framework's tasks if empty. */
  void reconcile(List<ReconcileTask> tasks);

  /** Ends the framework: its tasks are killed. The driver stops. */
  void teardown();

  /**
   * Disconnects without ending the framework: its tasks keep running for the failover timeout,
   * within which another driver may resubscribe with the same framework id. Idempotent.
   */
  @Override
  void close();

  /** A new builder. */
  static Builder builder() {
    return new Builder();
  }

  /** Builds and starts a driver; each setter may be called once. */
  final class Builder {
    Transport transport;
    Address address;
    MasterDetector detector;
    FrameworkInfo info;
    Scheduler scheduler;
    EventLoop loop;
    boolean implicitAcknowledgements = true;
    Duration subscribeBackoff = Duration.ofSeconds(2);
    private final Set<String> set = new HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    /** The transport to reach the master on (required). */
    public Builder transport(Transport value) {
      once("transport");
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /** This driver's address (required; unique on the transport). */
    public Builder address(Address value) {
      once("address");
      address = Objects.requireNonNull(value, "address");
      return this;
    }

    /** A fixed master address; or use {@link #masterDetector}. */
    public Builder master(Address value) {
      return masterDetector(MasterDetector.standalone(Objects.requireNonNull(value, "master")));
    }

    /** Where to find the leading master (required, or {@link #master}). */
    public Builder masterDetector(MasterDetector value) {
      once("master");
      detector = Objects.requireNonNull(value, "masterDetector");
      return this;
    }

    /** What to subscribe with (required); carry an id to fail over an earlier driver. */
    public Builder framework(FrameworkInfo value) {
      once("framework");
      info = Objects.requireNonNull(value, "framework");
      return this;
    }

    /** The callbacks (required). */
    public Builder scheduler(Scheduler value) {
      once("scheduler");
      scheduler = Objects.requireNonNull(value, "scheduler");
      return this;
    }

    /** The loop callbacks run on (e.g. a simulation's); default a new thread, owned by the driver. */
    public Builder loop(EventLoop value) {
      once("loop");
      loop = Objects.requireNonNull(value, "loop");
      return this;
    }

    /** Whether the driver acknowledges updates after {@link Scheduler#update} returns; default true. */
    public Builder implicitAcknowledgements(boolean value) {
      once("implicitAcknowledgements");
      implicitAcknowledgements = value;
      return this;
    }

    /**
     * Builds the driver and starts subscribing.
     *
     * @throws IllegalStateException naming the first missing required setting
     */
    public SchedulerDriver start() {
      for (String required : new String[] {"transport", "address", "master", "framework", "scheduler"}) {
        if (!set.contains(required)) {
          throw new IllegalStateException("scheduler driver needs " + required);
        }
      }
      LoopSchedulerDriver driver = new LoopSchedulerDriver(this);
      driver.start();
      return driver;
    }
  }
}
