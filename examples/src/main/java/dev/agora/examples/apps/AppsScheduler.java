package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
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
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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

    AppState(AppDefinition def, Instant now) {
      this.def = def;
      this.configVersion = def.version();
      this.versions.add(def);
      this.waitingSince = now;
    }

    boolean hasHealthChecks() {
      return !def.healthChecks().isEmpty();
    }
  }

  private final EventLoop loop;
  private final Placement placement;
  private final EventBus events;
  private final Random random;
  private final ObjectMapper json = new ObjectMapper();
  final Map<String, AppState> apps = new TreeMap<>();
  private final Map<TaskId, Instance> byTask = new LinkedHashMap<>();
  private final Set<Integer> servicePorts = new HashSet<>();
  private final Consumer<AppsScheduler> onChange;
  private SchedulerDriver driver;
  private ReadinessProbe readiness = (uri, timeout) -> CompletableFuture.completedFuture(200);
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
    this.events = events;
    this.random = random;
    this.onChange = onChange;
  }

  void readinessProbe(ReadinessProbe probe) {
    this.readiness = probe;
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
      offers.forEach(o -> d.decline(List.of(o.id()), Filters.refuseSeconds(1)));
      return;
    }
    List<Candidate> candidates = new ArrayList<>();
    offers.forEach(o -> candidates.add(Candidate.of(o)));
    PlacementRound round = placement.round(candidates);
    Map<Integer, List<TaskInfo>> launches = new TreeMap<>();
    long now = nanos();
    for (AppState app : apps.values()) {
      int want = toLaunch(app);
      if (want <= 0) {
        continue;
      }
      if (now < app.launchAllowedAtNanos) {
        continue;
      }
      Demand demand = demand(app.def);
      List<PlacedTask> peers = new ArrayList<>();
      app.instances.values().forEach(i -> peers.add(new PlacedTask(i.hostname, i.attributes)));
      app.lastOffersProcessed = offers.size();
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
        peers.add(new PlacedTask(inst.hostname, inst.attributes));
        launches.computeIfAbsent(p.candidateIndex(), k -> new ArrayList<>())
            .add(taskInfo(app.def, inst, p.reservation().resources()));
        app.lastUsedOfferAt = Optional.of(now());
        app.lastRejections = Map.of();
      }
    }
    Filters declineFilters = null; // the same for every unused offer: computed once, not per offer
    for (int i = 0; i < offers.size(); i++) {
      List<TaskInfo> tasks = launches.get(i);
      if (tasks != null) {
        launched += tasks.size();
        d.accept(List.of(offers.get(i).id()), List.of(new Operation.Launch(tasks)), Filters.NONE);
      } else {
        if (declineFilters == null) {
          declineFilters = anyWaiting() ? Filters.refuseSeconds(1) : Filters.DEFAULT;
        }
        d.decline(List.of(offers.get(i).id()), declineFilters);
      }
    }
    convergeAll();
  }

  private Instance newInstance(AppState app, Offer offer, List<Long> ports) {
    AppDefinition def = app.def;
    String prefix = def.id().substring(1).replace('/', '_');
    TaskId id = TaskId.of(prefix + "." + versionToken(app.configVersion) + new UUID(random.nextLong(), random.nextLong()));
    Instance inst = new Instance(id, def.id(), app.configVersion, offer.agentId(), offer.hostname(), offer.attributes(),
        ports, now(), launchSequence++);
    // readiness gates deployments only (as in Marathon): replacements outside one start ready
    inst.ready = def.readinessChecks().isEmpty() || app.deployment.isEmpty();
    return inst;
  }

  static Demand demand(AppDefinition def) {
    Resources.Builder b = Resources.builder().scalar("cpus", def.cpus()).scalar("mem", def.mem());
    if (def.disk() > 0) {
      b.scalar("disk", def.disk());
    }
    if (def.gpus() > 0) {
      b.scalar("gpus", def.gpus());
    }
    List<Integer> ports = new ArrayList<>();
    def.portDefinitions().forEach(p -> ports.add(def.requirePorts() ? p.port() : 0));
    return new Demand(b.build(), ports, def.constraints(), Set.copyOf(def.acceptedResourceRoles()));
  }

  private TaskInfo taskInfo(AppDefinition def, Instance inst, Resources resources) {
    Map<String, String> env = new TreeMap<>(def.env());
    List<String> portStrings = new ArrayList<>();
    for (int i = 0; i < inst.ports.size(); i++) {
      String port = String.valueOf(inst.ports.get(i));
      portStrings.add(port);
      env.put("PORT" + i, port);
      def.portDefinitions().get(i).name().ifPresent(n -> env.put("PORT_" + n.toUpperCase(java.util.Locale.ROOT)
          .replaceAll("[^A-Z0-9_]", "_"), port));
      if (def.portDefinitions().get(i).port() != 0) {
        env.put("PORT_" + def.portDefinitions().get(i).port(), port);
      }
    }
    if (!portStrings.isEmpty()) {
      env.put("PORT", portStrings.get(0));
      env.put("PORTS", String.join(",", portStrings));
    }
    env.put("HOST", inst.hostname);
    env.put("MARATHON_APP_ID", def.id());
    env.put("MARATHON_APP_VERSION", def.version());
    env.put("MESOS_TASK_ID", inst.taskId.value());
    def.labels().forEach((k, v) -> {
      if (k.matches("[A-Za-z0-9_]+")) {
        env.put("MARATHON_APP_LABEL_" + k.toUpperCase(java.util.Locale.ROOT), v);
      }
    });
    CommandInfo command = def.cmd().isPresent()
        ? new CommandInfo(true, def.cmd().get(), List.of(), env, def.user())
        : new CommandInfo(false, def.args().get(0), def.args(), env, def.user());
    Map<String, String> labels = new TreeMap<>(def.labels());
    labels.put("MARATHON_APP_ID", def.id());
    labels.put("MARATHON_APP_VERSION", def.version());
    TaskInfo task = new TaskInfo(inst.taskId, def.id().substring(1).replace('/', '.'), inst.agentId, resources,
        command, labels, def.taskKillGracePeriodSeconds().map(s -> Duration.ofMillis(Math.round(s * 1000))));
    return healthCheck(def, inst.ports).map(task::withHealthCheck).orElse(task);
  }

  /**
   * The app's first health check as the agent runs it (Mesos' TaskInfo holds one): its portIndex
   * resolved to the instance's host port; Marathon's seconds as durations.
   */
  static Optional<dev.agora.core.model.HealthCheck> healthCheck(AppDefinition def, List<Long> ports) {
    if (def.healthChecks().isEmpty()) {
      return Optional.empty();
    }
    AppDefinition.HealthCheck h = def.healthChecks().get(0);
    dev.agora.core.model.HealthCheck.Type type = switch (h.protocol()) {
      case HTTP, MESOS_HTTP -> dev.agora.core.model.HealthCheck.Type.HTTP;
      case HTTPS, MESOS_HTTPS -> dev.agora.core.model.HealthCheck.Type.HTTPS;
      case TCP, MESOS_TCP -> dev.agora.core.model.HealthCheck.Type.TCP;
      case COMMAND -> dev.agora.core.model.HealthCheck.Type.COMMAND;
    };
    int port = 0;
    if (type != dev.agora.core.model.HealthCheck.Type.COMMAND) {
      if (h.port().isPresent()) {
        port = h.port().get();
      } else {
        int index = h.portIndex().orElse(0);
        if (index >= ports.size()) {
          return Optional.empty(); // validated at parse time; an instance without its ports is not checked
        }
        port = (int) (long) ports.get(index);
      }
    }
    return Optional.of(new dev.agora.core.model.HealthCheck(type, port, h.path().orElse("/"), h.command(),
        Duration.ofSeconds(h.delaySeconds()), Duration.ofSeconds(h.intervalSeconds()),
        Duration.ofSeconds(h.timeoutSeconds()), h.maxConsecutiveFailures(), Duration.ofSeconds(h.gracePeriodSeconds())));
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
    if (status.state() == TaskState.RUNNING && inst.startedAt.isEmpty()) {
      inst.startedAt = Optional.of(status.timestamp());
    }
    if (status.state() == TaskState.RUNNING && !inst.ready && !inst.readinessPolling && app != null) {
      inst.readinessPolling = true;
      loop.execute(() -> probeReadiness(inst));
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
    publish(statusEvent(inst, status));
    if (!oldHealth.equals(inst.healthy) && inst.healthy.isPresent()) {
      ObjectNode e = event("health_status_changed_event");
      e.put("appId", inst.appId).put("instanceId", inst.taskId.value()).put("version", inst.version)
          .put("alive", inst.healthy.get());
      publish(e);
    }
    if (status.state() == TaskState.KILLED
        && status.reason().equals(Optional.of(TaskStatus.Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED))) {
      ObjectNode e = event("unhealthy_instance_kill_event");
      e.put("appId", inst.appId).put("taskId", inst.taskId.value()).put("version", inst.version)
          .put("reason", status.message().orElse("health check failed")).put("host", inst.hostname);
      publish(e);
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
      ObjectNode e = event("instance_changed_event");
      e.put("instanceId", inst.taskId.value()).put("condition", inst.state.name()).put("runSpecId", inst.appId)
          .put("agentId", inst.agentId.value()).put("host", inst.hostname).put("runSpecVersion", inst.version);
      publish(e);
    }
    convergeSoon();
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
        convergeAll();
      });
    }
  }

  /**
   * The config version as carried in task ids ({@code <app>.<version>.<uuid>}): epoch millis in
   * base 36 and a dot, so that a new leader knows which version a task it adopts runs; empty if
   * the version is no instant.
   */
  static String versionToken(String configVersion) {
    try {
      return Long.toString(Instant.parse(configVersion).toEpochMilli(), 36) + ".";
    } catch (java.time.format.DateTimeParseException e) {
      return "";
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

  /**
   * One probe of the instance's readiness check (Marathon supports one per app); again every
   * intervalSeconds until a code in httpStatusCodesForReady answers or the instance is gone.
   */
  private void probeReadiness(Instance inst) {
    AppState app = apps.get(inst.appId);
    if (app == null || byTask.get(inst.taskId) != inst || inst.killing || inst.ready
        || app.def.readinessChecks().isEmpty()) {
      inst.readinessPolling = false;
      return;
    }
    AppDefinition.ReadinessCheck check = app.def.readinessChecks().get(0);
    int index = 0;
    for (int i = 0; i < app.def.portDefinitions().size(); i++) {
      if (app.def.portDefinitions().get(i).name().equals(Optional.of(check.portName()))) {
        index = i;
      }
    }
    if (index >= inst.ports.size()) {
      inst.ready = true; // no port to probe: do not hold the deployment forever
      convergeAll();
      return;
    }
    java.net.URI uri = java.net.URI.create(check.protocol().toLowerCase(java.util.Locale.ROOT) + "://" + inst.hostname
        + ":" + inst.ports.get(index) + (check.path().startsWith("/") ? check.path() : "/" + check.path()));
    Duration timeout = Duration.ofSeconds(check.timeoutSeconds());
    CompletableFuture<Integer> f;
    try {
      f = readiness.get(uri, timeout);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Integer> probe = f;
    boolean[] done = {false};
    Cancellable timer = loop.schedule(timeout, () -> {
      if (!done[0]) {
        done[0] = true;
        probe.cancel(true);
        loop.schedule(Duration.ofSeconds(check.intervalSeconds()), () -> probeReadiness(inst));
      }
    });
    probe.whenComplete((code, error) -> loop.execute(() -> {
      if (done[0]) {
        return;
      }
      done[0] = true;
      timer.cancel();
      if (error == null) {
        inst.lastReadinessStatus = Optional.of(code);
      }
      if (error == null && check.httpStatusCodesForReady().contains(code)) {
        inst.ready = true;
        inst.readinessPolling = false;
        convergeAll();
      } else {
        loop.schedule(Duration.ofSeconds(check.intervalSeconds()), () -> probeReadiness(inst));
      }
    }));
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

  /** Instances that count toward the app: alive, not being killed, not inactive-unreachable. */
  boolean counts(AppState app, Instance i) {
    if (i.killing || i.state.isTerminal()) {
      return false;
    }
    if (i.unreachableSinceNanos.isPresent() && app.def.unreachableStrategy().enabled()) {
      long inactive = app.def.unreachableStrategy().inactiveAfterSeconds() * 1_000_000_000L;
      return nanos() - i.unreachableSinceNanos.get() < inactive;
    }
    return true;
  }

  /**
   * Whether an app's deployment may proceed: each of its dependencies (an app id, or a group id
   * standing for every app under it) has no deployment in progress and all its instances healthy.
   * Unknown ids are no obstacle. Stopping is never held.
   */
  boolean dependenciesReady(AppState app) {
    if (app.def.dependencies().isEmpty() || app.deployment.isEmpty()
        || app.deployment.get().action.equals("StopApplication")) {
      return true;
    }
    for (String dep : app.def.dependencies()) {
      for (AppState other : apps.values()) {
        String id = other.def.id();
        if (other != app && (id.equals(dep) || id.startsWith(dep.endsWith("/") ? dep : dep + "/"))) {
          boolean hc = other.hasHealthChecks();
          long healthy = other.instances.values().stream().filter(i -> counts(other, i) && i.healthy(hc)).count();
          if (other.deployment.isPresent() || healthy < other.def.instances()) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** How many instances the app waits to launch now. */
  int toLaunch(AppState app) {
    AppDefinition def = app.def;
    if (!dependenciesReady(app)) {
      return 0;
    }
    long alive = app.instances.values().stream().filter(i -> serving(app, i)).count();
    if (app.deployment.isEmpty() || app.deployment.get().action.equals("ScaleApplication")) {
      long replacing = app.instances.values().stream().filter(i -> counts(app, i) && replacing(app, i)).count();
      long room = replacing == 0 ? Long.MAX_VALUE : def.instances() + overCapacity(def) - alive - replacing;
      return (int) Math.max(0, Math.min(def.instances() - alive, room));
    }
    // rolling replace
    int n = def.instances();
    int maxTotal = n + (int) Math.floor(n * def.upgradeStrategy().maximumOverCapacity() + 1e-9);
    long current = app.instances.values().stream().filter(i -> serving(app, i) && i.version.equals(app.configVersion)).count();
    long total = app.instances.values().stream().filter(i -> !i.state.isTerminal()).count();
    return (int) Math.max(0, Math.min(n - current, maxTotal - total));
  }

  boolean anyWaiting() {
    long now = nanos();
    return apps.values().stream().anyMatch(a -> toLaunch(a) > 0 && now >= a.launchAllowedAtNanos);
  }

  void convergeAll() {
    for (AppState app : List.copyOf(apps.values())) {
      converge(app);
    }
    if (driver != null) {
      boolean waiting = apps.values().stream().anyMatch(a -> toLaunch(a) > 0);
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

  /**
   * Whether an instance is being replaced for failing its health check: the agent reported it
   * unhealthy and will kill it after maxConsecutiveFailures (Mesos semantics; the agent rate-limits
   * its health kills). Replace-before-kill: such an instance does not count toward the app's
   * target, so its replacement is launched at the first failure, before the kill; if it recovers it
   * counts again and the surplus is scaled down.
   */
  static boolean replacing(AppState app, Instance i) {
    return i.running() && i.healthy.equals(Optional.of(false)) && !app.def.healthChecks().isEmpty()
        && app.def.healthChecks().get(0).maxConsecutiveFailures() > 0;
  }

  /** Instances that count toward the app's target: {@link #counts} and not {@link #replacing}. */
  private boolean serving(AppState app, Instance i) {
    return counts(app, i) && !replacing(app, i);
  }

  /** Room over the target for replacements and rolling upgrades: maximumOverCapacity, at least 1. */
  private static int overCapacity(AppDefinition def) {
    return Math.max(1, (int) Math.floor(def.instances() * def.upgradeStrategy().maximumOverCapacity() + 1e-9));
  }

  private void converge(AppState app) {
    AppDefinition def = app.def;
    boolean hc = app.hasHealthChecks();
    if (toLaunch(app) == 0) {
      app.waitingSince = now();
      app.lastRejections = Map.of();
    }
    Optional<Deployment> dep = app.deployment;
    if (!dependenciesReady(app)) {
      return; // waits for its dependencies, touching nothing
    }
    if (dep.isPresent() && dep.get().action.equals("RestartApplication")) {
      int n = def.instances();
      int minHealthy = (int) Math.ceil(n * def.upgradeStrategy().minimumHealthCapacity() - 1e-9);
      int maxTotal = n + (int) Math.floor(n * def.upgradeStrategy().maximumOverCapacity() + 1e-9);
      List<Instance> old = app.instances.values().stream()
          .filter(i -> !i.version.equals(app.configVersion) && counts(app, i)).sorted(killOrder(def, hc)).toList();
      long healthy = app.instances.values().stream().filter(i -> counts(app, i) && i.healthy(hc) && i.ready).count();
      long newAlive = app.instances.values().stream()
          .filter(i -> i.version.equals(app.configVersion) && counts(app, i)).count();
      long total = app.instances.values().stream().filter(i -> !i.state.isTerminal()).count();
      int idx = 0;
      // kill old instances that are not healthy first: they do not count toward health
      while (idx < old.size() && !old.get(idx).healthy(hc)) {
        kill(old.get(idx++));
        total--;
      }
      while (idx < old.size() && (healthy - 1 >= minHealthy || old.size() - idx + newAlive > n)) {
        if (!old.get(idx).healthy(hc)) {
          kill(old.get(idx++));
          continue;
        }
        if (healthy - 1 < minHealthy) {
          break;
        }
        kill(old.get(idx++));
        healthy--;
        total--;
      }
      // no progress possible (minimumHealthCapacity 1 and no room over capacity): replace one at a time
      if (idx < old.size() && total >= maxTotal && newAlive + (old.size() - idx) <= n
          && app.instances.values().stream().noneMatch(i -> i.killing)
          && app.instances.values().stream().filter(i -> i.version.equals(app.configVersion) && counts(app, i))
              .allMatch(i -> i.healthy(hc) && i.ready)) {
        kill(old.get(idx));
      }
    } else {
      List<Instance> alive = app.instances.values().stream().filter(i -> counts(app, i))
          .sorted(killOrder(def, hc)).toList();
      long surplus = alive.stream().filter(i -> !replacing(app, i)).count() - def.instances();
      for (int k = 0; k < surplus; k++) {
        kill(alive.get(k));
      }
    }
    if (dep.isPresent()) {
      long current = app.instances.values().stream()
          .filter(i -> i.version.equals(app.configVersion) && counts(app, i) && i.healthy(hc) && i.ready).count();
      boolean oldGone = app.instances.values().stream().noneMatch(i -> !i.version.equals(app.configVersion)
          && !i.state.isTerminal() && dep.get().action.equals("RestartApplication"));
      long total = app.instances.values().stream().filter(i -> !i.state.isTerminal()).count();
      if (current >= def.instances() && oldGone && total == def.instances()) {
        finishDeployment(app, true);
      }
    }
  }

  /** Kill order: unhealthy/not running first, then by killSelection. */
  private static Comparator<Instance> killOrder(AppDefinition def, boolean hc) {
    Comparator<Instance> age = Comparator.comparingLong(i -> i.launchSequence);
    if (def.killSelection() == AppDefinition.KillSelection.YOUNGEST_FIRST) {
      age = age.reversed();
    }
    return Comparator.<Instance, Boolean>comparing(i -> i.healthy(hc)).thenComparing(age);
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
    ObjectNode e = event(success ? "deployment_success" : "deployment_failed");
    e.put("id", d.id);
    e.putObject("plan").put("id", d.id).put("version", d.to.version());
    publish(e);
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
    ObjectNode e = event("deployment_info");
    e.putObject("plan").put("id", d.id).put("version", def.version());
    e.putObject("currentStep").putArray("actions").addObject().put("action", action).put("app", def.id());
    publish(e);
    convergeAll();
    reviveIfWaiting();
    return d;
  }

  private void resetDelayQuiet(AppState app) {
    app.delaySeconds = 0;
    app.launchAllowedAtNanos = Long.MIN_VALUE;
  }

  /** Assigns service ports (10000-20000) to port definitions with port 0 (when requirePorts is off). */
  AppDefinition assignServicePorts(AppDefinition def, Optional<AppDefinition> previous) {
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
        servicePorts.add(port);
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
    convergeAll();
    if (app.instances.isEmpty() && app.deployment.isPresent()) {
      finishDeployment(app, true);
    }
    return d;
  }

  /** Rolls back (a new deployment to the previous definition) or, forced, just drops the deployment. */
  Optional<Deployment> cancel(String deploymentId, boolean force) {
    for (AppState app : apps.values()) {
      if (app.deployment.isPresent() && app.deployment.get().id.equals(deploymentId)) {
        Deployment d = app.deployment.get();
        finishDeployment(app, false);
        if (force || d.from.isEmpty()) {
          convergeAll();
          return Optional.empty();
        }
        AppDefinition back = d.from.get().withVersion(nextVersion());
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

  // ------------------------------------------------------------------ events

  ObjectNode event(String type) {
    ObjectNode e = json.createObjectNode();
    e.put("eventType", type);
    e.put("timestamp", now().toString());
    return e;
  }

  void publish(ObjectNode e) {
    events.publish(e);
  }

  private ObjectNode statusEvent(Instance inst, TaskStatus s) {
    ObjectNode e = event("status_update_event");
    e.put("slaveId", inst.agentId.value()).put("taskId", inst.taskId.value()).put("taskStatus", "TASK_" + s.state())
        .put("message", s.message().orElse("")).put("appId", inst.appId).put("host", inst.hostname)
        .put("version", inst.version);
    var ports = e.putArray("ports");
    inst.ports.forEach(ports::add);
    return e;
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
  }

  /** Restores a stored app after a leadership change, without a deployment; its tasks are adopted at reconciliation. */
  void restore(AppDefinition def) {
    if (!apps.containsKey(def.id())) {
      apps.put(def.id(), new AppState(def, now()));
      def.portDefinitions().forEach(p -> servicePorts.add(p.port()));
    }
  }
}
