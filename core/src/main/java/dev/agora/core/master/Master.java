package dev.agora.core.master;

import dev.agora.core.allocation.Allocator;
import dev.agora.core.allocation.Explanation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.SingleMasterElector;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The master: the registry of agents, frameworks, offers and tasks. It turns the allocator's
 * decisions into offers, validates what frameworks do with them, forwards launches and kills to
 * agents, routes status updates and their acknowledgements, answers reconciliation, and handles
 * framework failover and agent loss.
 *
 * <p>Build one with {@link #builder()}, then {@link #start()}. Concurrency: the master is an
 * actor; every public method is thread-safe and only posts to its event loop, where all of its
 * state lives. Ownership: the master owns its event loop if it created it, and the allocator it is
 * given; it does not own the transport.
 *
 * <p>A master leads at most one term: once its elector deposes it, it stays a follower and, if
 * elected again, gives the election up, because its books are an old term's. Close it and build a
 * new one to lead again (as {@code agora master} does by exiting).
 */
public final class Master implements AutoCloseable {
  private final MasterActor actor;
  private final EventLoop loop;
  private final boolean ownsLoop;
  private final LeaderElector elector;
  private volatile boolean leading;
  private final EventLoop registryLoop; // owned: runs the registry's store calls; null if none or given
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Master(Builder b) {
    this.ownsLoop = b.loop == null;
    this.loop = ownsLoop ? ThreadEventLoop.start("agora-master") : b.loop;
    this.elector = b.elector != null ? b.elector : new SingleMasterElector();
    MasterActor.Settings settings = new MasterActor.Settings(
        b.allocationInterval, Optional.ofNullable(b.offerTimeout), b.agentPingInterval, b.maxAgentPingMisses,
        b.frameworkHeartbeatInterval, b.id != null ? b.id : randomId(), b.agentReregistrationTimeout,
        // A single master leads at once: it never stands by.
        b.elector != null ? b.standbyRegistryRefresh : Duration.ZERO);
    this.actor = new MasterActor(loop, b.transport, b.address, b.allocator, settings);
    actor.partitions().retention(b.unreachableMaxAge, b.unreachableMaxCount);
    if (b.registry != null) {
      // Store calls block: on the given executor, else on the loop given (a simulation's), else
      // on a thread of the master's own.
      this.registryLoop = b.registryExecutor == null && ownsLoop ? ThreadEventLoop.start("agora-master-registry") : null;
      java.util.concurrent.Executor io = b.registryExecutor != null ? b.registryExecutor
          : registryLoop != null ? registryLoop : loop;
      // A refused or failed registry write: this master stops acting and leaves the election
      // (off the loop: closing an elector may wait for the loop), so that another leads.
      actor.durableRegistry(b.registry, io, () -> CompletableFuture.runAsync(elector::close));
    } else {
      this.registryLoop = null;
    }
  }

  private static String randomId() {
    return java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  /** A new builder. */
  /**
   * Why the master would refuse {@code update} for a framework subscribed as {@code now} (a change
   * of principal, user or checkpointing, or a suppressed role the new info lacks), if it would.
   * Pure; any thread. Transports use it to answer a refused UPDATE_FRAMEWORK at once.
   */
  public static Optional<String> refusedUpdate(dev.agora.core.model.FrameworkInfo now,
      dev.agora.core.protocol.SchedulerCall.UpdateFramework update) {
    return MasterActor.refusedUpdate(now, update);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the master's address and joins the leader election; it acts once elected.
   *
   * @throws IllegalStateException if called twice
   */
  public Master start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("master cannot be started more than once");
    }
    loop.execute(actor::bind);
    elector.start(new LeaderElector.Listener() {
      @Override
      public void isLeader(long epoch) {
        if (actor.elected(epoch)) {
          leading = true;
          return;
        }
        // Deposed before: give the election up (off this loop: closing may wait for the elector's
        // own thread) so that another master can lead.
        Thread abdicate = new Thread(elector::close, "agora-master-abdicate");
        abdicate.setDaemon(true);
        abdicate.start();
      }

      @Override
      public void notLeader() {
        leading = false;
        actor.deposed();
      }
    }, loop);
    return this;
  }

  /**
   * Whether this master was elected and not deposed since, as its elector last said (the actor
   * learns it on its loop a moment later). Thread-safe and cheap: for HTTP gates.
   */
  public boolean isLeading() {
    return leading;
  }

  /** The master's work counters and its event queue depth now. Thread-safe; does not go through the loop. */
  public MasterMetrics metrics() {
    return actor.metrics.read(loop.pendingTasks());
  }

  /** Where agents and frameworks reach this master. */
  public Address address() {
    return actor.address();
  }

  /** A snapshot of the registry, taken on the master's loop. */
  public CompletableFuture<MasterSnapshot> snapshot() {
    return call(actor::snapshot);
  }

  /**
   * Tears a framework down as an operator would (Mesos {@code TEARDOWN}): its tasks are killed,
   * its offers rescinded, and it cannot resubscribe. Completes with whether the framework was known.
   */
  public CompletableFuture<Boolean> teardown(dev.agora.core.model.FrameworkId frameworkId) {
    java.util.Objects.requireNonNull(frameworkId, "frameworkId");
    return call(() -> actor.teardown(frameworkId));
  }

  /** The principal of a known framework, if it has one (for authorizing an operator's teardown). */
  public CompletableFuture<java.util.Optional<String>> frameworkPrincipal(dev.agora.core.model.FrameworkId frameworkId) {
    java.util.Objects.requireNonNull(frameworkId, "frameworkId");
    return call(() -> actor.frameworkPrincipal(frameworkId));
  }

  /**
   * The operator's MARK_AGENT_GONE: the agent (registered or unreachable) will not come back. Its
   * live tasks end TASK_GONE_BY_OPERATOR for partition-aware frameworks (TASK_LOST for others), a
   * registered agent is told to shut down, and if it ever re-registers it is shut down.
   *
   * @return a future, completed on the master's loop, with whether the agent was known and not
   *     already gone
   */
  public CompletableFuture<Boolean> markAgentGone(dev.agora.core.model.AgentId agentId) {
    java.util.Objects.requireNonNull(agentId, "agentId");
    return call(() -> actor.partitions().markGone(agentId));
  }

  /** The agents that missed their pings and have not come back (nor been collected), oldest first. */
  public CompletableFuture<java.util.List<dev.agora.core.model.AgentId>> unreachableAgents() {
    return call(() -> actor.partitions().unreachableAgents());
  }

  // ---------------------------------------------------------------- operator calls
  // Each posts to the master's loop; the future fails with IllegalArgumentException naming a bad
  // value (nothing changed), or IllegalStateException if this master does not lead.

  /** Sets the weights of roles (Mesos {@code UPDATE_WEIGHTS}); each must be positive and finite. */
  public CompletableFuture<Void> updateWeights(Map<String, Double> weights) {
    Map<String, Double> copy = Map.copyOf(weights);
    return call(() -> {
      actor.resourceOperations().updateWeights(copy);
      return null;
    });
  }

  /** The weights set, by role (Mesos {@code GET_WEIGHTS}). */
  public CompletableFuture<Map<String, Double>> weights() {
    return call(() -> actor.resourceOperations().weights());
  }

  /**
   * Sets a role's quota (Mesos {@code UPDATE_QUOTA}); {@link Quota#NONE} removes it. A guarantee
   * above what the cluster holds is accepted and reported by {@link #roles()}.
   */
  public CompletableFuture<Void> updateQuota(String role, Quota quota) {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(quota, "quota");
    return call(() -> {
      actor.resourceOperations().updateQuota(role, quota);
      return null;
    });
  }

  /** The quotas set, by role (Mesos {@code GET_QUOTA}). */
  public CompletableFuture<Map<String, Quota>> quotas() {
    return call(() -> actor.resourceOperations().quotas());
  }

  /** Every known role with its weight, quota, allocated and reserved resources and dominant share (Mesos {@code GET_ROLES}). */
  public CompletableFuture<List<RoleInfo>> roles() {
    return call(() -> actor.resourceOperations().roles());
  }

  /**
   * Reserves free resources of an agent (Mesos {@code RESERVE_RESOURCES}): {@code resources}
   * carry their new roles, e.g. {@code cpus(eng):2;mem(eng):1024}. Offers on the agent are
   * rescinded if needed.
   */
  public CompletableFuture<Void> reserve(AgentId agentId, Resources resources) {
    return call(() -> {
      actor.resourceOperations().reserve(agentId, resources);
      return null;
    });
  }

  /** Unreserves free reserved resources of an agent (Mesos {@code UNRESERVE_RESOURCES}); they carry their current roles. */
  public CompletableFuture<Void> unreserve(AgentId agentId, Resources resources) {
    return call(() -> {
      actor.resourceOperations().unreserve(agentId, resources);
      return null;
    });
  }

  /** Why a framework does or does not receive each agent's free resources now. */
  public CompletableFuture<Explanation> explain(FrameworkId frameworkId) {
    return call(() -> actor.resourceOperations().explain(frameworkId));
  }

  // ---------------------------------------------------------------- maintenance (Mesos operator API)

  /** The maintenance schedule (Mesos {@code GET_MAINTENANCE_SCHEDULE}). */
  public CompletableFuture<dev.agora.core.model.MaintenanceSchedule> maintenanceSchedule() {
    return call(() -> leading(actor.maintenance()).schedule());
  }

  /**
   * Replaces the maintenance schedule (Mesos {@code UPDATE_MAINTENANCE_SCHEDULE}): the frameworks
   * using agents of newly scheduled machines get inverse offers. Fails with
   * IllegalArgumentException if the schedule leaves out a machine that is down.
   */
  public CompletableFuture<Void> updateMaintenanceSchedule(dev.agora.core.model.MaintenanceSchedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    return call(() -> {
      leading(actor.maintenance()).updateSchedule(schedule);
      return null;
    });
  }

  /** Scheduled machines, frameworks' answers, down machines, drained and deactivated agents (Mesos {@code GET_MAINTENANCE_STATUS}). */
  public CompletableFuture<dev.agora.core.model.MaintenanceStatus> maintenanceStatus() {
    return call(() -> leading(actor.maintenance()).status());
  }

  /**
   * Takes scheduled machines down (Mesos {@code START_MAINTENANCE}): their agents are removed and
   * shut down, and may not register until {@link #stopMaintenance}. Fails with
   * IllegalArgumentException naming a machine not scheduled or already down.
   */
  public CompletableFuture<Void> startMaintenance(List<dev.agora.core.model.MachineId> machines) {
    List<dev.agora.core.model.MachineId> copy = List.copyOf(machines);
    return call(() -> {
      leading(actor.maintenance()).startMaintenance(copy);
      return null;
    });
  }

  /** Brings down machines up and out of the schedule (Mesos {@code STOP_MAINTENANCE}). */
  public CompletableFuture<Void> stopMaintenance(List<dev.agora.core.model.MachineId> machines) {
    List<dev.agora.core.model.MachineId> copy = List.copyOf(machines);
    return call(() -> {
      leading(actor.maintenance()).stopMaintenance(copy);
      return null;
    });
  }

  /**
   * Drains an agent (Mesos {@code DRAIN_AGENT}): no more offers, its tasks are killed (with at most
   * {@code maxGracePeriod} if given), and once none is left it is drained and, if
   * {@code markGone}, marked gone. Fails with IllegalArgumentException for an unknown agent.
   */
  public CompletableFuture<Void> drainAgent(AgentId agentId, Optional<Duration> maxGracePeriod, boolean markGone) {
    Objects.requireNonNull(agentId, "agentId");
    Objects.requireNonNull(maxGracePeriod, "maxGracePeriod");
    return call(() -> {
      leading(actor.maintenance()).drainAgent(agentId, maxGracePeriod, markGone);
      return null;
    });
  }

  /** Stops offering an agent's resources; its tasks keep running (Mesos {@code DEACTIVATE_AGENT}). */
  public CompletableFuture<Void> deactivateAgent(AgentId agentId) {
    Objects.requireNonNull(agentId, "agentId");
    return call(() -> {
      leading(actor.maintenance()).deactivateAgent(agentId);
      return null;
    });
  }

  /** Offers a deactivated or drained agent again (Mesos {@code REACTIVATE_AGENT}). */
  public CompletableFuture<Void> reactivateAgent(AgentId agentId) {
    Objects.requireNonNull(agentId, "agentId");
    return call(() -> {
      leading(actor.maintenance()).reactivateAgent(agentId);
      return null;
    });
  }

  private <T> T leading(T value) {
    if (!actor.isLeading()) {
      throw new IllegalStateException("this master does not lead");
    }
    return value;
  }

  /**
   * Runs {@code body} on the master's loop; the future completes with its result, or fails with
   * what it threw (so a caller never waits on a future nobody will complete).
   */
  private <T> CompletableFuture<T> call(Supplier<T> body) {
    CompletableFuture<T> f = new CompletableFuture<>();
    // While a new leader reads its registry back, the call waits for it (as messages do).
    loop.execute(() -> actor.operatorCall(() -> {
      try {
        f.complete(body.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    }));
    return f;
  }

  /** Leaves the election and unbinds. Idempotent; running tasks on agents are left alone. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      actor.stop();
      done.complete(null);
    });
    elector.close();
    if (ownsLoop) {
      done.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> null).join();
      loop.shutdown();
    }
    if (registryLoop != null) {
      registryLoop.shutdown();
    }
  }

  /**
   * Builds a {@link Master}. Each setter may be called once and checks its value at once;
   * {@link #build()} checks that the transport and allocator are set.
   */
  public static final class Builder {
    private Transport transport;
    private Address address = Address.of("master");
    private Allocator allocator;
    private EventLoop loop;
    private LeaderElector elector;
    private String id;
    private Duration allocationInterval = Duration.ofSeconds(1);
    private Duration offerTimeout;
    private Duration agentPingInterval = Duration.ofSeconds(15);
    private int maxAgentPingMisses = 5;
    private Duration frameworkHeartbeatInterval = Duration.ofSeconds(15);
    private Duration unreachableMaxAge = PartitionTracker.DEFAULT_MAX_AGE;
    private int unreachableMaxCount = PartitionTracker.DEFAULT_MAX_COUNT;
    private dev.agora.core.coordination.StateStore registry;
    private java.util.concurrent.Executor registryExecutor;
    private Duration agentReregistrationTimeout = Duration.ofMinutes(10);
    private Duration standbyRegistryRefresh = Duration.ofSeconds(30);
    private final java.util.Set<String> set = new java.util.HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    private static Duration positive(String field, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + " must be > 0 but was " + d);
      }
      return d;
    }

    /** The transport agents and frameworks reach the master on (required). */
    public Builder transport(Transport value) {
      once("transport");
      transport = java.util.Objects.requireNonNull(value, "transport");
      return this;
    }

    /** The master's address on the transport; default {@code master}. */
    public Builder address(Address value) {
      once("address");
      address = java.util.Objects.requireNonNull(value, "address");
      return this;
    }

    /** The allocator (required); the master owns it from now on. */
    public Builder allocator(Allocator value) {
      once("allocator");
      allocator = java.util.Objects.requireNonNull(value, "allocator");
      return this;
    }

    /** The loop to run on (e.g. a simulation's); default a new thread, owned by the master. */
    public Builder loop(EventLoop value) {
      once("loop");
      loop = java.util.Objects.requireNonNull(value, "loop");
      return this;
    }

    /** The leader elector; default a single master that leads at once. */
    public Builder elector(LeaderElector value) {
      once("elector");
      elector = java.util.Objects.requireNonNull(value, "elector");
      return this;
    }

    /** The prefix of the ids this master hands out; default random. */
    public Builder id(String value) {
      once("id");
      dev.agora.core.model.FrameworkId.of(value);
      id = value;
      return this;
    }

    /** Time between full allocation cycles; default 1 s (Mesos's default). */
    public Builder allocationInterval(Duration value) {
      once("allocationInterval");
      allocationInterval = positive("allocationInterval", value);
      return this;
    }

    /** Offers not used within this time are rescinded; default never. */
    public Builder offerTimeout(Duration value) {
      once("offerTimeout");
      offerTimeout = positive("offerTimeout", value);
      return this;
    }

    /** Time between pings to each agent; default 15 s. */
    public Builder agentPingInterval(Duration value) {
      once("agentPingInterval");
      agentPingInterval = positive("agentPingInterval", value);
      return this;
    }

    /** Pings an agent may miss before it is removed; default 5. */
    public Builder maxAgentPingMisses(int value) {
      once("maxAgentPingMisses");
      if (value < 1) {
        throw new IllegalArgumentException("maxAgentPingMisses must be >= 1 but was " + value);
      }
      maxAgentPingMisses = value;
      return this;
    }

    /** Time between heartbeats to frameworks; default 15 s. */
    public Builder frameworkHeartbeatInterval(Duration value) {
      once("frameworkHeartbeatInterval");
      frameworkHeartbeatInterval = positive("frameworkHeartbeatInterval", value);
      return this;
    }

    /**
     * How long, and how many, unreachable agents are remembered (after that, one that returns is
     * admitted like an unknown agent); default 2 weeks and 102,400, as Mesos.
     */
    public Builder unreachableAgentRetention(Duration maxAge, int maxCount) {
      once("unreachableAgentRetention");
      positive("unreachableAgentRetention maxAge", maxAge);
      if (maxCount < 1) {
        throw new IllegalArgumentException("unreachableAgentRetention maxCount must be >= 1 but was " + maxCount);
      }
      unreachableMaxAge = maxAge;
      unreachableMaxCount = maxCount;
      return this;
    }

    /**
     * Keeps the master's registry durable in {@code store} (Mesos's registrar): admitted agents
     * with their unreachable and gone marks, frameworks, removed frameworks, weights and quotas.
     * A new leader reads it back before acting and rebuilds tasks from its agents'
     * re-registrations; it writes through {@link dev.agora.core.coordination.StateStore#fenced} with
     * its epoch, a handful of writes per failover and at most one per agent admission, never per
     * task or offer. A refused or failed write stops the master acting and makes it leave the
     * election (close it then, as a Mesos master aborts). Default: nothing is durable. The master does not own the store.
     */
    public Builder registry(dev.agora.core.coordination.StateStore store) {
      once("registry");
      registry = java.util.Objects.requireNonNull(store, "registry");
      return this;
    }

    /**
     * Where the registry's blocking store calls run; default a thread of the master's own, or the
     * loop given to {@link #loop} (a simulation's). Not owned.
     */
    public Builder registryExecutor(java.util.concurrent.Executor value) {
      once("registryExecutor");
      registryExecutor = java.util.Objects.requireNonNull(value, "registryExecutor");
      return this;
    }

    /**
     * After a failover, how long agents of the registry have to re-register before they are
     * marked unreachable; default 10 minutes (Mesos's {@code agent_reregister_timeout}).
     */
    public Builder agentReregistrationTimeout(Duration value) {
      once("agentReregistrationTimeout");
      agentReregistrationTimeout = positive("agentReregistrationTimeout", value);
      return this;
    }

    /**
     * How often a master that stands by (started, not leading) reads the {@link #registry} back to
     * keep a warm, decoded copy of it; {@link Duration#ZERO}: it keeps none. Default 30 seconds; a
     * master without an elector leads at once and keeps none.
     * With a copy, a new leader decodes only the registry keys written since the last refresh, so
     * that its failover does not wait for the whole registry to be decoded (20,000 agents: about
     * half of a first failover's CPU). A refresh reads the keys' stamps ({@link
     * dev.agora.core.coordination.StateStore#stamps}; with ZooKeeper one stat per key, about 33 for
     * 20,000 agents) and then the values of only the keys written since the last refresh; over a
     * store without stamps, every value (for 20,000 agents about 4.5 MB).
     */
    public Builder standbyRegistryRefresh(Duration value) {
      once("standbyRegistryRefresh");
      java.util.Objects.requireNonNull(value, "standbyRegistryRefresh");
      if (value.isNegative()) {
        throw new IllegalArgumentException("standbyRegistryRefresh must be >= 0 but was " + value);
      }
      standbyRegistryRefresh = value;
      return this;
    }

    /**
     * A master, not yet started.
     *
     * @throws IllegalStateException if the transport or allocator is missing
     */
    public Master build() {
      if (transport == null) {
        throw new IllegalStateException("master needs a transport");
      }
      if (allocator == null) {
        throw new IllegalStateException("master needs an allocator");
      }
      return new Master(this);
    }
  }
}
