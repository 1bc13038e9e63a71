package dev.agora.core.framework;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.Message;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SchedulerDriver} over a {@link dev.agora.core.transport.Transport}: an actor on its
 * own loop that subscribes (retrying until the master answers), follows the master, and turns
 * events into {@link Scheduler} callbacks.
 *
 * <p>Concurrency: public methods post to {@code loop}; all fields are touched only there, except
 * the volatile {@code frameworkId} read by {@link #frameworkId()}.
 */
final class LoopSchedulerDriver implements SchedulerDriver, MessageHandler {
  private static final Logger LOG = LoggerFactory.getLogger(LoopSchedulerDriver.class);

  private final SchedulerDriver.Builder config;
  private final EventLoop loop;
  private final boolean ownsLoop;
  private final Scheduler scheduler;
  private Endpoint endpoint;
  private Address master;
  private FrameworkInfo info;
  private volatile FrameworkId frameworkId;
  private boolean subscribed;
  private boolean stopped;
  private Cancellable subscribeTimer;
  // Read and set by callers' threads, outside the loop: close() must be idempotent even after the
  // loop it would post to has stopped (a second post would never run and close() would wait).
  private final AtomicBoolean closed = new AtomicBoolean();

  LoopSchedulerDriver(SchedulerDriver.Builder config) {
    this.config = config;
    this.ownsLoop = config.loop == null;
    this.loop = ownsLoop ? ThreadEventLoop.start("agora-" + config.address.value()) : config.loop;
    this.scheduler = config.scheduler;
    this.info = config.info;
    this.frameworkId = config.info.id().orElse(null);
  }

  void start() {
    loop.execute(() -> {
      endpoint = config.transport.bind(config.address, loop, this);
      config.detector.watch(loop, leader -> {
        master = leader.orElse(null);
        subscribed = false;
        if (master != null) {
          endpoint.link(master);
          subscribe();
        }
      });
    });
  }

  private void subscribe() {
    if (subscribeTimer != null) {
      subscribeTimer.cancel();
    }
    if (stopped || subscribed || master == null) {
      return;
    }
    endpoint.send(master, new SchedulerCall.Subscribe(info));
    subscribeTimer = loop.schedule(config.subscribeBackoff, this::subscribe);
  }

  @Override
  public void onMessage(Address from, Message message) {
    if (stopped || !from.equals(master) || !(message instanceof SchedulerEvent event)) {
      return;
    }
    try {
      dispatch(event);
    } catch (RuntimeException e) {
      LOG.error("scheduler callback for {} failed", event.getClass().getSimpleName(), e);
    }
  }

  private void dispatch(SchedulerEvent event) {
    if (event instanceof SchedulerEvent.Subscribed s) {
      subscribed = true;
      endpoint.link(master); // again: a link fires once, and this may be a new master at the same address
      frameworkId = s.frameworkId();
      info = info.withId(s.frameworkId());
      if (subscribeTimer != null) {
        subscribeTimer.cancel();
      }
      scheduler.subscribed(this, s.frameworkId());
    } else if (event instanceof SchedulerEvent.Offers o) {
      scheduler.offers(this, o.offers());
    } else if (event instanceof SchedulerEvent.Rescind r) {
      scheduler.rescind(this, r.offerId());
    } else if (event instanceof SchedulerEvent.InverseOffers o) {
      scheduler.inverseOffers(this, o.inverseOffers());
    } else if (event instanceof SchedulerEvent.RescindInverseOffer r) {
      scheduler.inverseOfferRescinded(this, r.inverseOfferId());
    } else if (event instanceof SchedulerEvent.Update u) {
      LOG.debug("framework {} got update {} {}", frameworkId, u.status().taskId(), u.status().state());
      scheduler.update(this, u.status());
      if (config.implicitAcknowledgements) {
        sendAcknowledge(u.status());
      }
    } else if (event instanceof SchedulerEvent.Failure f) {
      scheduler.failure(this, f.agentId());
    } else if (event instanceof SchedulerEvent.FrameworkMessage m) {
      scheduler.frameworkMessage(this, m.executorId(), m.agentId(), m.data());
    } else if (event instanceof SchedulerEvent.Error e) {
      LOG.error("master refused framework {}: {}", frameworkId, e.message());
      stopped = true;
      scheduler.error(this, e.message());
      shutdown();
    }
  }

  @Override
  public void onExited(Address peer) {
    if (!peer.equals(master) || stopped) {
      return;
    }
    if (subscribed) {
      // Connected until now: tell the scheduler and resubscribe at once.
      subscribed = false;
      scheduler.disconnected(this);
      subscribe();
    }
    // Otherwise a subscription is already being retried on its timer; a refused attempt (an HTTP
    // master answering 503 drops the link) must not start another at once, or the driver spins.
  }

  private void call(Function<FrameworkId, SchedulerCall> make) {
    loop.execute(() -> {
      if (stopped || !subscribed) {
        LOG.warn("framework {} not subscribed: dropping a call", frameworkId);
        return;
      }
      endpoint.send(master, make.apply(frameworkId));
    });
  }

  @Override
  public void updateFramework(FrameworkInfo next, Set<String> suppressedRoles) {
    Set<String> suppressed = Set.copyOf(suppressedRoles);
    loop.execute(() -> {
      FrameworkInfo withId = frameworkId == null ? next : next.withId(frameworkId);
      info = withId; // later (re)subscriptions carry it
      if (stopped || !subscribed) {
        return;
      }
      endpoint.send(master, new SchedulerCall.UpdateFramework(withId, suppressed));
    });
  }

  private void sendAcknowledge(TaskStatus status) {
    if (status.uuid().isPresent() && status.agentId().isPresent() && subscribed) {
      endpoint.send(master, new SchedulerCall.Acknowledge(frameworkId, status.agentId().get(), status.taskId(),
          status.uuid().get()));
    }
  }

  @Override
  public Optional<FrameworkId> frameworkId() {
    return Optional.ofNullable(frameworkId);
  }

  @Override
  public void accept(List<OfferId> offerIds, List<Operation> operations, Filters filters) {
    call(id -> new SchedulerCall.Accept(id, offerIds, operations, filters));
  }

  @Override
  public void decline(List<OfferId> offerIds, Filters filters) {
    call(id -> new SchedulerCall.Decline(id, offerIds, filters));
  }

  @Override
  public void acceptInverseOffers(List<OfferId> inverseOfferIds, Filters filters) {
    call(id -> new SchedulerCall.AcceptInverseOffers(id, inverseOfferIds, filters));
  }

  @Override
  public void declineInverseOffers(List<OfferId> inverseOfferIds, Filters filters) {
    call(id -> new SchedulerCall.DeclineInverseOffers(id, inverseOfferIds, filters));
  }

  @Override
  public void revive(Set<String> roles) {
    call(id -> new SchedulerCall.Revive(id, roles));
  }

  @Override
  public void suppress(Set<String> roles) {
    call(id -> new SchedulerCall.Suppress(id, roles));
  }

  @Override
  public void kill(TaskId taskId, Optional<AgentId> agentId, Optional<Duration> gracePeriod) {
    call(id -> new SchedulerCall.Kill(id, taskId, agentId, gracePeriod));
  }

  @Override
  public void sendFrameworkMessage(dev.agora.core.model.ExecutorId executorId, AgentId agentId, byte[] data) {
    byte[] copy = data.clone();
    call(id -> new SchedulerCall.FrameworkMessage(id, agentId, executorId, copy));
  }

  @Override
  public void acknowledge(TaskStatus status) {
    loop.execute(() -> sendAcknowledge(status));
  }

  @Override
  public void reconcile(List<SchedulerCall.ReconcileTask> tasks) {
    call(id -> new SchedulerCall.Reconcile(id, tasks));
  }

  @Override
  public void teardown() {
    call(SchedulerCall.Teardown::new);
    close();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      stopped = true;
      shutdown();
      done.complete(null);
    });
    if (ownsLoop && !loop.inLoop()) {
      done.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
      loop.shutdown();
    }
  }

  private void shutdown() {
    if (subscribeTimer != null) {
      subscribeTimer.cancel();
    }
    if (endpoint != null) {
      endpoint.close();
    }
  }
}
