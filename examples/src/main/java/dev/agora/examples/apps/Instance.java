package dev.agora.examples.apps;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AttributeValue;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One launched instance of an app, as the scheduler tracks it. Mutable; touched only on the
 * scheduler's loop.
 */
final class Instance {
  final TaskId taskId;
  final String appId;
  final String version;
  final AgentId agentId;
  final String hostname;
  final Map<String, AttributeValue> attributes;
  final List<Long> ports;
  final Instant stagedAt;
  final long launchSequence;
  TaskState state = TaskState.STAGING;
  Optional<Boolean> healthy = Optional.empty();
  Optional<Instant> startedAt = Optional.empty();
  Optional<Long> unreachableSinceNanos = Optional.empty();
  boolean killing;
  /** Killed by the apps service for failing its health checks (see {@link HealthKills}). */
  boolean healthKill;
  /** Whether the agent reports the instance unhealthy now, and since when ({@link #unhealthySinceNanos}). */
  boolean unhealthySince;
  long unhealthySinceNanos;
  /** Where it runs, for placement of its peers (made once). */
  final dev.agora.core.placement.PlacedTask placed;
  /** False while a deployment waits for this instance's readiness check to pass. */
  boolean ready = true;
  boolean readinessPolling;
  Optional<Integer> lastReadinessStatus = Optional.empty();

  Instance(TaskId taskId, String appId, String version, AgentId agentId, String hostname,
      Map<String, AttributeValue> attributes, List<Long> ports, Instant stagedAt, long launchSequence) {
    this.taskId = taskId;
    this.appId = appId;
    this.version = version;
    this.agentId = agentId;
    this.hostname = hostname;
    this.attributes = Map.copyOf(attributes);
    this.ports = List.copyOf(ports);
    this.stagedAt = stagedAt;
    this.launchSequence = launchSequence;
    this.placed = new dev.agora.core.placement.PlacedTask(hostname, this.attributes);
  }

  boolean running() {
    return state == TaskState.RUNNING;
  }

  /**
   * Running, not being killed, reachable, and, for an app with health checks, reported healthy by
   * its agent (TaskStatus.healthy): as in Marathon, an instance is not healthy before its first
   * passing check.
   */
  boolean healthy(boolean hasHealthChecks) {
    return running() && !killing && unreachableSinceNanos.isEmpty() && (!hasHealthChecks || healthy.orElse(false));
  }
}
