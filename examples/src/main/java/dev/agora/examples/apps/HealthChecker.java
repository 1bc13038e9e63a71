package dev.agora.examples.apps;

import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one task's health check (HTTP, HTTPS, TCP or COMMAND) with Marathon's timing: the first
 * probe after {@code delay}, then every {@code interval}; each probe times out after
 * {@code timeout}; failures inside {@code grace} (before the first success) do not count; after
 * {@code maxConsecutiveFailures} failures in a row (0 = never) it recommends a kill.
 *
 * <p>Meant to be hosted by the agent next to the task, with the result carried in
 * {@code TaskStatus.healthy}: on every change of {@link Result#healthy} the agent sends a RUNNING
 * update with {@code healthy} set (reason REASON_TASK_HEALTH_CHECK_STATUS_UPDATED), and on
 * {@link Result#killRecommended} it kills the task (or leaves that to the framework).
 *
 * <p>Concurrency: timers and state on {@code loop}; probes (which block up to {@code timeout}) run
 * on {@code probes}; the listener is called on the loop, only when health changes or a kill is due.
 */
public final class HealthChecker implements AutoCloseable {

  /** The check's protocol. */
  public enum Protocol { HTTP, HTTPS, TCP, COMMAND }

  /**
   * What to probe and how often.
   *
   * @param protocol how to probe
   * @param host host to probe (HTTP/HTTPS/TCP)
   * @param port port to probe (HTTP/HTTPS/TCP)
   * @param path HTTP path, e.g. {@code /health}
   * @param command shell command (COMMAND); healthy when it exits 0
   * @param grace failures before the first success within this time are ignored
   * @param interval between probes
   * @param timeout per probe
   * @param maxConsecutiveFailures failures in a row that recommend a kill; 0 never
   * @param delay before the first probe
   */
  public record Spec(Protocol protocol, String host, int port, String path, String command, Duration grace,
      Duration interval, Duration timeout, int maxConsecutiveFailures, Duration delay) {
    public Spec {
      Objects.requireNonNull(protocol, "protocol");
      if (interval == null || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("interval must be > 0 but was " + interval);
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
      }
      if (maxConsecutiveFailures < 0) {
        throw new IllegalArgumentException("maxConsecutiveFailures must be >= 0 but was " + maxConsecutiveFailures);
      }
      if (protocol == Protocol.COMMAND && (command == null || command.isBlank())) {
        throw new IllegalArgumentException("COMMAND check needs a command but was '" + command + "'");
      }
      if (protocol != Protocol.COMMAND && (port < 1 || port > 65535)) {
        throw new IllegalArgumentException("check port must be in 1..65535 but was " + port);
      }
      Objects.requireNonNull(grace, "grace");
      Objects.requireNonNull(delay, "delay");
    }
  }

  /**
   * A change worth reporting.
   *
   * @param healthy the current health
   * @param consecutiveFailures failures in a row so far
   * @param message the last probe's outcome
   * @param killRecommended whether maxConsecutiveFailures was reached
   */
  public record Result(boolean healthy, int consecutiveFailures, String message, boolean killRecommended) {}

  private final Spec spec;
  private final EventLoop loop;
  private final Executor probes;
  private final Consumer<Result> listener;
  private final long startedNanos;
  private Boolean healthy;
  private boolean everHealthy;
  private int failures;
  private boolean killSent;
  private Cancellable timer;
  private volatile boolean closed;

  private HealthChecker(Spec spec, EventLoop loop, Executor probes, Consumer<Result> listener) {
    this.spec = spec;
    this.loop = loop;
    this.probes = probes;
    this.listener = listener;
    this.startedNanos = loop.clock().nanoTime();
  }

  /** Starts checking; the first probe runs after {@code spec.delay()}. */
  public static HealthChecker start(Spec spec, EventLoop loop, Executor probes, Consumer<Result> listener) {
    HealthChecker c = new HealthChecker(Objects.requireNonNull(spec, "spec"), Objects.requireNonNull(loop, "loop"),
        Objects.requireNonNull(probes, "probes"), Objects.requireNonNull(listener, "listener"));
    loop.execute(() -> c.schedule(spec.delay()));
    return c;
  }

  private void schedule(Duration after) {
    if (!closed) {
      timer = loop.schedule(after, () -> probes.execute(() -> {
        String failure = probe();
        loop.execute(() -> record(failure));
      }));
    }
  }

  /** Runs one probe; null when healthy, else what failed. Blocks up to the timeout. */
  String probe() {
    int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, spec.timeout().toMillis());
    try {
      switch (spec.protocol()) {
        case TCP -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(spec.host(), spec.port()), timeoutMillis);
          }
          return null;
        }
        case HTTP, HTTPS -> {
          String scheme = spec.protocol() == Protocol.HTTP ? "http" : "https";
          HttpURLConnection c = (HttpURLConnection) URI.create(scheme + "://" + spec.host() + ":" + spec.port()
              + (spec.path() == null ? "/" : spec.path())).toURL().openConnection();
          c.setConnectTimeout(timeoutMillis);
          c.setReadTimeout(timeoutMillis);
          int code = c.getResponseCode();
          c.disconnect();
          return code >= 200 && code < 400 ? null : "HTTP status " + code;
        }
        case COMMAND -> {
          Process p = new ProcessBuilder("/bin/sh", "-c", spec.command()).redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
          if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return "command timed out after " + spec.timeout();
          }
          return p.exitValue() == 0 ? null : "command exited with " + p.exitValue();
        }
        default -> throw new AssertionError(spec.protocol());
      }
    } catch (IOException e) {
      return e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private void record(String failure) {
    if (closed) {
      return;
    }
    if (failure == null) {
      failures = 0;
      everHealthy = true;
      report(true, "ok");
    } else {
      boolean inGrace = !everHealthy
          && loop.clock().nanoTime() - startedNanos < spec.grace().toNanos();
      if (!inGrace) {
        failures++;
        report(false, failure);
        if (spec.maxConsecutiveFailures() > 0 && failures >= spec.maxConsecutiveFailures() && !killSent) {
          killSent = true;
          listener.accept(new Result(false, failures, failure, true));
        }
      }
    }
    schedule(spec.interval());
  }

  private void report(boolean now, String message) {
    if (healthy == null || healthy != now) {
      healthy = now;
      listener.accept(new Result(now, failures, message, false));
    }
  }

  /** Stops probing. Idempotent; a probe in flight finishes but is not reported. */
  @Override
  public void close() {
    closed = true;
    loop.execute(() -> {
      if (timer != null) {
        timer.cancel();
      }
    });
  }
}
