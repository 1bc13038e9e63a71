package dev.agora.core.framework;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskStatus;
import java.util.List;

/**
 * A framework's scheduler: the callbacks a {@link SchedulerDriver} makes as events arrive.
 *
 * <p>Concurrency: the driver calls these one at a time on its own event loop, so an
 * implementation needs no locks for state it touches only here. Callbacks must not block. A
 * callback that throws is logged and the driver goes on.
 */
public interface Scheduler {
  /** Subscribed (or resubscribed after a failover) under {@code frameworkId}. */
  default void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {}

  /**
   * New offers. The default declines them all with the default filter: a scheduler that wants
   * resources overrides this and accepts or declines every offer.
   */
  default void offers(SchedulerDriver driver, List<Offer> offers) {
    driver.decline(offers.stream().map(Offer::id).toList(), Filters.DEFAULT);
  }

  /** An offer is no longer valid. */
  default void rescind(SchedulerDriver driver, OfferId offerId) {}

  /**
   * The master asks the framework to vacate agents scheduled for maintenance. Answer with
   * {@link SchedulerDriver#acceptInverseOffers} or {@link SchedulerDriver#declineInverseOffers};
   * the default ignores them (the master records no answer and asks again later).
   */
  default void inverseOffers(SchedulerDriver driver, List<dev.agora.core.model.InverseOffer> inverseOffers) {}

  /** An inverse offer was withdrawn (its maintenance was unscheduled or has started). */
  default void inverseOfferRescinded(SchedulerDriver driver, OfferId inverseOfferId) {}

  /**
   * A task's status changed. With implicit acknowledgements (the default) the driver acknowledges
   * the update after this returns.
   */
  default void update(SchedulerDriver driver, TaskStatus status) {}

  /**
   * A message from the framework's executor {@code executorId} on agent {@code agentId}
   * ({@code data} is the callee's to keep).
   */
  default void frameworkMessage(SchedulerDriver driver, dev.agora.core.model.ExecutorId executorId, AgentId agentId,
      byte[] data) {}

  /** An agent was lost. */
  default void failure(SchedulerDriver driver, AgentId agentId) {}

  /** The master refused this framework; the driver has stopped. */
  default void error(SchedulerDriver driver, String message) {}

  /** The connection to the master was lost; the driver resubscribes on its own. */
  default void disconnected(SchedulerDriver driver) {}
}
