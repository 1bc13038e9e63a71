package dev.agora.core.master;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Allocator;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.model.TaskStatus.Reason;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's state and behaviour, run on one event loop.
 *
 * <p>Concurrency: every method runs on {@code loop}; no locks. Invariants: an offer is in
 * {@code offers} and in its framework's and agent's offer sets, or in none; a live task is in its
 * framework's and its agent's task maps; a task's resources go back to the allocator exactly once,
 * when it reaches a terminal state or its framework or agent is removed; only the elected leader
 * acts on calls.
 */
final class MasterActor implements MessageHandler {
  private static final Logger LOG = LoggerFactory.getLogger(MasterActor.class);

  record Settings(
      Duration allocationInterval,
      Optional<Duration> offerTimeout,
      Duration agentPingInterval,
      int maxAgentPingMisses,
      Duration frameworkHeartbeatInterval,
      String id,
      Duration agentReregistrationTimeout,
      Duration standbyRegistryRefresh) {}

  private final EventLoop loop;
  private final Transport transport;
  private final Address address;
  private final Allocator allocator;
  private final Settings settings;
  private final Registry registry = new Registry();
  private final TaskRouter tasks;
  private final PartitionTracker partitions;
  private final ResourceOperations resourceOperations;
  private final ExecutorLedger executors;
  final MasterMetrics.Counters metrics = new MasterMetrics.Counters();
  private final Maintenance maintenance;
  private Endpoint endpoint;
  private MasterRegistrar registrar;
  private RegistryRecovery recovery;
  private boolean leading;
  /** Whether this master ever led: a master leads at most one term (see {@link #elected}). */
  private boolean ledBefore;
  /** The epoch of our current (or last) term; stamped on every message to agents. 0 before the first. */
  private long epoch;
  private boolean allocationPending;
  /** Whether the pending cycle looks at every agent; else only at {@code touchedAgents}. */
  private boolean fullAllocationPending;
  private final Set<AgentId> touchedAgents = new java.util.HashSet<>();
  private boolean stopping;
  private final List<Cancellable> timers = new ArrayList<>();
  private long nextFramework;
  private long nextAgent;
  private long nextOffer;

  MasterActor(EventLoop loop, Transport transport, Address address, Allocator allocator, Settings settings) {
    this.loop = loop;
    this.transport = transport;
    this.address = address;
    this.allocator = allocator;
    this.settings = settings;
    this.executors = new ExecutorLedger(allocator);
    this.tasks = new TaskRouter(this, registry);
    this.partitions = new PartitionTracker(this, registry, tasks);
    tasks.partitions(partitions);
    this.resourceOperations = new ResourceOperations(this, registry);
    this.maintenance = new Maintenance(this, registry);
    this.registrar = new MasterRegistrar(loop, null, Runnable::run, why -> {});
    this.recovery = new RegistryRecovery(this, registry);
  }

  Maintenance maintenance() {
    return maintenance;
  }

  /** Keeps the registry durable in {@code store} (blocking calls on {@code io}); before start. */
  void durableRegistry(dev.agora.core.coordination.StateStore store, java.util.concurrent.Executor io,
      Runnable abdicate) {
    this.registrar = new MasterRegistrar(loop, store, io, why -> {
      deposed();
      abdicate.run(); // so that another master can lead
    });
  }

  MasterRegistrar registrar() {
    return registrar;
  }

  Registry registry() {
    return registry;
  }

  Settings settings() {
    return settings;
  }

  TaskRouter tasks() {
    return tasks;
  }

  ExecutorLedger executors() {
    return executors;
  }

  String id() {
    return settings.id();
  }

  Address address() {
    return address;
  }

  EventLoop loop() {
    return loop;
  }

  Allocator allocator() {
    return allocator;
  }

  PartitionTracker partitions() {
    return partitions;
  }

  ResourceOperations resourceOperations() {
    return resourceOperations;
  }

