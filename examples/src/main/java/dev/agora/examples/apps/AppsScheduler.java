package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.placement.Candidate;
import dev.agora.core.placement.Decision;
import dev.agora.core.placement.Demand;
import dev.agora.core.placement.Placement;
import dev.agora.core.placement.PlacedTask;
import dev.agora.core.placement.PlacementRound;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps service's scheduler: keeps each app's instances running, places them on offers with
 * {@link Placement}, heals failures with launch backoff, and drives deployments (scale, rolling
 * restart within upgradeStrategy bounds, stop).
 *
 * <p>Concurrency: every field is touched only on {@code loop} (the driver's loop): the Scheduler
 * callbacks run there, and the HTTP API posts its calls there.
 *
 * <p>Invariants (checked by {@link #checkInvariants}): an app has at most one deployment; every
 * instance belongs to a known app; no instance is tracked in a terminal state.
 */
final class AppsScheduler implements Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(AppsScheduler.class);
  static final int SERVICE_PORT_MIN = 10000;
  static final int SERVICE_PORT_MAX = 20000;

  /** Per-app state. */
  static final class AppState {
    AppDefinition def;
    /** The version of the last config change (scaling keeps it): instances of another one are old. */
    String configVersion;
    final List<AppDefinition> versions = new ArrayList<>();
    final Map<TaskId, Instance> instances = new LinkedHashMap<>();
    Optional<Deployment> deployment = Optional.empty();
    double delaySeconds;
    long launchAllowedAtNanos = Long.MIN_VALUE;
    Instant waitingSince;
    Map<String, Integer> lastRejections = Map.of();
    int lastOffersProcessed;
    Optional<Instant> lastUnusedOfferAt = Optional.empty();
    Optional<Instant> lastUsedOfferAt = Optional.empty();
    Optional<ObjectNode> lastTaskFailure = Optional.empty();
    List<String> ignoredFields = List.of();
    /** Changed since it was last converged: the next pass converges it (a full pass runs every second). */
    boolean dirty = true;
    /** {@link #toLaunch} as of the end of its last convergence (valid while not dirty). */
    int wanted;
    private AppTasks.Template template;
    private String tokenOf;
    private String token = "";

    AppState(AppDefinition def, Instant now) {
      this.def = def;
      this.configVersion = def.version();
      this.versions.add(def);
      this.waitingSince = now;
    }

    boolean hasHealthChecks() {
      return !def.healthChecks().isEmpty();
    }

    /** What every task of the current definition shares, made once per definition. */
    AppTasks.Template template() {
      if (template == null || template.def() != def) {
        template = AppTasks.template(def);
      }
      return template;
    }

    /** {@link AppTasks#versionToken} of the config version, parsed once per version. */
    String versionToken() {
      if (!configVersion.equals(tokenOf)) {
        token = AppTasks.versionToken(configVersion);
        tokenOf = configVersion;
      }
      return token;
    }
  }

  private final EventLoop loop;
  private final Placement placement;
  private final AppEvents events;
  private final Random random;
  private final ObjectMapper json = new ObjectMapper();
  final Map<String, AppState> apps = new TreeMap<>();
  private final Map<TaskId, Instance> byTask = new LinkedHashMap<>();
  private final Set<Integer> servicePorts = new HashSet<>();
  private final Consumer<AppsScheduler> onChange;
  private SchedulerDriver driver;
  private final ReadinessChecks readinessChecks;
  private Optional<FrameworkId> frameworkId = Optional.empty();
  private boolean suppressed;
  private long launchSequence;
  private Cancellable tick;
  long launched;
  /** No launches before this (a new leader first hears the tasks its predecessors launched). */
  private long holdLaunchesUntilNanos = Long.MIN_VALUE;
  /** How long a new leader waits for reconciliation before it launches. */
  static final Duration RECONCILIATION_GRACE = Duration.ofSeconds(3);

  /** Where an app's config version and deployment are recorded (the state store). */
  interface Records {
    /** The app's config version or deployment changed. */
    void save(AppState app);

    /** The app is gone. */
    void remove(String appId);
  }

  private Records records = new Records() {
    @Override
    public void save(AppState app) {}

    @Override
    public void remove(String appId) {}
  };

  void records(Records r) {
    this.records = r;
  }

  AppsScheduler(EventLoop loop, Placement placement, EventBus events, Random random, Consumer<AppsScheduler> onChange) {
    this.loop = loop;
    this.placement = placement;
    this.events = new AppEvents(events, loop.clock());
    this.readinessChecks = new ReadinessChecks(loop, inst -> {
      AppState app = apps.get(inst.appId);
      return app != null && byTask.get(inst.taskId) == inst ? Optional.of(app.def) : Optional.empty();
    }, this::convergeAll);
    this.random = random;
    this.onChange = onChange;
  }

  void readinessProbe(ReadinessProbe probe) {
    readinessChecks.probe(probe);
  }

  Optional<SchedulerDriver> driver() {
    return Optional.ofNullable(driver);
  }

  EventLoop loop() {
    return loop;
  }

  Optional<FrameworkId> frameworkId() {
    return frameworkId;
  }

  Instant now() {
    return loop.clock().instant();
  }

  private Instant lastVersion = Instant.EPOCH;

  /** A fresh version stamp: now, or 1 ms after the previous one, so versions are unique and ordered. */
  String nextVersion() {
    Instant v = now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    if (!v.isAfter(lastVersion)) {
      v = lastVersion.plusMillis(1);
    }
    lastVersion = v;
    return v.toString();
  }

  private long nanos() {
    return loop.clock().nanoTime();
  }

  // ------------------------------------------------------------------ Scheduler callbacks

  @Override
  public void subscribed(SchedulerDriver d, FrameworkId id) {
    this.driver = d;
    this.frameworkId = Optional.of(id);
    LOG.info("apps service subscribed as {}", id);
    d.reconcile(List.of());
    if (!apps.isEmpty()) {
      // apps restored from the store may have tasks running: hear of them before launching more
      holdLaunchesUntilNanos = nanos() + RECONCILIATION_GRACE.toNanos();
      loop.schedule(RECONCILIATION_GRACE, this::reviveIfWaiting);
    }
    suppressed = false;
    d.revive(Set.of());
    if (tick == null) {
      scheduleTick();
    }
  }

  private void scheduleTick() {
    tick = loop.schedule(Duration.ofSeconds(1), () -> {
      convergeAll();
      scheduleTick();
    });
  }

  void stop() {
    if (tick != null) {
      tick.cancel();
      tick = null;
    }
    driver = null;
  }

  @Override
  public void offers(SchedulerDriver d, List<Offer> offers) {
    this.driver = d;
    if (nanos() < holdLaunchesUntilNanos) {
      d.decline(offers.stream().map(Offer::id).toList(), Filters.refuseSeconds(1));
      return;
    }
    List<Candidate> candidates = new ArrayList<>();
    offers.forEach(o -> candidates.add(Candidate.of(o)));
    PlacementRound round = placement.round(candidates);
    Map<Integer, List<TaskInfo>> launches = new TreeMap<>();
    long now = nanos();
    for (AppState app : apps.values()) {
      if (now < app.launchAllowedAtNanos) {
        continue;
      }
      int want = wanted(app);
      if (want <= 0) {
        continue;
      }
      AppTasks.Template template = app.template();
      Demand demand = template.demand();
      boolean agentKills = !HealthKills.appDecides(app.def);
      List<PlacedTask> peers = new ArrayList<>(app.instances.size() + want);
      app.instances.values().forEach(i -> peers.add(i.placed));
      app.lastOffersProcessed = offers.size();
      app.dirty = true;
      for (int n = 0; n < want; n++) {
        Decision decision = round.place(demand, peers);
        if (decision instanceof Decision.Unschedulable u) {
          app.lastRejections = u.reasons();
          app.lastUnusedOfferAt = Optional.of(now());
          break;
        }
        Decision.Placed p = (Decision.Placed) decision;
        Instance inst = newInstance(app, p.reservation().offer(), p.reservation().ports());
        app.instances.put(inst.taskId, inst);
        byTask.put(inst.taskId, inst);
        peers.add(inst.placed);
        launches.computeIfAbsent(p.candidateIndex(), k -> new ArrayList<>())
            .add(AppTasks.taskInfo(template, inst, p.reservation().resources(), agentKills));
        app.lastUsedOfferAt = Optional.of(now());
        app.lastRejections = Map.of();
      }
    }
    List<OfferId> unused = new ArrayList<>();
    for (int i = 0; i < offers.size(); i++) {
      List<TaskInfo> tasks = launches.get(i);
      if (tasks != null) {
        launched += tasks.size();
        d.accept(List.of(offers.get(i).id()), List.of(new Operation.Launch(tasks)), Filters.NONE);
      } else {
        unused.add(offers.get(i).id());
      }
    }
    if (!unused.isEmpty()) { // one call for all (one message to the master, not one per offer)
      d.decline(unused, anyWaiting() ? Filters.refuseSeconds(1) : Filters.DEFAULT);
    }
    convergeDirty();
  }

  private Instance newInstance(AppState app, Offer offer, List<Long> ports) {
    AppDefinition def = app.def;
    String prefix = def.id().substring(1).replace('/', '_');
    TaskId id = TaskId.of(prefix + "." + app.versionToken() + new UUID(random.nextLong(), random.nextLong()));
    Instance inst = new Instance(id, def.id(), app.configVersion, offer.agentId(), offer.hostname(), offer.attributes(),
        ports, now(), launchSequence++);
    // readiness gates deployments only (as in Marathon): replacements outside one start ready
    inst.ready = def.readinessChecks().isEmpty() || app.deployment.isEmpty();
    return inst;
  }

  @Override
  public void update(SchedulerDriver d, TaskStatus status) {
    this.driver = d;
    Instance found = byTask.get(status.taskId());
    if (found == null && !status.state().isTerminal() && status.state() != TaskState.UNKNOWN
        && status.agentId().isPresent()) {
      found = adopt(status);
    }
    if (found == null) {
      if (!status.state().isTerminal() && status.state() != TaskState.UNKNOWN) {
        LOG.info("killing unknown task {} reported {}", status.taskId(), status.state());
        d.kill(status.taskId(), status.agentId(), Optional.empty());
      }
      return;
    }
    Instance inst = found;
    AppState app = apps.get(inst.appId);
    TaskState old = inst.state;
    Optional<Boolean> oldHealth = inst.healthy;
    inst.state = status.state();
    status.healthy().ifPresent(h -> inst.healthy = Optional.of(h));
    if (app != null) {
      app.dirty = true;
      trackUnhealthy(app, inst);
    }
    if (status.state() == TaskState.RUNNING && inst.startedAt.isEmpty()) {
      inst.startedAt = Optional.of(status.timestamp());
    }
    if (status.state() == TaskState.RUNNING && !inst.ready && !inst.readinessPolling && app != null) {
      inst.readinessPolling = true;
      loop.execute(() -> readinessChecks.probe(inst));
    }
    if (status.state() == TaskState.UNREACHABLE) {
      if (inst.unreachableSinceNanos.isEmpty()) {
        inst.unreachableSinceNanos = Optional.of(nanos());
        if (app != null && app.def.unreachableStrategy().enabled()) {
          loop.schedule(Duration.ofSeconds(app.def.unreachableStrategy().inactiveAfterSeconds()), this::convergeAll);
        }
      }
    } else {
      inst.unreachableSinceNanos = Optional.empty();
    }
    events.statusUpdate(inst, status);
    if (!oldHealth.equals(inst.healthy) && inst.healthy.isPresent()) {
      events.healthChanged(inst, inst.healthy.get());
    }
    if (status.state() == TaskState.KILLED
        && status.reason().equals(Optional.of(TaskStatus.Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED))) {
      events.unhealthyKill(inst, status.message().orElse("health check failed"));
    }
    if (status.state().isTerminal()) {
      byTask.remove(inst.taskId);
      if (app != null) {
        app.instances.remove(inst.taskId);
        boolean grows = !inst.killing && status.state() != TaskState.KILLED;
        if (grows) {
          ObjectNode failure = json.createObjectNode();
          failure.put("appId", inst.appId).put("host", inst.hostname).put("message", status.message().orElse(""))
              .put("state", "TASK_" + status.state()).put("taskId", inst.taskId.value())
              .put("timestamp", status.timestamp().toString()).put("version", inst.version);
          app.lastTaskFailure = Optional.of(failure);
          growBackoff(app);
        }
      }
    }
    if (!old.equals(inst.state)) {
      events.instanceChanged(inst);
    }
    convergeSoon();
  }

  /**
   * Notes when a running instance turned unhealthy (and forgets it when it recovers); for an app
   * whose kills the apps service decides ({@link HealthKills}), converges again when the instance
   * is due for its kill.
   */
  private void trackUnhealthy(AppState app, Instance inst) {
    boolean unhealthy = inst.running() && inst.healthy.equals(Optional.of(false));
    if (unhealthy && !inst.unhealthySince) {
      inst.unhealthySince = true;
      inst.unhealthySinceNanos = nanos();
      if (HealthKills.appDecides(app.def)) {
        loop.schedule(Duration.ofNanos(HealthKills.untilDue(app.def, inst, nanos())), () -> {
          if (byTask.get(inst.taskId) == inst) {
            app.dirty = true;
            convergeDirty();
          }
        });
      }
    } else if (!unhealthy) {
      inst.unhealthySince = false;
    }
  }

  private boolean convergeQueued;

  /**
   * Converges once after the updates already queued on the loop: a burst of status updates (a
   * thousand tasks starting) costs one pass over the apps, not one per update.
   */
  private void convergeSoon() {
    if (!convergeQueued) {
      convergeQueued = true;
      loop.execute(() -> {
        convergeQueued = false;
        convergeDirty();
      });
    }
  }

  /** A task of a known app that this leader did not launch (a previous leader did): keep it. */
  private Instance adopt(TaskStatus status) {
    String id = status.taskId().value();
    int dot = id.lastIndexOf('.');
    if (dot <= 0) {
      return null;
    }
    String head = id.substring(0, dot);
    String version = null;
    AppState app = apps.get("/" + head.replace('_', '/'));
    int second = head.lastIndexOf('.');
    if (app == null && second > 0) {
      app = apps.get("/" + head.substring(0, second).replace('_', '/'));
      try {
        version = Instant.ofEpochMilli(Long.parseLong(head.substring(second + 1), 36)).toString();
      } catch (NumberFormatException e) {
        app = null;
      }
    }
    if (app == null) {
      return null;
    }
    Instance inst = new Instance(status.taskId(), app.def.id(), version != null ? version : app.configVersion,
        status.agentId().get(),
        status.agentId().get().value(), Map.of(), List.of(), status.timestamp(), launchSequence++);
    app.instances.put(inst.taskId, inst);
    byTask.put(inst.taskId, inst);
    LOG.info("adopted task {} of {}", inst.taskId, app.def.id());
    return inst;
  }

  private void growBackoff(AppState app) {
    AppDefinition def = app.def;
    app.delaySeconds = app.delaySeconds == 0 ? def.backoffSeconds()
        : Math.min(app.delaySeconds * def.backoffFactor(), def.maxLaunchDelaySeconds());
    app.launchAllowedAtNanos = nanos() + Math.round(app.delaySeconds * 1e9);
    loop.schedule(Duration.ofNanos(Math.round(app.delaySeconds * 1e9)), this::reviveIfWaiting);
  }

  void resetDelay(AppState app) {
    app.delaySeconds = 0;
    app.launchAllowedAtNanos = Long.MIN_VALUE;
    reviveIfWaiting();
  }

  private void reviveIfWaiting() {
    if (driver != null && anyWaiting()) {
      suppressed = false;
      driver.revive(Set.of());
    }
  }

  @Override
  public void error(SchedulerDriver d, String message) {
    LOG.error("apps service refused by the master: {}", message);
  }

  // ------------------------------------------------------------------ converging

  /**
   * Why an app's deployment waits for its dependencies, or empty when it may proceed: each of its
   * dependencies (an app id, or a group id standing for every app under it) must have no
   * deployment in progress and all its instances healthy. Unknown ids are no obstacle. Stopping
   * is never held.
   */
  Optional<String> waitingOn(AppState app) {
    if (app.def.dependencies().isEmpty() || app.deployment.isEmpty()
        || app.deployment.get().action.equals("StopApplication")) {
      return Optional.empty();
    }
    long now = nanos();
    for (String dep : app.def.dependencies()) {
      String prefix = dep.endsWith("/") ? dep : dep + "/";
      for (AppState other : apps.values()) {
        String id = other.def.id();
        if (other != app && (id.equals(dep) || id.startsWith(prefix))) {
          if (other.deployment.isPresent()) {
            return Optional.of("dependency " + id + " is being deployed (" + other.deployment.get().action + ")");
          }
          int healthy = InstanceTally.of(other, now).healthy;
          if (healthy < other.def.instances()) {
            return Optional.of("dependency " + id + " has " + healthy + " of " + other.def.instances()
                + " instances healthy");
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether an app's deployment may proceed (see {@link #waitingOn}). */
  boolean dependenciesReady(AppState app) {
    return waitingOn(app).isEmpty();
  }

  /** How many instances the app waits to launch now (0 while it waits for its dependencies). */
  int toLaunch(AppState app) {
    return dependenciesReady(app) ? InstanceTally.of(app, nanos()).toLaunch(app) : 0;
  }

  /** How many instances the app will launch once its dependencies are ready (now, if they are). */
  int toLaunchAfterDependencies(AppState app) {
    return InstanceTally.of(app, nanos()).toLaunch(app);
  }

  /** {@link #toLaunch}, from the last convergence when the app has not changed since. */
  private int wanted(AppState app) {
    return app.dirty || !app.def.dependencies().isEmpty() ? toLaunch(app) : app.wanted;
  }

  boolean anyWaiting() {
    long now = nanos();
    for (AppState a : apps.values()) {
      if (now >= a.launchAllowedAtNanos && wanted(a) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Converges every app (each second, and after changes not tied to one app). */
  void convergeAll() {
    apps.values().forEach(a -> a.dirty = true);
    convergeDirty();
  }

  /**
   * Converges the apps changed since their last convergence, and those waiting on dependencies
   * (another app's change may free them); then suppresses or revives offers.
   */
  void convergeDirty() {
    boolean any = false;
    for (AppState a : apps.values()) {
      if (a.dirty) {
        any = true;
        break;
      }
    }
    if (any) {
      for (AppState app : List.copyOf(apps.values())) {
        if (app.dirty || !app.def.dependencies().isEmpty()) {
          app.dirty = false;
          converge(app);
          app.wanted = toLaunch(app);
        }
      }
    }
    if (driver != null) {
      boolean waiting = false;
      for (AppState a : apps.values()) {
        if (a.wanted > 0) {
          waiting = true;
          break;
        }
      }
      if (!waiting && !suppressed) {
        suppressed = true;
        driver.suppress(Set.of());
      } else if (waiting && suppressed && anyWaiting()) {
        suppressed = false;
        driver.revive(Set.of());
      }
    }
    onChange.accept(this);
    observers.forEach(o -> o.accept(this));
  }

  /** Called on the loop after every event has been handled (tests sample bounds here). */
  final List<Consumer<AppsScheduler>> observers = new java.util.concurrent.CopyOnWriteArrayList<>();

  private void converge(AppState app) {
    AppDefinition def = app.def;
    boolean hc = app.hasHealthChecks();
    long now = nanos();
    InstanceTally t = InstanceTally.of(app, now);
    Optional<String> blocked = waitingOn(app);
    if (blocked.isPresent() || t.toLaunch(app) == 0) {
      app.waitingSince = now();
      app.lastRejections = Map.of();
    }
    Optional<Deployment> dep = app.deployment;
    if (blocked.isPresent()) {
      return; // waits for its dependencies, touching nothing
    }
    boolean killed = false;
    for (Instance i : HealthKills.due(app, t.healthy, now)) {
      LOG.info("killing {} of {}: unhealthy for {} checks, {} of {} instances healthy", i.taskId, def.id(),
          def.healthChecks().get(0).maxConsecutiveFailures(), t.healthy, def.instances());
      healthKill(app, i);
      killed = true;
    }
    if (dep.isPresent() && dep.get().action.equals("RestartApplication")) {
      int n = def.instances();
      int minHealthy = (int) Math.ceil(n * def.upgradeStrategy().minimumHealthCapacity() - 1e-9);
      int maxTotal = n + (int) Math.floor(n * def.upgradeStrategy().maximumOverCapacity() + 1e-9);
      List<Instance> old = new ArrayList<>();
      if (t.old > 0) {
        for (Instance i : app.instances.values()) {
          if (!i.version.equals(app.configVersion) && InstanceTally.counts(app, i, now)) {
            old.add(i);
          }
        }
        old.sort(InstanceTally.killOrder(def, hc));
      }
      long healthy = t.healthyReady;
      long newAlive = t.countedCurrent;
      long total = t.tracked;
      int idx = 0;
      // kill old instances that are not healthy first: they do not count toward health
      while (idx < old.size() && !old.get(idx).healthy(hc)) {
        kill(old.get(idx++));
        killed = true;
        total--;
      }
      while (idx < old.size() && (healthy - 1 >= minHealthy || old.size() - idx + newAlive > n)) {
        if (!old.get(idx).healthy(hc)) {
          kill(old.get(idx++));
          killed = true;
          continue;
        }
        if (healthy - 1 < minHealthy) {
          break;
        }
        kill(old.get(idx++));
        killed = true;
        healthy--;
        total--;
      }
      // no progress possible (minimumHealthCapacity 1 and no room over capacity): replace one at a time
      if (idx < old.size() && total >= maxTotal && newAlive + (old.size() - idx) <= n
          && t.killing == 0 && !killed && t.countedCurrent == t.currentHealthyReady) {
        kill(old.get(idx));
        killed = true;
      }
    } else if (t.serving > def.instances()) { // those killed for their health above were not serving
      List<Instance> alive = new ArrayList<>();
      for (Instance i : app.instances.values()) {
        if (InstanceTally.counts(app, i, now)) {
          alive.add(i);
        }
      }
      alive.sort(InstanceTally.killOrder(def, hc));
      long surplus = alive.stream().filter(i -> !InstanceTally.replacing(app, i)).count() - def.instances();
      for (int k = 0; k < surplus; k++) {
        kill(alive.get(k));
        killed = true;
      }
    }
    if (dep.isPresent()) {
      InstanceTally after = killed ? InstanceTally.of(app, now) : t;
      boolean oldGone = after.old == 0 || !dep.get().action.equals("RestartApplication");
      if (after.currentHealthyReady >= def.instances() && oldGone && after.tracked == def.instances()) {
        finishDeployment(app, true);
      }
    }
  }

  /** Kills an unhealthy instance for its health (see {@link HealthKills}) and tells the event stream. */
  private void healthKill(AppState app, Instance inst) {
    inst.healthKill = true;
    kill(inst);
    events.unhealthyKill(inst, "failed " + app.def.healthChecks().get(0).maxConsecutiveFailures()
        + " consecutive health checks");
  }

  void kill(Instance inst) {
    if (inst.killing) {
      return;
    }
    inst.killing = true;
    AppState app = apps.get(inst.appId);
    Optional<Duration> grace = app == null ? Optional.empty()
        : app.def.taskKillGracePeriodSeconds().map(s -> Duration.ofMillis(Math.round(s * 1000)));
    if (driver != null) {
      driver.kill(inst.taskId, Optional.of(inst.agentId), grace);
    }
  }

  void finishDeployment(AppState app, boolean success) {
    Deployment d = app.deployment.orElseThrow();
    app.deployment = Optional.empty();
    events.deploymentFinished(d, success);
    if (d.action.equals("StopApplication")) {
      apps.remove(app.def.id());
      app.def.portDefinitions().forEach(p -> servicePorts.remove(p.port()));
      records.remove(app.def.id());
    } else {
      records.save(app);
    }
  }

  // ------------------------------------------------------------------ commands (on the loop)

  /** Starts a deployment of {@code def} for its app; the caller checked locks. */
  Deployment deploy(AppDefinition def, String action) {
    return deploy(def, action, Optional.empty());
  }

  private Deployment deploy(AppDefinition def, String action, Optional<String> keepConfigVersion) {
    AppState app = apps.get(def.id());
    Optional<AppDefinition> from = Optional.empty();
    String fromConfig = app == null ? "" : app.configVersion;
    if (app == null) {
      app = new AppState(def, now());
      apps.put(def.id(), app);
    } else {
      from = Optional.of(app.def);
      if (!action.equals("ScaleApplication") && !action.equals("StopApplication")) {
        resetDelayQuiet(app);
      }
      app.def = def;
      if (!action.equals("ScaleApplication")) {
        app.configVersion = keepConfigVersion.orElse(def.version());
      }
      app.versions.add(def);
    }
    Deployment d = new Deployment(new UUID(random.nextLong(), random.nextLong()).toString(), def.id(), from, def,
        action, now());
    d.fromConfigVersion = fromConfig;
    app.deployment = Optional.of(d);
    records.save(app);
    events.deploymentStarted(d);
    app.dirty = true;
    convergeDirty();
    reviveIfWaiting();
    return d;
  }

  private void resetDelayQuiet(AppState app) {
    app.delaySeconds = 0;
    app.launchAllowedAtNanos = Long.MIN_VALUE;
  }

  /** Assigns service ports (10000-20000) to port definitions with port 0 (when requirePorts is off). */
  AppDefinition assignServicePorts(AppDefinition def, Optional<AppDefinition> previous) {
    return assignServicePorts(def, previous, new HashSet<>());
  }

  /**
   * As {@link #assignServicePorts(AppDefinition, Optional)}, adding to {@code taken} the ports it
   * takes that no app held, so that {@link #releaseServicePorts} can give them back.
   */
  AppDefinition assignServicePorts(AppDefinition def, Optional<AppDefinition> previous, Set<Integer> taken) {
    if (def.requirePorts()) {
      return def;
    }
    List<AppDefinition.PortDefinition> out = new ArrayList<>();
    int next = SERVICE_PORT_MIN;
    for (int i = 0; i < def.portDefinitions().size(); i++) {
      AppDefinition.PortDefinition p = def.portDefinitions().get(i);
      if (p.port() == 0) {
        int port = -1;
        if (previous.isPresent() && i < previous.get().portDefinitions().size()) {
          port = previous.get().portDefinitions().get(i).port();
        }
        if (port <= 0) {
          while (servicePorts.contains(next) && next <= SERVICE_PORT_MAX) {
            next++;
          }
          if (next > SERVICE_PORT_MAX) {
            throw new IllegalStateException("no free service port in " + SERVICE_PORT_MIN + "-" + SERVICE_PORT_MAX);
          }
          port = next;
        }
        if (servicePorts.add(port)) {
          taken.add(port);
        }
        p = new AppDefinition.PortDefinition(port, p.protocol(), p.name(), p.labels());
      }
      out.add(p);
    }
    return new AppDefinition(def.id(), def.cmd(), def.args(), def.env(), def.labels(), def.cpus(), def.mem(),
        def.disk(), def.gpus(), def.instances(), def.constraints(), def.acceptedResourceRoles(), def.role(), out,
        def.requirePorts(), def.healthChecks(), def.readinessChecks(), def.dependencies(), def.upgradeStrategy(),
        def.backoffSeconds(), def.backoffFactor(), def.maxLaunchDelaySeconds(), def.killSelection(),
        def.unreachableStrategy(), def.taskKillGracePeriodSeconds(), def.user(), def.version());
  }

  /** Gives back service ports taken for a change that was not made (its store write failed). */
  void releaseServicePorts(Set<Integer> taken) {
    servicePorts.removeAll(taken);
  }

  /** Stops an app: kills its instances, forgets it once they are gone. */
  Deployment stop(AppState app) {
    AppDefinition before = app.def;
    AppDefinition zero = app.def.withInstances(0);
    app.def = zero;
    Deployment d = new Deployment(new UUID(random.nextLong(), random.nextLong()).toString(), zero.id(),
        Optional.of(before), zero, "StopApplication", now());
    app.deployment = Optional.of(d);
    records.save(app);
    app.instances.values().forEach(this::kill);
    app.dirty = true;
    convergeDirty();
    if (app.instances.isEmpty() && app.deployment.isPresent()) {
      finishDeployment(app, true);
    }
    return d;
  }

  /**
   * Ends a deployment: rolls back to {@code rollback} (the previous definition under a new
   * version, stored by the caller) with a new deployment, or, if empty (forced, or nothing to go
   * back to), just drops it.
   *
   * @throws IllegalArgumentException if there is no such deployment
   */
  Optional<Deployment> cancel(String deploymentId, Optional<AppDefinition> rollback) {
    for (AppState app : apps.values()) {
      if (app.deployment.isPresent() && app.deployment.get().id.equals(deploymentId)) {
        Deployment d = app.deployment.get();
        finishDeployment(app, false);
        if (rollback.isEmpty()) {
          convergeAll();
          return Optional.empty();
        }
        AppDefinition back = rollback.get();
        if (back.sameConfig(d.to)) {
          return Optional.of(deploy(back, "ScaleApplication"));
        }
        // instances of the previous config are kept; only those of the abandoned one are replaced
        return Optional.of(deploy(back, "RestartApplication", Optional.of(d.fromConfigVersion)));
      }
    }
    throw new IllegalArgumentException("deployment '" + deploymentId + "' does not exist");
  }

  List<Deployment> deployments() {
    return apps.values().stream().flatMap(a -> a.deployment.stream()).toList();
  }

  Optional<Instance> instance(TaskId id) {
    return Optional.ofNullable(byTask.get(id));
  }

  Instant launchAllowedAt(AppState app) {
    long left = app.launchAllowedAtNanos == Long.MIN_VALUE ? 0 : Math.max(0, app.launchAllowedAtNanos - nanos());
    return now().plusNanos(left);
  }

  long delayLeftSeconds(AppState app) {
    long left = app.launchAllowedAtNanos == Long.MIN_VALUE ? 0 : Math.max(0, app.launchAllowedAtNanos - nanos());
    return (long) Math.ceil(left / 1e9);
  }

  void checkInvariants() {
    for (AppState app : apps.values()) {
      for (Instance i : app.instances.values()) {
        if (i.state.isTerminal() || byTask.get(i.taskId) != i || !i.appId.equals(app.def.id())) {
          throw new IllegalStateException("instance " + i.taskId + " is inconsistent");
        }
      }
    }
    if (byTask.size() != apps.values().stream().mapToInt(a -> a.instances.size()).sum()) {
      throw new IllegalStateException("task index out of step with apps");
    }
    for (AppState app : apps.values()) {
      // the cached launch count of a converged app is what a fresh count gives (time-dependent
      // cases aside: unreachable instances and dependencies are counted afresh)
      boolean timeDependent = !app.def.dependencies().isEmpty()
          || app.instances.values().stream().anyMatch(i -> i.unreachableSinceNanos.isPresent());
      if (!app.dirty && !timeDependent && app.wanted != toLaunch(app)) {
        throw new IllegalStateException("app " + app.def.id() + " cached " + app.wanted + " to launch but has "
            + toLaunch(app));
      }
    }
  }

  /** Drops an app immediately (used when stopping leaves nothing). */
  void remove(String appId) {
    AppState app = apps.remove(appId);
    if (app != null) {
      app.instances.keySet().forEach(byTask::remove);
    }
  }

  /**
   * Restores an app's recorded config version and in-flight deployment after a leadership change:
   * the deployment goes on from where the instances are (adopted at reconciliation), so nothing
   * healthy is killed early and nothing is relaunched.
   */
  void restoreState(String appId, String configVersion, Optional<Deployment> deployment) {
    AppState app = apps.get(appId);
    if (app == null) {
      return;
    }
    app.configVersion = configVersion;
    deployment.ifPresent(d -> app.deployment = Optional.of(d));
    app.dirty = true;
  }

  /** Restores a stored app after a leadership change, without a deployment; its tasks are adopted at reconciliation. */
  void restore(AppDefinition def) {
    if (!apps.containsKey(def.id())) {
      apps.put(def.id(), new AppState(def, now()));
      def.portDefinitions().forEach(p -> servicePorts.add(p.port()));
    }
  }
}
