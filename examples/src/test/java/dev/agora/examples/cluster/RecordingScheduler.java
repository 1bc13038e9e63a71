package dev.agora.examples.cluster;

import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A scheduler that records every event for assertions, holds its offers until the test uses them,
 * and can be given an offer policy. Thread-safe: callbacks write concurrent lists the test reads.
 */
final class RecordingScheduler implements Scheduler {
  final List<FrameworkId> subscriptions = new CopyOnWriteArrayList<>();
  final List<Offer> offersReceived = new CopyOnWriteArrayList<>();
  final List<OfferId> rescinded = new CopyOnWriteArrayList<>();
  final List<TaskStatus> updates = new CopyOnWriteArrayList<>();
  final List<AgentId> failures = new CopyOnWriteArrayList<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  final List<dev.agora.core.model.InverseOffer> inverseOffers = new CopyOnWriteArrayList<>();
  final List<OfferId> inverseRescinded = new CopyOnWriteArrayList<>();
  private volatile BiConsumer<SchedulerDriver, List<Offer>> policy = (d, o) -> {};

  RecordingScheduler onOffers(BiConsumer<SchedulerDriver, List<Offer>> p) {
    this.policy = p;
    return this;
  }

  @Override
  public void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {
    subscriptions.add(frameworkId);
  }

  @Override
  public void offers(SchedulerDriver driver, List<Offer> offers) {
    offersReceived.addAll(offers);
    policy.accept(driver, offers);
  }

  @Override
  public void inverseOffers(SchedulerDriver driver, List<dev.agora.core.model.InverseOffer> offers) {
    inverseOffers.addAll(offers);
  }

  @Override
  public void inverseOfferRescinded(SchedulerDriver driver, OfferId id) {
    inverseRescinded.add(id);
  }

  @Override
  public void rescind(SchedulerDriver driver, OfferId offerId) {
    rescinded.add(offerId);
  }

  @Override
  public void update(SchedulerDriver driver, TaskStatus status) {
    updates.add(status);
  }

  @Override
  public void failure(SchedulerDriver driver, AgentId agentId) {
    failures.add(agentId);
  }

  @Override
  public void error(SchedulerDriver driver, String message) {
    errors.add(message);
  }

  /** Offers not rescinded, in arrival order (the test tracks which it used). */
  List<Offer> liveOffers() {
    List<Offer> out = new ArrayList<>();
    for (Offer o : offersReceived) {
      if (!rescinded.contains(o.id())) {
        out.add(o);
      }
    }
    return out;
  }

  Offer lastOffer() {
    return offersReceived.get(offersReceived.size() - 1);
  }

  /** The states the task went through, in order. */
  List<TaskState> states(TaskId taskId) {
    return updates.stream().filter(u -> u.taskId().equals(taskId)).map(TaskStatus::state).toList();
  }

  Optional<TaskStatus> latest(TaskId taskId) {
    TaskStatus last = null;
    for (TaskStatus u : updates) {
      if (u.taskId().equals(taskId)) {
        last = u;
      }
    }
    return Optional.ofNullable(last);
  }
}
