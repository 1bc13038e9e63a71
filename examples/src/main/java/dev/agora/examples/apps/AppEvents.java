package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Clock;

/**
 * The apps scheduler's Marathon events (status_update_event, instance_changed_event,
 * health_status_changed_event, unhealthy_instance_kill_event, deployment_info,
 * deployment_step_success / failure, deployment_success / failed), each with {@code eventType} and
 * {@code timestamp}, published on the {@link EventBus}. An event is built only when someone
 * subscribes: a thousand tasks starting cost no JSON when no one listens.
 *
 * <p>Concurrency: called on the scheduler's loop; the bus is thread-safe.
 */
final class AppEvents {
  private final EventBus bus;
  private final Clock clock;

  AppEvents(EventBus bus, Clock clock) {
    this.bus = bus;
    this.clock = clock;
  }

  /** Whether anyone reads events now. */
  boolean listened() {
    return bus.subscriberCount() > 0;
  }

  private ObjectNode event(String type) {
    ObjectNode e = AppJson.MAPPER.createObjectNode();
    e.put("eventType", type);
    e.put("timestamp", clock.instant().toString());
    return e;
  }

  void statusUpdate(Instance inst, TaskStatus s) {
    if (!listened()) {
      return;
    }
    ObjectNode e = event("status_update_event");
    e.put("slaveId", inst.agentId.value()).put("taskId", inst.taskId.value()).put("taskStatus", "TASK_" + s.state())
        .put("message", s.message().orElse("")).put("appId", inst.appId).put("host", inst.hostname)
        .put("version", inst.version);
    var ports = e.putArray("ports");
    inst.ports.forEach(ports::add);
    bus.publish(e);
  }

  void healthChanged(Instance inst, boolean alive) {
    if (!listened()) {
      return;
    }
    ObjectNode e = event("health_status_changed_event");
    e.put("appId", inst.appId).put("instanceId", inst.taskId.value()).put("version", inst.version).put("alive", alive);
    bus.publish(e);
  }

  void unhealthyKill(Instance inst, String reason) {
    if (!listened()) {
      return;
    }
    ObjectNode e = event("unhealthy_instance_kill_event");
    e.put("appId", inst.appId).put("taskId", inst.taskId.value()).put("version", inst.version).put("reason", reason)
        .put("host", inst.hostname);
    bus.publish(e);
  }

  void instanceChanged(Instance inst) {
    if (!listened()) {
      return;
    }
    ObjectNode e = event("instance_changed_event");
    e.put("instanceId", inst.taskId.value()).put("condition", inst.state.name()).put("runSpecId", inst.appId)
        .put("agentId", inst.agentId.value()).put("host", inst.hostname).put("runSpecVersion", inst.version);
    bus.publish(e);
  }

  void deploymentStarted(Deployment d) {
    if (!listened()) {
      return;
    }
    ObjectNode e = event("deployment_info");
    e.putObject("plan").put("id", d.id).put("version", d.to.version());
    e.putObject("currentStep").putArray("actions").addObject().put("action", d.action).put("app", d.appId);
    bus.publish(e);
  }

  /** Each deployment here is one step with one action: the step ends with the plan. */
  void deploymentFinished(Deployment d, boolean success) {
    if (!listened()) {
      return;
    }
    ObjectNode step = event(success ? "deployment_step_success" : "deployment_step_failure");
    step.putObject("plan").put("id", d.id).put("version", d.to.version());
    step.putObject("currentStep").putArray("actions").addObject().put("action", d.action).put("app", d.appId);
    bus.publish(step);
    ObjectNode e = event(success ? "deployment_success" : "deployment_failed");
    e.put("id", d.id);
    e.putObject("plan").put("id", d.id).put("version", d.to.version());
    bus.publish(e);
  }
}