  boolean isLeading() {
    return leading;
  }

  /** Rescinds every outstanding offer on the agent (its resources go back to the allocator). */
  void rescindAgentOffers(AgentEntry agent) {
    for (OfferEntry o : new ArrayList<>(agent.offers)) {
      rescind(o);
    }
  }

  void bind() {
    endpoint = transport.bind(address, loop, this);
    if (!leading && !ledBefore) {
      registrar.standBy(settings.standbyRegistryRefresh()); // a standby keeps the registry warm until elected
    }
  }

  /**
   * The elector says we lead. False if this master was deposed before: its books (and the
   * allocator's) are those of an old term and may be stale, so it does not lead again; a new
   * {@code Master} must (as a Mesos master restarts).
   */
  boolean elected(long epoch) {
    if (leading) {
      return true;
    }
    if (ledBefore) {
      LOG.error("master {} was deposed earlier and does not lead again (epoch {}): its books may be stale;"
          + " build a new Master to lead", settings.id(), epoch);
      return false;
    }
    ledBefore = true;
    LOG.info("master {} at {} leads (epoch {})", settings.id(), address, epoch);
    leading = true;
    this.epoch = epoch;
    allocator.initialize(loop.clock());
    recovery.begin(epoch); // messages wait until the registry is read back
    timers.add(every(settings.allocationInterval(), () -> {
      maintenance.tick();
      fullAllocationPending = true;
      allocate();
    }));
    timers.add(every(settings.agentPingInterval(), this::pingAgents));
    timers.add(every(settings.frameworkHeartbeatInterval(), this::heartbeatFrameworks));
    return true;
  }

  void deposed() {
    if (leading && !stopping) {
      LOG.warn("master {} lost leadership; it stops acting", settings.id());
    }
    leading = false;
    recovery.end();
    registrar.stop();
    timers.forEach(Cancellable::cancel);
    timers.clear();
  }

  void stop() {
    stopping = true;
    deposed();
    if (endpoint != null) {
      endpoint.close();
    }
  }

  private Cancellable every(Duration interval, Runnable action) {
    Cancellable[] current = new Cancellable[1];
    Runnable[] tick = new Runnable[1];
    tick[0] = () -> {
      if (leading) {
        action.run();
        current[0] = loop.schedule(interval, tick[0]);
      }
    };
    current[0] = loop.schedule(interval, tick[0]);
    return () -> current[0].cancel();
  }

  // ------------------------------------------------------------------ dispatch

  @Override
  public void onMessage(Address from, Message message) {
    if (!leading) {
      LOG.debug("not leading: ignoring {} from {}", message.getClass().getSimpleName(), from);
      return;
    }
    if (recovery.holds(from, message)) {
      return;
    }
    dispatch(from, message);
  }

  /**
   * Runs an operator call on the loop: at once, or, while a new leader reads its registry back,
   * once that is done (so that it sees and changes the recovered books).
   */
  void operatorCall(Runnable call) {
    recovery.afterRecovery(call);
  }

  /** Handles a message as the leader, once the registry is recovered. */
  void dispatch(Address from, Message message) {
    if (message instanceof SchedulerCall call) {
      onSchedulerCall(from, call);
    } else if (message instanceof AgentMessage m) {
      onAgentMessage(from, m);
    } else {
      LOG.warn("unexpected {} from {}", message.getClass().getSimpleName(), from);
    }
  }

  @Override
  public void onExited(Address peer) {
    for (FrameworkEntry f : new ArrayList<>(registry.frameworks.values())) {
      if (f.connected && peer.equals(f.address)) {
        disconnected(f);
      }
    }
  }

