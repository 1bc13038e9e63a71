package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.coordination.SingleMasterElector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.placement.Placement;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Transport;
import dev.agora.examples.store.StoreWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps service (Marathon-style long-running services) as a framework on Agora: a scheduler
 * that keeps apps running, with Marathon's {@code /v2} REST API and event stream.
 *
 * <pre>{@code
 * AppsService apps = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
 *     .httpPort(8080).build().start();
 * ...
 * apps.close();
 * }</pre>
 *
 * <p>Lifecycle: NEW -> {@link #start} (once) -> RUNNING -> {@link #close} (idempotent) -> TERMINATED.
 * It joins the election of its {@link LeaderElector}; while leading it loads app definitions from
 * the {@link StateStore}, subscribes to the master and serves the API; while not leading the API
 * answers 503.
 *
 * <p>Concurrency: thread-safe; all state lives on the service's event loop. The loop never calls
 * the state store: a {@link StoreWriter} runs every store call (the state read at leadership
 * start, each API change's writes, the deployment records) on the store's executor ({@link
 * Builder#storeExecutor}), in order, and hands the outcomes back to the loop. An API change
 * answers once its writes are stored; a refused or failed write answers 409 or 503 naming the app
 * or group, and changes nothing (see {@link AppsApi}). A new leader begins its election epoch in the
 * store before it reads, and writes through the store's view fenced with that epoch: once a later
 * leader has begun, an earlier one's writes are refused (answered 409), never applied.
 */
public final class AppsService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AppsService.class);

  private enum State { NEW, RUNNING, TERMINATED }

  private final Builder config;
  private final EventLoop loop;
  private final boolean ownsLoop;
  private final EventBus events = new EventBus();
  private final AppsScheduler scheduler;
  private final AppsApi api;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private volatile boolean leading;
  private SchedulerDriver driver;
  private AppsHttpServer http;
  private volatile LeaderProxy proxy;
  private boolean frameworkIdStored;
  private boolean frameworkIdStoring;
  /** Runs the store calls (a thread of the service's own; the loop given, in a simulation). */
  private final StoreWriter writer;
  private final ThreadEventLoop storeLoop;

  private AppsService(Builder b) {
    this.config = b;
    this.ownsLoop = b.loop == null;
    this.loop = b.loop != null ? b.loop : ThreadEventLoop.start("apps");
    this.scheduler = new AppsScheduler(loop, b.placement, events, b.random, this::changed);
    scheduler.readinessProbe(b.readiness != null ? b.readiness : ReadinessProbe.http());
    scheduler.records(new StoredRecords());
    // Store calls block: on the given executor, else on a thread of the service's own, else on the
    // loop given (a simulation's).
    this.storeLoop = b.storeExecutor == null && ownsLoop ? ThreadEventLoop.start("apps-store") : null;
    java.util.concurrent.Executor io = b.storeExecutor != null ? b.storeExecutor : storeLoop != null ? storeLoop : loop;
    this.writer = new StoreWriter("apps", loop, b.store, io,
        why -> LOG.error("apps store: {}", why));
    this.api = new AppsApi(scheduler, writer, () -> leading, b.address.value());
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the HTTP server (if a port was set) and joins the leader election.
   *
   * @throws IllegalStateException if started twice
   * @throws UncheckedIOException if the HTTP port cannot be bound
   */
  public AppsService start() {
    if (!state.compareAndSet(State.NEW, State.RUNNING)) {
      throw new IllegalStateException("apps service cannot be started more than once");
    }
    if (config.httpPort >= 0) {
      try {
        http = new AppsHttpServer(new InetSocketAddress(config.httpHost, config.httpPort), api, events);
        String url = config.advertisedUrl != null ? config.advertisedUrl
            : "http://" + advertisedHost(config.httpHost) + ":" + http.port();
        proxy = new LeaderProxy(config.store, url);
        http.proxy(proxy);
        api.leaderUrl = () -> leading ? Optional.of(proxy.self()) : proxy.leader();
      } catch (IOException e) {
        state.set(State.TERMINATED);
        throw new UncheckedIOException("cannot bind the apps API on port " + config.httpPort, e);
      }
    }
    config.elector.start(new LeaderElector.Listener() {
      @Override
      public void isLeader(long epoch) {
        becomeLeader(epoch);
      }

      @Override
      public void notLeader() {
        loseLeadership();
      }
    }, loop);
    return this;
  }

  /** The REST API, for in-process calls (tests, a host's own HTTP server). */
  public AppsApi api() {
    return api;
  }

  /** The bound HTTP port, if the HTTP server runs. */
  public Optional<Integer> httpPort() {
    return Optional.ofNullable(http).map(AppsHttpServer::port);
  }

  /** Whether this instance leads now (racy by nature). */
  public boolean isLeader() {
    return leading;
  }

  AppsScheduler scheduler() {
    return scheduler;
  }

  /** Runs the scheduler's invariant checks on its loop (for tests). */
  public CompletableFuture<Void> checkInvariants() {
    return CompletableFuture.runAsync(scheduler::checkInvariants, loop);
  }

  private void becomeLeader(long epoch) {
    if (state.get() != State.RUNNING) {
      return;
    }
    LOG.info("apps service leads under epoch {}; reading its state", epoch);
    writer.newTerm();
    long term = writer.term();
    writer.submit("reading the apps state under epoch " + epoch, s -> begin(s, epoch), (stored, error) -> {
      if (term != writer.term() || state.get() != State.RUNNING) {
        return; // leadership ended (or the service closed) while the store was read
      }
      if (error != null) {
        LOG.error("apps service cannot read its state, so does not lead: {}", error);
        return;
      }
      if (stored.isEmpty()) {
        LOG.error("apps service was elected under epoch {} but its store has begun a later one, so it does not"
            + " lead", epoch);
        return;
      }
      lead(stored.get(), epoch);
    });
  }

  /**
   * Begins {@code epoch} in the store, so that the writes of earlier leaders are refused from now
   * on, then reads the state; empty if a later epoch had begun (on the store's thread).
   */
  private static Optional<Stored> begin(StateStore store, long epoch) {
    return store.beginEpoch(epoch) ? Optional.of(read(store)) : Optional.empty();
  }

  /** What a new leader reads from the store (on the store's thread): values by key. */
  private record Stored(Map<String, byte[]> apps, Map<String, byte[]> states, Map<String, byte[]> versions,
      Map<String, byte[]> groups, Optional<String> frameworkId) {}

  /** Reads the apps state (blocking; on the store's thread, touches no field). */
  private static Stored read(StateStore store) {
    Map<String, byte[]> apps = new LinkedHashMap<>();
    for (String key : store.keys("apps/")) {
      if (key.startsWith("apps/") && !key.contains("/versions/")) {
        store.get(key).ifPresent(v -> apps.put(key, v.value()));
      }
    }
    Map<String, byte[]> states = new LinkedHashMap<>();
    Map<String, byte[]> versions = new LinkedHashMap<>();
    for (String key : store.keys(STATE_PREFIX)) {
      store.get(key).ifPresent(v -> {
        states.put(key, v.value());
        try { // the definition an in-flight deployment started from
          JsonNode n = AppJson.MAPPER.readTree(new String(v.value(), StandardCharsets.UTF_8));
          JsonNode d = n.path("deployment");
          if (d.hasNonNull("fromVersion")) {
            String from = appKey(n.path("appId").asText()) + "/versions/" + d.get("fromVersion").asText();
            store.get(from).ifPresent(fv -> versions.put(from, fv.value()));
          }
        } catch (IOException | RuntimeException e) {
          LOG.error("cannot read stored app state {}", key, e);
        }
      });
    }
    Map<String, byte[]> groups = new LinkedHashMap<>();
    for (String key : store.keys(GroupsApi.GROUP_PREFIX)) {
      store.get(key).ifPresent(v -> groups.put(key, v.value()));
    }
    Optional<String> id = store.get(FRAMEWORK_ID_KEY).map(v -> new String(v.value(), StandardCharsets.UTF_8));
    return new Stored(apps, states, versions, groups, id);
  }

  /** Takes what was read as this leader's state and starts the scheduler. On the loop. */
  private void lead(Stored stored, long epoch) {
    stored.apps().forEach((key, value) -> {
      try {
        JsonNode node = AppJson.MAPPER.readTree(new String(value, StandardCharsets.UTF_8));
        AppParser.parse(node, Optional.empty(), node.path("version").asText())
            .app().ifPresent(def -> scheduler.restore(def));
      } catch (IOException e) {
        LOG.error("cannot read stored app {}", key, e);
      }
    });
    restoreStates(stored);
    api.groups().restore(stored.groups());
    writer.begin(config.store.fenced(epoch)); // a deposed leader's writes are refused, not just checked
    // Checkpointing, as Marathon's --checkpoint default: instances outlive an agent restart.
    FrameworkInfo.Builder info = FrameworkInfo.builder(config.frameworkName).failoverTimeout(Duration.ofDays(7))
        .role(config.role).capability(FrameworkInfo.Capability.PARTITION_AWARE).checkpoint(true);
    stored.frameworkId().ifPresent(id -> {
      info.id(FrameworkId.of(id));
      frameworkIdStored = true;
    });
    SchedulerDriver.Builder db = SchedulerDriver.builder().transport(config.transport).address(config.address)
        .masterDetector(config.detector).framework(info.build()).scheduler(scheduler).loop(loop);
    driver = db.start();
    leading = true;
    LeaderProxy p = proxy;
    if (p != null) {
      // Through the fenced view, as every write of the term; publish logs a refusal or failure itself.
      writer.change("publishing the apps leader URL", p::publish);
    }
  }

  private void loseLeadership() {
    writer.newTerm(); // also if still reading its state: what it read is not acted on
    if (!leading) {
      return;
    }
    leading = false;
    if (state.get() == State.TERMINATED) {
      LOG.info("apps service closing; stopping its scheduler (its tasks keep running)");
    } else {
      LOG.warn("apps service lost leadership; stopping its scheduler");
    }
    scheduler.stop();
    if (driver != null) {
      driver.close();
      driver = null;
    }
  }

  static final String FRAMEWORK_ID_KEY = "framework/apps";

  private static String advertisedHost(String bound) {
    if (!bound.equals("0.0.0.0") && !bound.equals("::")) {
      return bound;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostAddress();
    } catch (java.net.UnknownHostException e) {
      return "127.0.0.1";
    }
  }
  static final String STATE_PREFIX = "appstate/";

  /**
   * Each app's config version and in-flight deployment, one small record per app under
   * {@code appstate/}: written when a deployment starts or ends, read by the next leader.
   */
  private final class StoredRecords implements AppsScheduler.Records {
    @Override
    public void save(AppsScheduler.AppState app) {
      com.fasterxml.jackson.databind.node.ObjectNode n = AppJson.MAPPER.createObjectNode();
      n.put("appId", app.def.id()).put("configVersion", app.configVersion);
      app.deployment.ifPresent(d -> {
        com.fasterxml.jackson.databind.node.ObjectNode o = n.putObject("deployment");
        o.put("id", d.id).put("action", d.action).put("startedAt", d.startedAt.toString())
            .put("fromConfigVersion", d.fromConfigVersion);
        d.from.ifPresent(f -> o.put("fromVersion", f.version()));
      });
      write(STATE_PREFIX + appKey(app.def.id()).substring("apps/".length()), n.toString());
    }

    @Override
    public void remove(String appId) {
      writer.delete(STATE_PREFIX + appKey(appId).substring("apps/".length()));
    }

    /**
     * Writes the record behind, on the store's thread; a refused write is logged by the writer, a
     * failed one too (the app's definition is stored apart: a new leader then restarts its
     * deployment from the definition, not resumes it).
     */
    private void write(String key, String value) {
      writer.put(key, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  private void restoreStates(Stored stored) {
    stored.states().forEach((key, value) -> {
      try {
        JsonNode n = AppJson.MAPPER.readTree(new String(value, StandardCharsets.UTF_8));
        String appId = n.path("appId").asText();
        AppsScheduler.AppState app = scheduler.apps.get(appId);
        if (app == null) {
          return;
        }
        Optional<Deployment> deployment = Optional.empty();
        JsonNode d = n.get("deployment");
        if (d != null && !d.path("action").asText().equals("StopApplication")) {
          Optional<AppDefinition> from = Optional.empty();
          if (d.hasNonNull("fromVersion")) {
            from = Optional.ofNullable(stored.versions().get(appKey(appId) + "/versions/"
                + d.get("fromVersion").asText())).flatMap(fv -> {
              try {
                JsonNode fj = AppJson.MAPPER.readTree(new String(fv, StandardCharsets.UTF_8));
                return AppParser.parse(fj, Optional.empty(), fj.path("version").asText()).app();
              } catch (IOException e) {
                return Optional.empty();
              }
            });
          }
          Deployment dep = new Deployment(d.path("id").asText(), appId, from, app.def, d.path("action").asText(),
              java.time.Instant.parse(d.path("startedAt").asText()));
          dep.fromConfigVersion = d.path("fromConfigVersion").asText("");
          deployment = Optional.of(dep);
          LOG.info("resuming deployment {} ({}) of {}", dep.id, dep.action, appId);
        }
        scheduler.restoreState(appId, n.path("configVersion").asText(app.configVersion), deployment);
      } catch (IOException | RuntimeException e) {
        LOG.error("cannot read stored app state {}", key, e);
      }
    });
  }

  private void changed(AppsScheduler s) {
    if (!frameworkIdStored && !frameworkIdStoring && leading && s.frameworkId().isPresent()) {
      String id = s.frameworkId().get().value();
      frameworkIdStoring = true;
      writer.create(FRAMEWORK_ID_KEY, id.getBytes(StandardCharsets.UTF_8)).whenComplete((created, error) -> {
        frameworkIdStoring = false;
        if (error != null) {
          LOG.warn("cannot store the framework id yet (tried again at the next change): {}", error.getMessage());
          return;
        }
        frameworkIdStored = true; // if refused, another id is stored: writing again would be refused again
        if (!created) {
          LOG.error("the state store refused the framework id {} ({} exists): not stored", id, FRAMEWORK_ID_KEY);
        }
      });
    }
  }

  /** The state store key of an app's current definition. */
  static String appKey(String appId) {
    return "apps/" + appId.substring(1).replace("/", "..");
  }

  /** Stops the HTTP server and the scheduler; tasks keep running (the framework fails over). Idempotent. */
  @Override
  public void close() {
    if (state.getAndSet(State.TERMINATED) == State.TERMINATED) {
      return;
    }
    if (http != null) {
      http.close();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      loseLeadership();
      done.complete(null);
    });
    config.elector.close();
    if (ownsLoop) {
      done.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> null).join();
      loop.shutdown();
    }
    if (storeLoop != null) {
      storeLoop.shutdown();
    }
  }

  /** Builds an {@link AppsService}; each setter may be called once and checks its value at once. */
  public static final class Builder {
    private Transport transport;
    private MasterDetector detector;
    private Address address = Address.of("apps");
    private int httpPort = -1;
    private String httpHost = "0.0.0.0";
    private StateStore store = new InMemoryStateStore();
    private java.util.concurrent.Executor storeExecutor;
    private LeaderElector elector = new SingleMasterElector();
    private EventLoop loop;
    private Random random = new Random();
    private String frameworkName = "marathon";
    private String role = "*";
    private Placement placement = Placement.standard();
    private ReadinessProbe readiness;
    private String advertisedUrl;
    private final Set<String> set = new HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    /** The transport to the master (required). */
    public Builder transport(Transport value) {
      once("transport");
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /** A fixed master address (required, or {@link #masterDetector}). */
    public Builder master(Address value) {
      return masterDetector(MasterDetector.standalone(Objects.requireNonNull(value, "master")));
    }

    /** Where to find the leading master. */
    public Builder masterDetector(MasterDetector value) {
      once("master");
      detector = Objects.requireNonNull(value, "masterDetector");
      return this;
    }

    /** The service's address on the transport; default {@code apps}. */
    public Builder address(Address value) {
      once("address");
      address = Objects.requireNonNull(value, "address");
      return this;
    }

    /** Serve the REST API on this port (0 = any free port); default: no HTTP server. */
    public Builder httpPort(int value) {
      once("httpPort");
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("httpPort must be in 0..65535 but was " + value);
      }
      httpPort = value;
      return this;
    }

    /** The interface to bind; default {@code 0.0.0.0}. */
    public Builder httpHost(String value) {
      once("httpHost");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("httpHost must not be empty but was '" + value + "'");
      }
      httpHost = value;
      return this;
    }

    /** Where app definitions live; default in memory. The service does not close it. */
    public Builder stateStore(StateStore value) {
      once("stateStore");
      store = Objects.requireNonNull(value, "stateStore");
      return this;
    }

    /**
     * Where the blocking state store calls run (reads at leadership start, every write); default a
     * thread of the service's own, or the loop given with {@link #loop} (a simulation's). The
     * service's loop never calls the store itself. The service does not shut it down.
     */
    public Builder storeExecutor(java.util.concurrent.Executor value) {
      once("storeExecutor");
      storeExecutor = Objects.requireNonNull(value, "storeExecutor");
      return this;
    }

    /** Leader election among service instances; default a lone leader. Closed by the service. */
    public Builder leaderElector(LeaderElector value) {
      once("leaderElector");
      elector = Objects.requireNonNull(value, "leaderElector");
      return this;
    }

    /** The loop to run on (e.g. a simulation's); default a new thread owned by the service. */
    public Builder loop(EventLoop value) {
      once("loop");
      loop = Objects.requireNonNull(value, "loop");
      return this;
    }

    /** Randomness for task and deployment ids (seed it for reproducible simulations). */
    public Builder random(Random value) {
      once("random");
      random = Objects.requireNonNull(value, "random");
      return this;
    }

    /** The framework name; default {@code marathon}. */
    public Builder frameworkName(String value) {
      once("frameworkName");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("frameworkName must not be empty but was '" + value + "'");
      }
      frameworkName = value;
      return this;
    }

    /** The framework's role; default {@code *}. */
    public Builder role(String value) {
      once("role");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("role must not be empty but was '" + value + "'");
      }
      role = value;
      return this;
    }

    /** The placement pipeline; default {@link Placement#standard()}. */
    public Builder placement(Placement value) {
      once("placement");
      placement = Objects.requireNonNull(value, "placement");
      return this;
    }

    /**
     * The URL other instances reach this one's API on, published while it leads so that followers
     * proxy to it; default {@code http://<httpHost or this host's address>:<bound port>}.
     */
    public Builder advertisedUrl(String value) {
      once("advertisedUrl");
      if (value == null || !value.matches("https?://[^/]+")) {
        throw new IllegalArgumentException("advertisedUrl must be http(s)://host:port but was '" + value + "'");
      }
      advertisedUrl = value;
      return this;
    }

    /** How readiness checks probe instances; default real HTTP ({@link ReadinessProbe#http()}). */
    public Builder readinessProbe(ReadinessProbe value) {
      once("readinessProbe");
      readiness = Objects.requireNonNull(value, "readinessProbe");
      return this;
    }

    /**
     * Builds the service (not started).
     *
     * @throws IllegalStateException naming a missing required setting
     */
    public AppsService build() {
      if (transport == null) {
        throw new IllegalStateException("apps service needs transport");
      }
      if (detector == null) {
        throw new IllegalStateException("apps service needs master");
      }
      return new AppsService(this);
    }
  }
}
