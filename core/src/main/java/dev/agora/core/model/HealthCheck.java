package dev.agora.core.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A task's health check, in the shape of Mesos' {@code HealthCheck}: the agent runs it next to the
 * task and reports the result in {@link TaskStatus#healthy()}.
 *
 * <p>Semantics (those of Mesos): the first probe runs {@code delay} after the task is RUNNING, then
 * one every {@code interval}; a probe that takes longer than {@code timeout} fails. Failures before
 * the first success and within {@code gracePeriod} of the start are ignored. The agent sends a
 * TASK_RUNNING update with {@code healthy} set (reason REASON_TASK_HEALTH_CHECK_STATUS_UPDATED) each
 * time the health changes, and kills the task after {@code consecutiveFailures} failures in a row
 * (0: never kills; only reports).
 *
 * <p>HTTP and HTTPS probes GET {@code path} on {@code 127.0.0.1:port} and count a status in
 * 200..399 as healthy (HTTPS does not verify the certificate, as Mesos does not); TCP probes
 * connect to the port; COMMAND probes run {@code command} in the task's sandbox with its
 * environment, healthy when it exits 0. A framework that knows its ports by index (Marathon's
 * {@code portIndex}) resolves the index to the port before it launches the task.
 *
 * @param type how to probe
 * @param port the port to probe (HTTP, HTTPS, TCP), 1..65535; 0 for COMMAND
 * @param path the HTTP path, starting with "/" (HTTP, HTTPS); "/" by default
 * @param command the shell command (COMMAND only)
 * @param delay before the first probe (Mesos default 15 s)
 * @param interval between probes, > 0 (Mesos default 10 s)
 * @param timeout per probe, > 0 (Mesos default 20 s)
 * @param consecutiveFailures failures in a row after which the agent kills the task, 0 never
 *     (Mesos default 3)
 * @param gracePeriod failures before the first success within this time of the start do not count
 *     (Mesos default 10 s)
 */
public record HealthCheck(
    Type type,
    int port,
    String path,
    Optional<String> command,
    Duration delay,
    Duration interval,
    Duration timeout,
    int consecutiveFailures,
    Duration gracePeriod) {

  /** How a health check probes. */
  public enum Type {
    HTTP,
    HTTPS,
    TCP,
    COMMAND
  }

  public HealthCheck {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(command, "command");
    if (type == Type.COMMAND) {
      if (command.isEmpty() || command.get().isBlank()) {
        throw new IllegalArgumentException("a COMMAND health check needs a command but was " + command);
      }
    } else if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("a " + type + " health check needs a port in 1..65535 but was " + port);
    }
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("health check path must start with '/' but was '" + path + "'");
    }
    checkNonNegative("delay", delay);
    checkNonNegative("gracePeriod", gracePeriod);
    checkPositive("interval", interval);
    checkPositive("timeout", timeout);
    if (consecutiveFailures < 0) {
      throw new IllegalArgumentException("consecutiveFailures must be >= 0 but was " + consecutiveFailures);
    }
  }

  private static void checkNonNegative(String name, Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be >= 0 but was " + d);
    }
  }

  private static void checkPositive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0 but was " + d);
    }
  }

  /** An HTTP check of {@code path} on {@code port} with Mesos' default timing. */
  public static HealthCheck http(int port, String path) {
    return new HealthCheck(Type.HTTP, port, path, Optional.empty(), Duration.ofSeconds(15), Duration.ofSeconds(10),
        Duration.ofSeconds(20), 3, Duration.ofSeconds(10));
  }

  /** A TCP check of {@code port} with Mesos' default timing. */
  public static HealthCheck tcp(int port) {
    return new HealthCheck(Type.TCP, port, "/", Optional.empty(), Duration.ofSeconds(15), Duration.ofSeconds(10),
        Duration.ofSeconds(20), 3, Duration.ofSeconds(10));
  }

  /** A COMMAND check running {@code command} with Mesos' default timing. */
  public static HealthCheck command(String command) {
    return new HealthCheck(Type.COMMAND, 0, "/", Optional.of(command), Duration.ofSeconds(15),
        Duration.ofSeconds(10), Duration.ofSeconds(20), 3, Duration.ofSeconds(10));
  }

  /** A copy with other timing. */
  public HealthCheck withTiming(Duration delay, Duration interval, Duration timeout, int consecutiveFailures,
      Duration gracePeriod) {
    return new HealthCheck(type, port, path, command, delay, interval, timeout, consecutiveFailures, gracePeriod);
  }
}