  private void onSchedulerCall(Address from, SchedulerCall call) {
    if (call instanceof SchedulerCall.Subscribe s) {
      subscribe(from, s.info());
      return;
    }
    FrameworkId id = call.caller().orElseThrow();
    FrameworkEntry f = registry.frameworks.get(id);
    if (f == null || !from.equals(f.address)) {
      String why = registry.removedFrameworks.contains(id)
          ? "Framework " + id + " has been removed"
          : "Framework " + id + " is not subscribed from " + from;
      send(from, new SchedulerEvent.Error(why));
      return;
    }
    if (call instanceof SchedulerCall.Teardown) {
      removeFramework(f, "teardown");
    } else if (call instanceof SchedulerCall.Accept a) {
      List<AgentId> agents = new ArrayList<>();
      for (OfferId offerId : a.offerIds()) {
        OfferEntry o = registry.offers.get(offerId);
        if (o != null) {
          agents.add(o.offer.agentId());
        }
      }
      tasks.accept(f, a);
      agents.forEach(this::requestAllocation);
    } else if (call instanceof SchedulerCall.Decline d) {
      for (OfferId offerId : d.offerIds()) {
        OfferEntry o = registry.offers.get(offerId);
        if (o != null && o.offer.frameworkId().equals(id)) {
          removeOffer(o, false);
          allocator.recoverResources(id, o.offer.agentId(), o.offer.resources(), Optional.of(d.filters()));
          requestAllocation(o.offer.agentId());
        }
      }
    } else if (call instanceof SchedulerCall.AcceptInverseOffers
        || call instanceof SchedulerCall.DeclineInverseOffers) {
      maintenance.respond(f, call);
    } else if (call instanceof SchedulerCall.Revive || call instanceof SchedulerCall.Suppress) {
      try {
        if (call instanceof SchedulerCall.Revive r) {
          allocator.reviveOffers(id, r.roles());
          requestAllocation();
        } else {
          allocator.suppressOffers(id, ((SchedulerCall.Suppress) call).roles());
        }
      } catch (IllegalArgumentException e) {
        LOG.warn("framework {}: {} dropped: {}", id, call.getClass().getSimpleName(), e.getMessage());
      }
    } else if (call instanceof SchedulerCall.Kill k) {
      tasks.kill(f, k);
    } else if (call instanceof SchedulerCall.Acknowledge a) {
      tasks.acknowledge(f, a);
    } else if (call instanceof SchedulerCall.Reconcile r) {
      tasks.reconcile(f, r);
    } else if (call instanceof SchedulerCall.FrameworkMessage m) {
      ExecutorMessageRouter.toExecutor(this, registry, f, m);
    } else if (call instanceof SchedulerCall.UpdateFramework u) {
      updateFramework(f, u);
    }
  }

  private void onAgentMessage(Address from, AgentMessage message) {
    if (message instanceof AgentMessage.RegisterAgent r) {
      registerAgent(from, r.info());
    } else if (message instanceof AgentMessage.ReregisterAgent r) {
      reregisterAgent(from, r);
    } else if (message instanceof AgentMessage.Pong p) {
      AgentEntry a = registry.agents.get(p.agentId());
      if (a != null) {
        a.pongReceived = true;
        a.missedPings = 0;
      }
    } else if (message instanceof AgentMessage.StatusUpdate u) {
      tasks.statusUpdate(from, u);
    } else if (message instanceof AgentMessage.ExecutorToFramework m) {
      ExecutorMessageRouter.toFramework(this, registry, from, m);
    } else if (message instanceof AgentMessage.ExitedExecutor x) {
      ExecutorMessageRouter.exited(this, registry, from, x);
    } else {
      LOG.warn("unexpected {} from agent {}", message.getClass().getSimpleName(), from);
    }
  }

  // ------------------------------------------------------------------ frameworks

