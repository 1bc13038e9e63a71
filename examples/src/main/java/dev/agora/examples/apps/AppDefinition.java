package dev.agora.examples.apps;

import dev.agora.core.placement.Constraint;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Marathon app definition, as far as Agora runs it, with Marathon's defaults applied. Built by
 * {@link AppParser} from the JSON users POST; immutable.
 *
 * @param id absolute path id, e.g. {@code /group/app}
 * @param cmd shell command, or empty with {@code args}
 * @param args argv, when not a shell command
 * @param env environment variables
 * @param labels free-form labels
 * @param cpus CPUs per instance (default 1)
 * @param mem memory MB per instance (default 128)
 * @param disk disk MB per instance (default 0)
 * @param gpus GPUs per instance (default 0)
 * @param instances how many to run (default 1)
 * @param constraints placement constraints
 * @param acceptedResourceRoles roles whose resources may be used (default ["*"])
 * @param role the role to run under, if set
 * @param portDefinitions host ports (default one port 0 named "default")
 * @param requirePorts whether the port numbers are host ports to take exactly
 * @param healthChecks health checks
 * @param readinessChecks readiness checks: during a deployment, a new instance counts once one passes
 * @param dependencies app ids this app depends on
 * @param upgradeStrategy rolling upgrade bounds
 * @param backoffSeconds launch backoff start (default 1)
 * @param backoffFactor launch backoff growth (default 1.15)
 * @param maxLaunchDelaySeconds launch backoff cap (default 300)
 * @param killSelection which instances go first when scaling down
 * @param unreachableStrategy when to replace unreachable instances
 * @param taskKillGracePeriodSeconds SIGTERM to SIGKILL, if set
 * @param user unix user, if set
 * @param version the version timestamp (ISO 8601), set by the service
 */
public record AppDefinition(
    String id,
    Optional<String> cmd,
    List<String> args,
    Map<String, String> env,
    Map<String, String> labels,
    double cpus,
    double mem,
    double disk,
    double gpus,
    int instances,
    List<Constraint> constraints,
    List<String> acceptedResourceRoles,
    Optional<String> role,
    List<PortDefinition> portDefinitions,
    boolean requirePorts,
    List<HealthCheck> healthChecks,
    List<ReadinessCheck> readinessChecks,
    List<String> dependencies,
    UpgradeStrategy upgradeStrategy,
    double backoffSeconds,
    double backoffFactor,
    double maxLaunchDelaySeconds,
    KillSelection killSelection,
    UnreachableStrategy unreachableStrategy,
    Optional<Double> taskKillGracePeriodSeconds,
    Optional<String> user,
    String version) {

  public AppDefinition {
    args = List.copyOf(args);
    env = Map.copyOf(env);
    labels = Map.copyOf(labels);
    constraints = List.copyOf(constraints);
    acceptedResourceRoles = List.copyOf(acceptedResourceRoles);
    portDefinitions = List.copyOf(portDefinitions);
    healthChecks = List.copyOf(healthChecks);
    readinessChecks = List.copyOf(readinessChecks);
    dependencies = List.copyOf(dependencies);
  }

  /** Which instances are killed first when scaling down. */
  public enum KillSelection {
    YOUNGEST_FIRST,
    OLDEST_FIRST
  }

  /** A host port: {@code port} 0 means any; name/protocol/labels as given. */
  public record PortDefinition(int port, String protocol, Optional<String> name, Map<String, String> labels) {
    public PortDefinition {
      labels = Map.copyOf(labels);
    }
  }

  /** A health check in Marathon's shape. */
  public record HealthCheck(
      Protocol protocol,
      Optional<String> path,
      Optional<Integer> portIndex,
      Optional<Integer> port,
      Optional<String> command,
      int gracePeriodSeconds,
      int intervalSeconds,
      int timeoutSeconds,
      int maxConsecutiveFailures,
      int delaySeconds,
      boolean ignoreHttp1xx) {

    /** Marathon's health check protocols. */
    public enum Protocol {
      HTTP,
      HTTPS,
      TCP,
      COMMAND,
      MESOS_HTTP,
      MESOS_HTTPS,
      MESOS_TCP
    }
  }

  /** A readiness check: run by the apps service during deployments (see {@link ReadinessProbe}). */
  public record ReadinessCheck(String name, String protocol, String path, String portName, int intervalSeconds,
      int timeoutSeconds, List<Integer> httpStatusCodesForReady, boolean preserveLastResponse) {
    public ReadinessCheck {
      httpStatusCodesForReady = List.copyOf(httpStatusCodesForReady);
    }
  }

  /** Rolling upgrade bounds, fractions of {@code instances} in [0, 1]. */
  public record UpgradeStrategy(double minimumHealthCapacity, double maximumOverCapacity) {
    /** Marathon's default: 1, 1. */
    public static final UpgradeStrategy DEFAULT = new UpgradeStrategy(1, 1);
  }

  /** When an unreachable instance is replaced ({@code enabled} false: never). */
  public record UnreachableStrategy(boolean enabled, long inactiveAfterSeconds, long expungeAfterSeconds) {
    /** Marathon's default: 0 s / 0 s. */
    public static final UnreachableStrategy DEFAULT = new UnreachableStrategy(true, 0, 0);
  }

  /** A copy with another instance count. */
  public AppDefinition withInstances(int n) {
    return new AppDefinition(id, cmd, args, env, labels, cpus, mem, disk, gpus, n, constraints, acceptedResourceRoles,
        role, portDefinitions, requirePorts, healthChecks, readinessChecks, dependencies, upgradeStrategy,
        backoffSeconds, backoffFactor, maxLaunchDelaySeconds, killSelection, unreachableStrategy,
        taskKillGracePeriodSeconds, user, version);
  }

  /** A copy with another version. */
  public AppDefinition withVersion(String v) {
    return new AppDefinition(id, cmd, args, env, labels, cpus, mem, disk, gpus, instances, constraints,
        acceptedResourceRoles, role, portDefinitions, requirePorts, healthChecks, readinessChecks, dependencies,
        upgradeStrategy, backoffSeconds, backoffFactor, maxLaunchDelaySeconds, killSelection, unreachableStrategy,
        taskKillGracePeriodSeconds, user, v);
  }

  /** Whether {@code other} differs only in instances/version (a scale, not a new config). */
  public boolean sameConfig(AppDefinition other) {
    return withInstances(0).withVersion("").equals(other.withInstances(0).withVersion(""));
  }
}
