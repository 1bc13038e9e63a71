package dev.agora.examples.jobs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.examples.ha.LeaderForwarder;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.coordination.SingleMasterElector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.runtime.Clock;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs service: Chronos-style scheduled and dependent jobs, as a framework on Agora's SDK, with
 * Chronos's REST API ({@code /v1/scheduler}) on the JDK's HTTP server.
 *
 * <p>Durable state (definitions, per-job cursors and counters, every run) lives in the
 * {@link StateStore} under {@code jobs/}, written through the store's view fenced with the leader's
 * epoch; the leader is chosen by the {@link LeaderElector}. Any number of instances may run: only
 * the leader acts. Over HTTP, a follower forwards each API call (method, path, query, body) to the
 * leader its {@linkplain Builder#leaderDetector leader detector} reports and relays the answer;
 * with no leader known it answers 503 saying so. {@code GET /v1/scheduler/leader} answers the
 * leader's {@code host:port}. A new leader loads the state, reconciles the tasks the old one left
 * running with the master (re-arming their maxCompletionTime kills) before it fires anything, and
 * handles runs missed meanwhile with the catch-up policy. Each (job, scheduled time) is recorded
 * with compare-and-set before its task is launched, so it runs at most once.
 *
 * <p>Store I/O never runs on the service's loop: it runs on the {@linkplain Builder#storeExecutor
 * store executor}, in order. A call that creates, replaces or deletes a job answers once the change
 * is in the store (503 naming the job and the cause if the store refused or failed it, and then
 * nothing changed); such calls are taken one at a time, in the order they came, while reads answer
 * at once. If a write the leader makes on its own (a run's record, a counter) fails, it stops
 * leading and leaves the election, as a master does when its registry write fails.
 *
 * <p>Lifecycle: {@link Builder#start()} starts it (subscription, election, HTTP); {@link #close()}
 * stops it, idempotently. Concurrency: thread-safe; {@link #request} may be called from any thread.
 */
public final class JobsService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobsService.class);

  /** A REST answer. */
  public record Response(int status, String contentType, String body) {}

  /** What to do with runs missed while the service was down. */
  public enum CatchUp {
    /** Run the latest missed occurrence once; record the others skipped. */
    RUN_ONCE,
    /** Record every missed occurrence skipped (Chronos's behaviour). */
    SKIP
  }

  private final EventLoop loop;
  private final boolean ownsLoop;
  /** The thread store calls run on, if the service made it (null: the given executor, or the given loop). */
  private final ThreadEventLoop storeLoop;
  private final JobsEngine engine;
  private final JobsApi api;
  private final LeaderElector elector;
  private final HttpServer http;
  private final ExecutorService httpThreads;
  private final MasterDetector leaderDetector;
  private final String selfUrl;
  private final LeaderForwarder forwarder;
  private final AtomicReference<SchedulerDriver> driver = new AtomicReference<>();
  private volatile boolean closed;

  private JobsService(Builder b) {
    this.ownsLoop = b.loop == null;
    this.loop = b.loop != null ? b.loop : ThreadEventLoop.start("jobs");
    Clock clock = b.clock != null ? b.clock : loop.clock();
    String name = b.frameworkName;
    // Store calls block: on the given executor, else on the loop given (a simulation's), else on a
    // thread of the service's own (as the master does for its registry).
    this.storeLoop = b.storeExecutor == null && ownsLoop ? ThreadEventLoop.start("jobs-store") : null;
    java.util.concurrent.Executor io = b.storeExecutor != null ? b.storeExecutor : storeLoop != null ? storeLoop : loop;
    this.engine = new JobsEngine(loop, clock, b.store != null ? b.store : new InMemoryStateStore(), io,
        new JobsEngine.Settings(JobsEngine.CatchUp.valueOf(b.catchUp.name()), b.historyLimit, b.retryBackoff,
            b.disableAfterFailures, b.maxSleep, b.reconcileTimeout),
        id -> {
          FrameworkInfo.Builder info = FrameworkInfo.builder(name).failoverTimeout(Duration.ofDays(7));
          id.ifPresent(info::id);
          SchedulerDriver d = SchedulerDriver.builder().transport(b.transport).address(b.address)
              .masterDetector(b.detector).framework(info.build()).scheduler(engineRef.get())
              .loop(loop).start();
          SchedulerDriver old = driver.getAndSet(d);
          if (old != null) {
            old.close();
          }
          return d;
        },
        // A write of the leader failed: it stopped leading; leave the election (off the loop: closing
        // an elector may wait for the loop), so that another instance leads from what the store holds.
        why -> CompletableFuture.runAsync(this::leaveElection));
    engineRef.set(engine);
    if (b.httpPort >= 0) {
      try {
        http = HttpServer.create(new InetSocketAddress(b.httpHost, b.httpPort), 64);
      } catch (IOException e) {
        throw new IllegalStateException("cannot listen on " + b.httpHost + ":" + b.httpPort + ": " + e.getMessage(), e);
      }
      httpThreads = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "jobs-http");
        t.setDaemon(true);
        return t;
      });
      http.setExecutor(httpThreads);
      http.createContext("/", this::serve);
      String host = b.advertisedHost != null ? b.advertisedHost : b.httpHost;
      selfUrl = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.getAddress().getPort();
    } else {
      http = null;
      httpThreads = null;
      selfUrl = "local:" + b.address.value();
    }
    this.leaderDetector = b.leaderDetector;
    this.forwarder = leaderDetector != null && http != null
        ? new LeaderForwarder(selfUrl, this::leaderUrl, Optional.empty()) : null;
    this.elector = b.electorFactory != null ? Objects.requireNonNull(b.electorFactory.apply(Address.of(selfUrl)),
        "the leader election factory returned null") : b.elector != null ? b.elector : new SingleMasterElector();
    this.api = new JobsApi(engine, this::leaderHostPort);
  }

  /**
   * The leader's {@code host:port} as Chronos answers it: the detector's leader if there is a
   * detector, else this instance while it leads; empty if unknown.
   */
  private String leaderHostPort() {
    Optional<String> url = leaderUrl();
    return url.map(u -> u.startsWith("http://") ? u.substring("http://".length()) : u)
        .map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).orElse("");
  }

  /** The leader's base URL ({@code http://host:port}), if known. */
  private Optional<String> leaderUrl() {
    if (leaderDetector != null) {
      Optional<String> detected = leaderDetector.leader().map(Address::value);
      if (detected.isPresent()) {
        return detected;
      }
    }
    return engine.isLeader() ? Optional.of(selfUrl) : Optional.empty();
  }

  private final AtomicReference<JobsEngine> engineRef = new AtomicReference<>();

  private void leaveElection() {
    LeaderElector e = elector;
    if (e != null) {
      e.close();
    }
  }

  private void start() {
    elector.start(engine, loop);
    if (http != null) {
      http.start();
      LOG.info("jobs service API on http://{}:{}{}", http.getAddress().getHostString(), httpPort(), JobsApi.PREFIX);
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The HTTP port the API listens on (useful with port 0), or -1 without HTTP. */
  public int httpPort() {
    return http == null ? -1 : http.getAddress().getPort();
  }

  /**
   * Handles one API request on the service's loop, as the HTTP server does for the leader. On a
   * follower it answers 503 naming the leader: only the HTTP server forwards calls.
   *
   * @param method GET, POST, PUT or DELETE
   * @param pathAndQuery e.g. {@code /v1/scheduler/jobs/search?name=x}
   * @param body the request body, empty if none
   */
  public CompletableFuture<Response> request(String method, String pathAndQuery, String body) {
    CompletableFuture<Response> f = new CompletableFuture<>();
    loop.execute(() -> {
      try {
        api.handle(method, pathAndQuery, body).whenComplete((r, e) -> {
          if (e == null) {
            f.complete(r);
          } else {
            LOG.error("jobs API {} {} failed", method, pathAndQuery, e);
            f.complete(new Response(500, "text/plain; charset=utf-8", "internal error: " + e));
          }
        });
      } catch (RuntimeException e) {
        LOG.error("jobs API {} {} failed", method, pathAndQuery, e);
        f.complete(new Response(500, "text/plain; charset=utf-8", "internal error: " + e));
      }
    });
    return f;
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      String pathAndQuery = ex.getRequestURI().getRawPath()
          + (ex.getRequestURI().getRawQuery() != null ? "?" + ex.getRequestURI().getRawQuery() : "");
      String body;
      byte[] bytes;
      try (InputStream in = ex.getRequestBody()) {
        bytes = in.readNBytes(1 << 20);
        if (in.read() >= 0) {
          send(ex, new Response(413, "text/plain; charset=utf-8", "request body over 1 MiB"));
          return;
        }
        body = new String(bytes, StandardCharsets.UTF_8);
      }
      Response r;
      boolean leaderQuery = ex.getRequestURI().getRawPath().equals(JobsApi.PREFIX + "/leader");
      if (!engine.isLeader() && !leaderQuery && ex.getRequestURI().getRawPath().startsWith(JobsApi.PREFIX + "/")) {
        Response refused = forward(ex, bytes);
        if (refused != null) {
          send(ex, refused);
        }
        return;
      }
      try {
        r = request(ex.getRequestMethod(), pathAndQuery, body).get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        r = new Response(503, "text/plain; charset=utf-8", "interrupted");
      } catch (ExecutionException | TimeoutException e) {
        r = new Response(503, "text/plain; charset=utf-8", "service busy: " + e);
      }
      send(ex, r);
    }
  }

  /** The header a forwarded call carries (naming the follower), so that it is never forwarded twice. */
  static final String FORWARDED_BY = LeaderForwarder.FORWARDED_BY;

  /**
   * A follower's answer to an API call: the leader's answer to the same call (relayed by the shared
   * {@link LeaderForwarder}, then null is returned: it is sent), or 503 saying why not.
   */
  private Response forward(HttpExchange ex, byte[] body) throws IOException {
    if (leaderUrl().isEmpty()) {
      return new Response(503, "text/plain; charset=utf-8", "no jobs-service leader is known (an election is under"
          + " way or no instance leads); retry shortly");
    }
    if (forwarder == null) {
      return new Response(503, "text/plain; charset=utf-8", "not the leader yet; the leader is " + leaderHostPort()
          + "; retry shortly");
    }
    LeaderForwarder.Outcome o;
    try {
      o = forwarder.forward(ex, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(503, "text/plain; charset=utf-8", "interrupted while forwarding to the leader");
    }
    LOG.debug("forwarding {} {} to the leader: {}", ex.getRequestMethod(), ex.getRequestURI(), o);
    return switch (o.kind()) {
      case FORWARDED -> null;
      case NO_LEADER -> new Response(503, "text/plain; charset=utf-8", "no jobs-service leader is known (an election"
          + " is under way or no instance leads); retry shortly");
      case LEADER_IS_SELF -> new Response(503, "text/plain; charset=utf-8", "not the leader yet; the leader is "
          + leaderHostPort() + "; retry shortly");
      case ALREADY_FORWARDED -> new Response(503, "text/plain; charset=utf-8", "not the leader: " + selfUrl
          + " got a call forwarded by " + o.detail() + " and does not forward it again; the leader is changing,"
          + " retry shortly");
      case UNREACHABLE -> new Response(503, "text/plain; charset=utf-8", "not the leader, and the leader "
          + o.leader().orElse("") + " could not be reached: " + o.detail() + "; retry shortly");
    };
  }

  private static void send(HttpExchange ex, Response r) throws IOException {
    byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", r.contentType());
    ex.sendResponseHeaders(r.status(), r.status() == 204 || out.length == 0 ? -1 : out.length);
    if (out.length > 0 && r.status() != 204) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    }
  }

  /** Stops the API, leaves the election and disconnects (the framework's tasks keep running). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (http != null) {
      http.stop(0);
      httpThreads.shutdownNow();
    }
    elector.close();
    loop.execute(() -> {
      engine.notLeader();
      SchedulerDriver d = driver.getAndSet(null);
      if (d != null) {
        d.close();
      }
    });
    if (ownsLoop) {
      CompletableFuture<Void> drained = new CompletableFuture<>();
      loop.execute(() -> drained.complete(null));
      try {
        drained.get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.warn("jobs loop did not drain on close", e);
      }
      loop.shutdown();
    }
    if (storeLoop != null) {
      storeLoop.shutdown();
    }
  }

  /** Sets up a {@link JobsService}; each setter may be called once and checks its value at once. */
  public static final class Builder {
    private final Set<String> set = new HashSet<>();
    Transport transport;
    MasterDetector detector;
    Address address = Address.of("jobs");
    String frameworkName = "chronos";
    EventLoop loop;
    Clock clock;
    StateStore store;
    java.util.concurrent.Executor storeExecutor;
    LeaderElector elector;
    Function<Address, LeaderElector> electorFactory;
    MasterDetector leaderDetector;
    String advertisedHost;
    Duration reconcileTimeout = Duration.ofSeconds(30);
    String httpHost = "127.0.0.1";
    int httpPort = -1;
    CatchUp catchUp = CatchUp.RUN_ONCE;
    int historyLimit = 100;
    Duration retryBackoff = Duration.ofSeconds(10);
    int disableAfterFailures = 0;
    Duration maxSleep = Duration.ofSeconds(30);

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

    /** A fixed master address; or use {@link #masterDetector} (one of them is required). */
    public Builder master(Address value) {
      return masterDetector(MasterDetector.standalone(Objects.requireNonNull(value, "master")));
    }

    /** Where to find the leading master. */
    public Builder masterDetector(MasterDetector value) {
      once("master");
      detector = Objects.requireNonNull(value, "masterDetector");
      return this;
    }

    /** This service's address on the transport; default {@code jobs}. Unique per instance. */
    public Builder address(Address value) {
      once("address");
      address = Objects.requireNonNull(value, "address");
      return this;
    }

    /** The framework name; default {@code chronos}. */
    public Builder frameworkName(String value) {
      once("frameworkName");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("framework name must not be blank but was '" + value + "'");
      }
      frameworkName = value;
      return this;
    }

    /** The loop the service runs on (e.g. a simulation's); default a new thread owned by the service. */
    public Builder loop(EventLoop value) {
      once("loop");
      loop = Objects.requireNonNull(value, "loop");
      return this;
    }

    /** The wall clock schedules follow; default the loop's clock. Timers always go through the loop. */
    public Builder clock(Clock value) {
      once("clock");
      clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /** Durable state; default a new in-memory store (state dies with the process). */
    public Builder stateStore(StateStore value) {
      once("stateStore");
      store = Objects.requireNonNull(value, "stateStore");
      return this;
    }

    /**
     * Where the state store's blocking calls run, one batch at a time, in order (default: a thread
     * of the service's own; with a given {@link #loop}, that loop). The service does not shut it down.
     */
    public Builder storeExecutor(java.util.concurrent.Executor value) {
      once("storeExecutor");
      storeExecutor = Objects.requireNonNull(value, "storeExecutor");
      return this;
    }

    /** Leader election among service instances; default a lone leader. The service closes it. */
    public Builder leaderElector(LeaderElector value) {
      once("leaderElector");
      elector = Objects.requireNonNull(value, "leaderElector");
      return this;
    }

    /**
     * Leader election among instances, made once the API's URL ({@code http://host:port}, known
     * once the port is bound) is known: e.g. {@code url -> zk.leaderElector(url)}, so that the
     * leader publishes the URL followers forward to. The service closes the elector. Exclusive
     * with {@link #leaderElector(LeaderElector)}.
     */
    public Builder leaderElection(Function<Address, LeaderElector> value) {
      once("leaderElector");
      electorFactory = Objects.requireNonNull(value, "leaderElection");
      return this;
    }

    /**
     * Where followers learn the leader's API URL (e.g. {@code zk.masterDetector()} of the
     * coordination the elector came from). Without one, a follower answers 503 instead of
     * forwarding. The service does not close it.
     */
    public Builder leaderDetector(MasterDetector value) {
      once("leaderDetector");
      leaderDetector = Objects.requireNonNull(value, "leaderDetector");
      return this;
    }

    /** The host other instances reach this API at (default: the bound host). */
    public Builder advertisedHost(String value) {
      once("advertisedHost");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("advertised host must not be blank but was '" + value + "'");
      }
      advertisedHost = value;
      return this;
    }

    /**
     * How long a new leader waits for the master's answer about the tasks an earlier leader left
     * running before it fires anything regardless; default 30 s.
     */
    public Builder reconcileTimeout(Duration value) {
      once("reconcileTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("reconcileTimeout must be > 0 but was " + value);
      }
      reconcileTimeout = value;
      return this;
    }

    /** Serve the REST API on {@code host:port} (port 0: any free port; Chronos's default is 4400). Default: no HTTP. */
    public Builder http(String host, int port) {
      once("http");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("http port must be in [0, 65535] but was " + port);
      }
      httpHost = Objects.requireNonNull(host, "host");
      httpPort = port;
      return this;
    }

    /** What to do with runs missed while no leader ran; default {@link CatchUp#RUN_ONCE}. */
    public Builder catchUp(CatchUp value) {
      once("catchUp");
      catchUp = Objects.requireNonNull(value, "catchUp");
      return this;
    }

    /** How many runs per job are kept (in memory and in the store); default 100. */
    public Builder historyLimit(int value) {
      once("historyLimit");
      if (value < 1) {
        throw new IllegalArgumentException("history limit must be >= 1 but was " + value);
      }
      historyLimit = value;
      return this;
    }

    /** The wait before the first retry, doubling for each further one; default 10 s. */
    public Builder retryBackoff(Duration value) {
      once("retryBackoff");
      if (value.isNegative()) {
        throw new IllegalArgumentException("retry backoff must be >= 0 but was " + value);
      }
      retryBackoff = value;
      return this;
    }

    /** Disable a job after this many failed runs in a row (0: never, the default). */
    public Builder disableAfterFailures(int value) {
      once("disableAfterFailures");
      if (value < 0) {
        throw new IllegalArgumentException("disableAfterFailures must be >= 0 but was " + value);
      }
      disableAfterFailures = value;
      return this;
    }

    /**
     * The longest the service sleeps between looks at the wall clock (default 30 s): a clock that
     * jumps is noticed within this.
     */
    public Builder maxSleep(Duration value) {
      once("maxSleep");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("maxSleep must be > 0 but was " + value);
      }
      maxSleep = value;
      return this;
    }

    /**
     * Builds and starts the service.
     *
     * @throws IllegalStateException naming a missing setting, or if the HTTP port cannot be bound
     */
    public JobsService start() {
      for (String required : List.of("transport", "master")) {
        if (!set.contains(required)) {
          throw new IllegalStateException("jobs service needs " + required);
        }
      }
      JobsService s = new JobsService(this);
      s.start();
      return s;
    }
  }

  /** For tests: the engine's view, on the loop. */
  Optional<JobsEngine> engine() {
    return Optional.of(engine);
  }
}