  private void subscribe(Address from, FrameworkInfo info) {
    Optional<FrameworkId> requested = info.id();
    if (requested.isPresent() && registry.removedFrameworks.contains(requested.get())) {
      send(from, new SchedulerEvent.Error("Framework " + requested.get() + " has been removed"));
      return;
    }
    FrameworkEntry f = requested.map(registry.frameworks::get).orElse(null);
    if (f == null) {
      FrameworkId id = requested.orElseGet(this::newFrameworkId);
      f = new FrameworkEntry(id, info.withId(id), from);
      registry.frameworks.put(id, f);
      allocator.addFramework(id, f.info, Map.of(), true);
      registrar.framework(id, f.info);
      LOG.info("framework {} ({}) subscribed from {}", id, info.name(), from);
    } else {
      // A resubscription may change what UPDATE_FRAMEWORK may change, and no more.
      Optional<String> refused = refusedUpdate(f.info,
          new SchedulerCall.UpdateFramework(info.withId(f.id), Set.of()));
      if (refused.isPresent()) {
        send(from, new SchedulerEvent.Error("Framework " + f.id + " refused: " + refused.get()));
        return;
      }
      if (f.connected && !from.equals(f.address)) {
        send(f.address, new SchedulerEvent.Error("Framework failed over"));
      }
      if (f.failoverTimer != null) {
        f.failoverTimer.cancel();
        f.failoverTimer = null;
      }
      rescindOffers(f);
      f.info = info.withId(f.id);
      f.address = from;
      allocator.updateFramework(f.id, f.info);
      registrar.framework(f.id, f.info);
      if (!f.connected) {
        allocator.activateFramework(f.id);
      }
      f.connected = true;
      LOG.info("framework {} ({}) resubscribed from {}", f.id, info.name(), from);
    }
    endpoint.link(from);
    send(from, new SchedulerEvent.Subscribed(f.id, settings.frameworkHeartbeatInterval()));
    requestAllocation();
  }

  /**
   * UPDATE_FRAMEWORK: the new info replaces the old (offers under the old one are rescinded) and
   * the suppressed roles are set. A change of principal, user or checkpointing, or a suppressed
   * role the framework does not have, is refused whole: logged and dropped, as Mesos answers 400
   * (the HTTP API refuses it with 400 before it gets here).
   */
  private void updateFramework(FrameworkEntry f, SchedulerCall.UpdateFramework u) {
    Optional<String> refused = refusedUpdate(f.info, u);
    if (refused.isPresent()) {
      LOG.warn("framework {}: UPDATE_FRAMEWORK refused: {}", f.id, refused.get());
      return;
    }
    rescindOffers(f);
    f.info = u.info();
    allocator.updateFramework(f.id, f.info);
    Set<String> revived = new LinkedHashSet<>(f.info.roles());
    revived.removeAll(u.suppressedRoles());
    if (!u.suppressedRoles().isEmpty()) {
      allocator.suppressOffers(f.id, u.suppressedRoles());
    }
    if (!revived.isEmpty()) {
      allocator.reviveOffers(f.id, revived);
    }
    registrar.framework(f.id, f.info);
    LOG.info("framework {} updated: name {}, roles {}, suppressed {}", f.id, f.info.name(), f.info.roles(),
        u.suppressedRoles());
    requestAllocation();
  }

  /** Why an UPDATE_FRAMEWORK may not apply to a framework now subscribed as {@code now}, if it may not. */
  static Optional<String> refusedUpdate(FrameworkInfo now, SchedulerCall.UpdateFramework u) {
    FrameworkInfo next = u.info();
    if (!next.principal().equals(now.principal())) {
      return Optional.of("framework_info.principal may not change (was " + now.principal().orElse("none") + ")");
    }
    if (!next.user().equals(now.user())) {
      return Optional.of("framework_info.user may not change (was '" + now.user() + "')");
    }
    if (next.checkpoint() != now.checkpoint()) {
      return Optional.of("framework_info.checkpoint may not change (was " + now.checkpoint() + ")");
    }
    for (String role : u.suppressedRoles()) {
      if (!next.roles().contains(role)) {
        return Optional.of("suppressed_roles names '" + role + "', which is not one of the framework's roles "
            + next.roles());
      }
    }
    return Optional.empty();
  }

