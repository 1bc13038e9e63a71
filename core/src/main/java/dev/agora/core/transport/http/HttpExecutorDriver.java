package dev.agora.core.transport.http;

import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.ExecutorJson;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.executor.Executor;
import dev.agora.core.executor.ExecutorDriver;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of the Mesos v1 executor API over HTTP: subscribes to the agent at
 * {@code POST /api/v1/executor}, reads the RecordIO event stream and calls an {@link Executor},
 * and sends its UPDATE and MESSAGE calls.
 *
 * <p>An executor started by an Agora (or Mesos) agent builds it with {@link #fromEnvironment}: the
 * agent passes {@code MESOS_AGENT_ENDPOINT} (host:port), {@code MESOS_FRAMEWORK_ID},
 * {@code MESOS_EXECUTOR_ID} and, for HTTPS, {@code SSL_ENABLED=true}. Then {@link #run()} blocks
 * the calling thread (the executor's main thread) until the agent sends SHUTDOWN or ERROR, the
 * stream ends, or {@link #stop()} is called.
 *
 * <p>Reconnection, as Mesos's executor library: when the framework checkpoints
 * ({@code MESOS_CHECKPOINT=1}) and the stream breaks (the agent restarted, or the connection was
 * lost), the driver subscribes again, with exponential backoff from 500 ms to 10 s, for at most
 * {@code MESOS_RECOVERY_TIMEOUT} (Mesos's format, e.g. {@code 15mins}; default 15 minutes) since
 * the break; each new SUBSCRIBE lists the tasks it received whose updates are not acknowledged and
 * the updates the agent has not acknowledged, so that the agent takes in what it missed. Without
 * checkpointing, {@code run} returns when the stream breaks. Waits go through the driver's clock
 * and sleeper (system ones by default).
 *
 * <p>Concurrency: callbacks run one at a time on the thread in {@link #run()}; calls are
 * thread-safe and synchronous (each waits for the agent's answer).
 */
public final class HttpExecutorDriver implements ExecutorDriver, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpExecutorDriver.class);
  private static final int MAX_RECORD = 4 << 20;

  /** How {@link #run()} ended. */
  public enum Outcome {
    /** The agent sent SHUTDOWN. */
    SHUTDOWN,
    /** The agent refused the executor (ERROR) or the subscription. */
    REFUSED,
    /** The stream ended or broke without SHUTDOWN. */
    DISCONNECTED,
    /** {@link #stop()} was called. */
    STOPPED
  }

  private final URI uri;
  private final FrameworkId frameworkId;
  private final ExecutorId executorId;
  private final Executor executor;
  private final HttpClient client;
  /** {@code Bearer <token>} when the agent authenticates executors; else null. */
  private volatile String authorization;
  private final SecureRandom random = new SecureRandom();
  private final Clock clock = Clock.systemUTC();
  private volatile InputStream stream;
  private volatile boolean stopped;
  private boolean checkpoint;
  private Duration recoveryTimeout = DEFAULT_RECOVERY_TIMEOUT;
  private dev.agora.core.runtime.Clock waitClock = dev.agora.core.runtime.Clock.system();
  private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
  /** Updates sent and not acknowledged, by uuid, oldest first. Guarded by itself. */
  private final Map<UUID, TaskStatus> unacknowledgedUpdates = new java.util.LinkedHashMap<>();
  /** Tasks received with no update acknowledged yet. Guarded by {@link #unacknowledgedUpdates}. */
  private final Map<dev.agora.core.model.TaskId, dev.agora.core.model.TaskInfo> unacknowledgedTasks =
      new java.util.LinkedHashMap<>();

  /** Mesos's default {@code --recovery_timeout}. */
  static final Duration DEFAULT_RECOVERY_TIMEOUT = Duration.ofMinutes(15);
  static final Duration FIRST_RETRY = Duration.ofMillis(500);
  static final Duration MAX_RETRY = Duration.ofSeconds(10);

  /** How the driver waits between reconnection attempts; tests pass a virtual one. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private HttpExecutorDriver(URI uri, FrameworkId frameworkId, ExecutorId executorId, Executor executor) {
    this.uri = uri;
    this.frameworkId = frameworkId;
    this.executorId = executorId;
    this.executor = executor;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  /**
   * A driver for the executor the agent started, from this process's environment.
   *
   * @throws IllegalArgumentException naming the variable that is missing or malformed
   */
  public static HttpExecutorDriver fromEnvironment(Executor executor) {
    return fromEnvironment(System.getenv(), executor);
  }

  /**
   * A driver from the given environment ({@code MESOS_AGENT_ENDPOINT}, {@code MESOS_FRAMEWORK_ID},
   * {@code MESOS_EXECUTOR_ID}, optional {@code SSL_ENABLED}).
   *
   * @throws IllegalArgumentException naming the variable that is missing or malformed
   */
  public static HttpExecutorDriver fromEnvironment(Map<String, String> env, Executor executor) {
    Objects.requireNonNull(executor, "executor");
    String endpoint = require(env, "MESOS_AGENT_ENDPOINT");
    boolean tls = "true".equalsIgnoreCase(env.getOrDefault("SSL_ENABLED", "false"))
        || "1".equals(env.get("SSL_ENABLED"));
    URI uri;
    try {
      uri = URI.create((tls ? "https://" : "http://") + endpoint + "/api/v1/executor");
      if (uri.getHost() == null || uri.getPort() <= 0) {
        throw new IllegalArgumentException("no host:port");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("MESOS_AGENT_ENDPOINT must be host:port but was '" + endpoint + "'", e);
    }
    HttpExecutorDriver driver = new HttpExecutorDriver(uri, FrameworkId.of(require(env, "MESOS_FRAMEWORK_ID")),
        ExecutorId.of(require(env, "MESOS_EXECUTOR_ID")), executor);
    driver.checkpoint = "1".equals(env.get("MESOS_CHECKPOINT")) || "true".equalsIgnoreCase(env.get("MESOS_CHECKPOINT"));
    String recovery = env.get("MESOS_RECOVERY_TIMEOUT");
    if (recovery != null && !recovery.isBlank()) {
      driver.recoveryTimeout = mesosDuration("MESOS_RECOVERY_TIMEOUT", recovery.trim());
    }
    String token = env.get(dev.agora.core.executor.ExecutorTokens.ENVIRONMENT_VARIABLE);
    if (token != null && !token.isBlank()) {
      driver.authorization = "Bearer " + token.trim();
    }
    return driver;
  }

  /** A Mesos duration ({@code 500ms}, {@code 30secs}, {@code 15mins}, {@code 2hrs}, {@code 1days}). */
  static Duration mesosDuration(String name, String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|ms|secs|mins|hrs|days|weeks)").matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(name + " must be a duration such as 15mins or 30secs but was '" + text + "'");
    }
    double value = Double.parseDouble(m.group(1));
    double nanosPer = switch (m.group(2)) {
      case "ns" -> 1;
      case "us" -> 1e3;
      case "ms" -> 1e6;
      case "secs" -> 1e9;
      case "mins" -> 60e9;
      case "hrs" -> 3600e9;
      case "days" -> 86400e9;
      default -> 7 * 86400e9;
    };
    return Duration.ofNanos((long) (value * nanosPer));
  }

  /** Waits through {@code clock} and {@code value} instead of the system's (tests: virtual time). */
  HttpExecutorDriver timing(dev.agora.core.runtime.Clock clock, Sleeper value) {
    this.waitClock = Objects.requireNonNull(clock, "clock");
    this.sleeper = Objects.requireNonNull(value, "sleeper");
    return this;
  }

  private static String require(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("environment variable " + name + " is missing; is this process an executor"
          + " started by an agent?");
    }
    return v;
  }

  @Override
  public FrameworkId frameworkId() {
    return frameworkId;
  }

  @Override
  public ExecutorId executorId() {
    return executorId;
  }

  /**
   * Subscribes and delivers events to the executor on the calling thread until the executor is
   * shut down, refused, stopped, or disconnected (for a checkpointing framework: for longer than
   * the recovery timeout).
   */
  public Outcome run() {
    long brokeAt = 0;
    boolean broken = false;
    Duration delay = FIRST_RETRY;
    while (true) {
      Session session = session();
      if (session.outcome != Outcome.DISCONNECTED || stopped || !checkpoint) {
        return stopped ? Outcome.STOPPED : session.outcome;
      }
      if (session.subscribed || !broken) {
        broken = true;
        brokeAt = waitClock.nanoTime();
        delay = FIRST_RETRY;
      }
      Duration left = recoveryTimeout.minusNanos(waitClock.nanoTime() - brokeAt);
      if (left.isNegative() || left.isZero()) {
        LOG.error("executor {} could not reach its agent at {} within the recovery timeout {}", executorId, uri,
            recoveryTimeout);
        return Outcome.DISCONNECTED;
      }
      Duration wait = delay.compareTo(left) < 0 ? delay : left;
      LOG.info("executor {} lost its agent at {}; subscribing again in {}", executorId, uri, wait);
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.STOPPED;
      }
      delay = delay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay.multipliedBy(2);
    }
  }

  private record Session(Outcome outcome, boolean subscribed) {}

  private ExecutorCall.Subscribe subscribeCall() {
    synchronized (unacknowledgedUpdates) {
      return new ExecutorCall.Subscribe(frameworkId, executorId, List.copyOf(unacknowledgedTasks.values()),
          List.copyOf(unacknowledgedUpdates.values()));
    }
  }

  /** One subscription: its outcome, and whether the agent answered it. */
  private Session session() {
    boolean subscribed = false;
    byte[] body = MesosJson.bytes(ExecutorJson.encodeCall(subscribeCall()));
    HttpRequest request = authorized(HttpRequest.newBuilder(uri)).header("Content-Type", "application/json")
        .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    try {
      HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          LOG.error("SUBSCRIBE to {} answered {}: {}", uri, response.statusCode(),
              new String(in.readNBytes(4096), StandardCharsets.UTF_8));
          // An agent (re)starting may answer 503 until it runs: worth another try.
          return new Session(response.statusCode() >= 500 ? Outcome.DISCONNECTED : Outcome.REFUSED, false);
        }
        subscribed = true;
        stream = in;
        Optional<byte[]> record;
        while (!stopped && (record = RecordIo.read(in, MAX_RECORD)).isPresent()) {
          Optional<ExecutorEvent> event;
          try {
            event = ExecutorJson.decodeEvent(MesosJson.parse(record.get()));
          } catch (CodecException e) {
            LOG.warn("ignoring an undecodable executor event: {}", e.getMessage());
            continue;
          }
          if (event.isPresent()) {
            Optional<Outcome> end = dispatch(event.get());
            if (end.isPresent()) {
              return new Session(end.get(), true);
            }
          }
        }
      }
    } catch (IOException e) {
      if (!stopped) {
        LOG.warn("executor stream from {} broke: {}", uri, e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Session(Outcome.STOPPED, subscribed);
    } finally {
      stream = null;
    }
    return new Session(stopped ? Outcome.STOPPED : Outcome.DISCONNECTED, subscribed);
  }

  private Optional<Outcome> dispatch(ExecutorEvent event) {
    try {
      if (event instanceof ExecutorEvent.Subscribed s) {
        executor.subscribed(this, s.executor(), s.frameworkId(), s.agentId());
      } else if (event instanceof ExecutorEvent.Launch l) {
        synchronized (unacknowledgedUpdates) {
          unacknowledgedTasks.put(l.task().taskId(), l.task());
        }
        executor.launch(this, l.task());
      } else if (event instanceof ExecutorEvent.LaunchGroup g) {
        synchronized (unacknowledgedUpdates) {
          g.tasks().forEach(t -> unacknowledgedTasks.put(t.taskId(), t));
        }
        executor.launchGroup(this, g.tasks());
      } else if (event instanceof ExecutorEvent.Kill k) {
        executor.kill(this, k.taskId());
      } else if (event instanceof ExecutorEvent.Acknowledged a) {
        synchronized (unacknowledgedUpdates) {
          unacknowledgedUpdates.remove(a.uuid());
          unacknowledgedTasks.remove(a.taskId());
        }
        executor.acknowledged(this, a.taskId(), a.uuid());
      } else if (event instanceof ExecutorEvent.FrameworkMessage m) {
        executor.frameworkMessage(this, m.data());
      } else if (event instanceof ExecutorEvent.Shutdown) {
        executor.shutdown(this);
        return Optional.of(Outcome.SHUTDOWN);
      } else if (event instanceof ExecutorEvent.Error e) {
        LOG.error("agent refused executor {}: {}", executorId, e.message());
        executor.error(this, e.message());
        return Optional.of(Outcome.REFUSED);
      }
    } catch (RuntimeException e) {
      LOG.error("executor callback for {} failed", event.getClass().getSimpleName(), e);
    }
    return Optional.empty();
  }

  @Override
  public void sendStatusUpdate(TaskStatus status) {
    UUID uuid = status.uuid().orElseGet(() -> new UUID(random.nextLong(), random.nextLong()));
    TaskStatus s = new TaskStatus(status.taskId(), status.state(), status.reason(), status.message(),
        TaskStatus.Source.SOURCE_EXECUTOR, status.agentId(), Optional.of(uuid), status.healthy(), status.timestamp());
    synchronized (unacknowledgedUpdates) {
      unacknowledgedUpdates.put(uuid, s);
    }
    call(new ExecutorCall.Update(frameworkId, executorId, s));
  }

  @Override
  public void sendStatusUpdate(TaskId taskId, TaskState state, String message) {
    sendStatusUpdate(TaskStatus.of(taskId, state, TaskStatus.Source.SOURCE_EXECUTOR, null, null, message,
        clock.instant()));
  }

  @Override
  public void sendFrameworkMessage(byte[] data) {
    call(new ExecutorCall.FrameworkMessage(frameworkId, executorId, Base64.getEncoder().encodeToString(data)));
  }

  private void call(ExecutorCall call) {
    byte[] body = MesosJson.bytes(ExecutorJson.encodeCall(call));
    HttpRequest request = authorized(HttpRequest.newBuilder(uri)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        LOG.warn("{} call answered {}: {}", call.getClass().getSimpleName(), response.statusCode(), response.body());
      }
    } catch (IOException e) {
      LOG.warn("{} call failed: {}", call.getClass().getSimpleName(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder b) {
    String value = authorization;
    return value == null ? b : b.header("Authorization", value);
  }

  @Override
  public void stop() {
    stopped = true;
    InputStream in = stream;
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing the stream only wakes the reader
      }
    }
  }

  @Override
  public void close() {
    stop();
  }
}