  private void disconnected(FrameworkEntry f) {
    f.connected = false;
    allocator.deactivateFramework(f.id);
    rescindOffers(f);
    Duration timeout = f.info.failoverTimeout();
    LOG.info("framework {} disconnected; failover timeout {}", f.id, timeout);
    if (timeout.isZero()) {
      removeFramework(f, "disconnected with failover timeout 0");
    } else {
      f.failoverTimer = loop.schedule(timeout, () -> {
        if (!f.connected && registry.frameworks.get(f.id) == f) {
          removeFramework(f, "failover timeout " + timeout + " elapsed");
        }
      });
    }
  }

  void removeFramework(FrameworkEntry f, String why) {
    LOG.info("removing framework {}: {}", f.id, why);
    if (f.failoverTimer != null) {
      f.failoverTimer.cancel();
    }
    rescindOffers(f);
    Set<AgentId> agents = new LinkedHashSet<>(f.executorAgents);
    for (TaskEntry t : new ArrayList<>(f.tasks.values())) {
      agents.add(t.agentId);
      tasks.forget(t);
    }
    executors.frameworkRemoved(f.id);
    for (AgentId agentId : agents) {
      AgentEntry a = registry.agents.get(agentId);
      if (a != null) {
        send(a.address, new AgentMessage.ShutdownFramework(f.id));
      }
    }
    registry.frameworks.remove(f.id);
    registry.removedFrameworks.add(f.id);
    partitions.frameworkRemoved(f.id);
    tasks.frameworkRemoved(f.id);
    registrar.frameworkRemoved(f.id);
    allocator.removeFramework(f.id);
    requestAllocation();
  }

  // ------------------------------------------------------------------ agents

  private void registerAgent(Address from, AgentInfo info) {
    if (maintenance.isDown(info.hostname())) {
      send(from, new AgentMessage.ShutdownAgent("machine " + info.hostname() + " is down for maintenance"));
      return;
    }
    for (AgentEntry a : registry.agents.values()) {
      if (a.address.equals(from)) {
        registrar.admitted(a.id, a.info,
            () -> send(from, new AgentMessage.AgentRegistered(a.id, settings.agentPingInterval())));
        return;
      }
    }
    AgentId id = newAgentId();
    AgentEntry a = new AgentEntry(id, info, from);
    registry.agents.put(id, a);
    allocator.addAgent(id, info, info.resources(), Map.of());
    maintenance.agentAdded(a);
    LOG.info("agent {} ({}) registered from {} with {}", id, info.hostname(), from, info.resources());
    // As Mesos: the agent hears it is registered once its admission is durable.
    registrar.admitted(id, info,
        () -> send(a.address, new AgentMessage.AgentRegistered(id, settings.agentPingInterval())));
    requestAllocation(id);
  }

  private void reregisterAgent(Address from, AgentMessage.ReregisterAgent r) {
    if (maintenance.isDown(r.info().hostname())) {
      send(from, new AgentMessage.ShutdownAgent("machine " + r.info().hostname() + " is down for maintenance"));
      return;
    }
    if (partitions.isGone(r.agentId())) {
      send(from, new AgentMessage.ShutdownAgent("Agent " + r.agentId() + " was marked gone"));
      return;
    }
    boolean wasUnreachable = partitions.agentReturned(r.agentId());
    recovery.reregistered(r.agentId());
    AgentEntry a = registry.agents.get(r.agentId());
    if (a != null) {
      a.address = from;
      a.missedPings = 0;
      a.pongReceived = true;
      tasks.reconcileKnownAgent(a, r.tasks());
      executors.reconcile(a.id, r.executors());
      requestAllocation(a.id);
      AgentEntry known = a;
      registrar.admitted(a.id, a.info, () -> send(known.address, new AgentMessage.AgentRegistered(known.id,
          settings.agentPingInterval())));
      return;
    }
    // A master that does not know the agent (it failed over, or removed the agent): admit it
    // with the tasks it reports, as Mesos does.
    a = new AgentEntry(r.agentId(), r.info(), from);
    registry.agents.put(a.id, a);
    Map<FrameworkId, Resources> used = new HashMap<>();
    for (AgentMessage.AgentTask t : r.tasks()) {
      FrameworkEntry known = registry.frameworks.get(t.frameworkId());
      if (t.state().isTerminal() && (known == null || !known.info.has(FrameworkInfo.Capability.PARTITION_AWARE))
          && (wasUnreachable || partitions.wasReportedLost(t.frameworkId(), t.task().taskId()))) {
        partitions.endedWhileAway(a, t); // told LOST already: its end is swallowed
        continue;
      }
      FrameworkEntry f = frameworkFromAgent(t.frameworkId(), t.framework());
      boolean toldEnded = f != null && tasks.reportedEnd(f.id, t.task().taskId()).isPresent();
      if (f != null && t.state().isTerminal() && toldEnded) {
        continue; // the framework was told another end: its updates are acknowledged, not forwarded
      }
      if (f != null && t.state().isTerminal()) {
        // Ended, its update not yet acknowledged: kept (holding no resources) until it is, so that
        // reconciliation answers the end rather than "unknown" while the agent resends it.
        tasks.adopt(f, a, t.task(), t.state());
        continue;
      }
      if (f != null) {
        used.merge(f.id, t.task().resources(), Resources::add);
        if (toldEnded) {
          partitions.killOnReturn(f, a, t); // the framework was told it ended: it must not come back
          continue;
        }
        boolean toldLost = wasUnreachable || partitions.wasReportedLost(f.id, t.task().taskId());
        if (toldLost && !partitions.admitReturning(f, a, t)) {
          continue;
        }
        TaskEntry adopted = tasks.adopt(f, a, t.task(), t.state());
        if (wasUnreachable) {
          partitions.readmitted(f, adopted);
        }
      }
    }
    for (AgentMessage.AgentExecutor x : r.executors()) {
      if (frameworkFromAgent(x.frameworkId(), x.framework()) != null) {
        used.merge(x.frameworkId(), executors.adopt(a.id, x), Resources::add);
      }
    }
    // Its reservations, as the registry recorded them (they survive a failover or an absence).
    Resources total = registrar.agent(a.id).filter(rec -> rec.info().equals(r.info()))
        .map(MasterRegistrar.AgentRecord::total).orElse(r.info().resources());
    allocator.addAgent(a.id, r.info(), total, used);
    maintenance.agentAdded(a);
    LOG.info("agent {} re-registered from {} with {} tasks", a.id, from, r.tasks().size());
    AgentEntry admitted = a;
    registrar.admitted(a.id, r.info(), () -> send(admitted.address, new AgentMessage.AgentRegistered(admitted.id,
        settings.agentPingInterval())));
    requestAllocation(a.id);
  }

  /**
   * The framework an agent reports running tasks or executors of; one the master does not know
   * (it failed over) is taken in, disconnected, until its scheduler subscribes. Null if removed.
   */
  private FrameworkEntry frameworkFromAgent(FrameworkId id, FrameworkInfo info) {
    FrameworkEntry f = registry.frameworks.get(id);
    if (f == null && !registry.removedFrameworks.contains(id)) {
      f = new FrameworkEntry(id, info, null);
      f.connected = false;
      registry.frameworks.put(f.id, f);
      allocator.addFramework(f.id, f.info, Map.of(), false);
      registrar.framework(f.id, f.info);
    }
    return f;
  }

  private void pingAgents() {
    partitions.collectGarbage();
    for (AgentEntry a : new ArrayList<>(registry.agents.values())) {
      if (!a.pongReceived) {
        a.missedPings++;
      }
      if (a.missedPings >= settings.maxAgentPingMisses()) {
        removeAgent(a, "agent " + a.id + " missed " + a.missedPings + " pings");
        continue;
      }
      a.pongReceived = false;
      send(a.address, new AgentMessage.Ping(a.id));
    }
  }

  private void removeAgent(AgentEntry a, String why) {
    LOG.warn("agent {} is unreachable: {}", a.id, why);
    partitions.agentUnreachable(a);
    tasks.agentLost(a, why);
    forgetAgent(a);
  }

  /** Takes a registered agent out of the books and the allocator; frameworks hear of the failure. */
  void forgetAgent(AgentEntry a) {
    for (OfferEntry o : new ArrayList<>(a.offers)) {
      removeOffer(o, true);
    }
    registry.agents.remove(a.id);
    executors.agentRemoved(a.id);
    partitions.agentRemoved(a.id);
    allocator.removeAgent(a.id);
    for (FrameworkEntry f : registry.frameworks.values()) {
      if (f.connected) {
        send(f.address, new SchedulerEvent.Failure(a.id));
      }
    }
  }

  /** A framework id no framework had (ids carry this master's prefix; the registry may hold others'). */
  private FrameworkId newFrameworkId() {
    FrameworkId id;
    do {
      id = FrameworkId.of(settings.id() + "-" + String.format("%04d", nextFramework++));
    } while (registry.frameworks.containsKey(id) || registry.removedFrameworks.contains(id));
    return id;
  }

  private AgentId newAgentId() {
    AgentId id;
    do {
      id = AgentId.of(settings.id() + "-S" + nextAgent++);
    } while (registry.agents.containsKey(id) || registrar.agent(id).isPresent());
    return id;
  }

  // ------------------------------------------------------------------ offers and allocation

  /** Asks for a cycle over every agent soon (a framework came, revived or left; weights or quota changed). */
  void requestAllocation() {
    fullAllocationPending = true;
    scheduleAllocation();
  }

  /**
   * Marks an agent touched (added, resources recovered or converted there) and asks for a batched
   * cycle soon: events between two cycles are batched, and that cycle looks only at the touched
   * agents (the periodic cycle looks at all).
   */
  void requestAllocation(AgentId agentId) {
    touchedAgents.add(agentId);
    scheduleAllocation();
  }

  private void scheduleAllocation() {
    if (!allocationPending) {
      allocationPending = true;
      loop.execute(this::allocate);
    }
  }

  private void allocate() {
    allocationPending = false;
    if (!leading) {
      return;
    }
    long started = loop.clock().nanoTime();
    List<Allocation> allocations;
    if (fullAllocationPending) {
      allocations = allocator.allocate();
    } else if (!touchedAgents.isEmpty()) {
      allocations = allocator.allocate(Set.copyOf(touchedAgents));
    } else {
      return;
    }
    fullAllocationPending = false;
    touchedAgents.clear();
    Map<FrameworkId, List<Offer>> byFramework = new LinkedHashMap<>();
    for (Allocation alloc : allocations) {
      FrameworkEntry f = registry.frameworks.get(alloc.frameworkId());
      AgentEntry a = registry.agents.get(alloc.agentId());
      if (f == null || a == null || !f.connected) {
        allocator.recoverResources(alloc.frameworkId(), alloc.agentId(), alloc.resources(), Optional.empty());
        continue;
      }
      Offer offer = new Offer(OfferId.of(settings.id() + "-O" + nextOffer++), f.id, a.id, a.info.hostname(),
          alloc.resources(), alloc.role(), a.info.attributes());
      OfferEntry o = new OfferEntry(offer);
      registry.offers.put(offer.id(), o);
      f.offers.add(o);
      a.offers.add(o);
      settings.offerTimeout().ifPresent(timeout -> o.timeout = loop.schedule(timeout, () -> {
        if (registry.offers.get(offer.id()) == o) {
          LOG.info("offer {} timed out", offer.id());
          rescind(o);
          requestAllocation(offer.agentId());
        }
      }));
      byFramework.computeIfAbsent(f.id, k -> new ArrayList<>()).add(offer);
    }
    byFramework.forEach((id, offers) -> send(registry.frameworks.get(id).address, new SchedulerEvent.Offers(offers)));
    metrics.allocated(loop.clock().nanoTime() - started, byFramework.values().stream().mapToInt(List::size).sum());
  }

  /** Takes an offer out of the books; with {@code notify}, tells its framework it is rescinded. */
  void removeOffer(OfferEntry o, boolean notify) {
    registry.offers.remove(o.offer.id());
    if (o.timeout != null) {
      o.timeout.cancel();
    }
    FrameworkEntry f = registry.frameworks.get(o.offer.frameworkId());
    if (f != null) {
      f.offers.remove(o);
      if (notify && f.connected) {
        send(f.address, new SchedulerEvent.Rescind(o.offer.id()));
      }
    }
    AgentEntry a = registry.agents.get(o.offer.agentId());
    if (a != null) {
      a.offers.remove(o);
    }
  }

  private void rescind(OfferEntry o) {
    removeOffer(o, true);
    allocator.recoverResources(o.offer.frameworkId(), o.offer.agentId(), o.offer.resources(), Optional.empty());
  }

  private void rescindOffers(FrameworkEntry f) {
    for (OfferEntry o : new ArrayList<>(f.offers)) {
      rescind(o);
    }
  }

  private void heartbeatFrameworks() {
    for (FrameworkEntry f : registry.frameworks.values()) {
      if (f.connected) {
        send(f.address, new SchedulerEvent.Heartbeat());
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Sends {@code message}; one to an agent carries our epoch (agents refuse a deposed leader's). */
  void send(Address to, Message message) {
    if (to != null && endpoint != null) {
      endpoint.send(to, message instanceof AgentMessage m && epoch > 0 ? new AgentMessage.Stamped(epoch, m) : message);
    }
  }

  TaskStatus masterStatus(TaskId taskId, TaskState state, AgentId agentId, Reason reason, String message) {
    return TaskStatus.of(taskId, state, TaskStatus.Source.SOURCE_MASTER, agentId, reason, message,
        loop.clock().instant());
  }

  /** The principal of a known framework, if it has one. On the loop. */
  Optional<String> frameworkPrincipal(FrameworkId id) {
    FrameworkEntry f = registry.frameworks.get(id);
    return f == null ? Optional.empty() : f.info.principal();
  }

  /** Operator teardown: whether the framework was known (and is now removed). On the loop. */
  boolean teardown(FrameworkId id) {
    FrameworkEntry f = registry.frameworks.get(id);
    if (f == null) {
      return false;
    }
    if (f.connected) {
      send(f.address, new SchedulerEvent.Error("Framework " + id + " has been torn down by an operator"));
    }
    removeFramework(f, "torn down by an operator");
    return true;
  }

  MasterSnapshot snapshot() {
    List<MasterSnapshot.AgentView> agents = new ArrayList<>();
    for (AgentEntry a : registry.agents.values()) {
      agents.add(new MasterSnapshot.AgentView(a.id, a.info.hostname(), a.info.resources(), a.tasks.size()));
    }
    List<MasterSnapshot.FrameworkView> frameworks = new ArrayList<>();
    for (FrameworkEntry f : registry.frameworks.values()) {
      List<MasterSnapshot.TaskView> views = new ArrayList<>();
      for (TaskEntry t : f.tasks.values()) {
        views.add(new MasterSnapshot.TaskView(t.info.taskId(), t.agentId, t.state(), t.info.resources()));
      }
      frameworks.add(new MasterSnapshot.FrameworkView(f.id, f.info.name(), f.connected, views));
    }
    return new MasterSnapshot(leading, agents, frameworks, registry.offers.size());
  }
}
