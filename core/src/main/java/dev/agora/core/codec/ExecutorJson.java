package dev.agora.core.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * The Mesos v1 executor API in JSON: {@code mesos.v1.executor.Call} and {@code Event}, with the
 * model in the same {@code mesos.v1} shapes as {@link MesosJson}.
 *
 * <p>Decoding is as strict and bounded as {@link MesosJson}'s: a wrong field is a
 * {@link CodecException} naming its path. Concurrency: stateless and thread-safe.
 */
public final class ExecutorJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  /** The Mesos v1 executor {@code Call.Type} names Agora acts on. */
  public static final Set<String> CALL_TYPES = Set.of("SUBSCRIBE", "UPDATE", "MESSAGE");

  private ExecutorJson() {}

  /** Encodes a call as a Mesos v1 {@code executor.Call}. */
  public static ObjectNode encodeCall(ExecutorCall call) {
    ObjectNode o = F.objectNode();
    o.set("framework_id", MesosJson.id(call.frameworkId().value()));
    o.set("executor_id", MesosJson.id(call.executorId().value()));
    if (call instanceof ExecutorCall.Subscribe s) {
      o.put("type", "SUBSCRIBE");
      ObjectNode b = o.putObject("subscribe");
      com.fasterxml.jackson.databind.node.ArrayNode tasks = b.putArray("unacknowledged_tasks");
      s.unacknowledgedTasks().forEach(t -> tasks.add(MesosJson.taskInfo(t)));
      com.fasterxml.jackson.databind.node.ArrayNode updates = b.putArray("unacknowledged_updates");
      s.unacknowledgedUpdates().forEach(u -> updates.addObject().set("status", MesosJson.taskStatus(u)));
    } else if (call instanceof ExecutorCall.Update u) {
      o.put("type", "UPDATE");
      o.putObject("update").set("status", MesosJson.taskStatus(u.status()));
    } else if (call instanceof ExecutorCall.FrameworkMessage m) {
      o.put("type", "MESSAGE");
      o.putObject("message").put("data", m.base64Data());
    }
    return o;
  }

  /**
   * Decodes a Mesos v1 {@code executor.Call}.
   *
   * @throws CodecException naming the field if the call is malformed or of a type Agora does not
   *     serve
   */
  public static ExecutorCall decodeCall(JsonNode json) {
    Node n = Node.root(json, "an executor call");
    String type = n.string("type");
    if (!CALL_TYPES.contains(type)) {
      throw new CodecException("field 'type' has unknown executor call type '" + MesosJson.clip(type)
          + "' (Agora serves SUBSCRIBE, UPDATE, MESSAGE)");
    }
    FrameworkId frameworkId = MesosJson.frameworkId(n.object("framework_id"));
    ExecutorId executorId = MesosJson.executorId(n.object("executor_id"));
    switch (type) {
      case "SUBSCRIBE": {
        Optional<Node> b = n.optObject("subscribe");
        if (b.isEmpty()) {
          return new ExecutorCall.Subscribe(frameworkId, executorId);
        }
        java.util.List<dev.agora.core.model.TaskInfo> tasks = b.get().list("unacknowledged_tasks", MesosJson::taskInfo);
        java.util.List<TaskStatus> updates = b.get().list("unacknowledged_updates", u -> {
          Node s = u.object("status");
          if (!s.has("uuid")) {
            throw new CodecException("field 'subscribe.unacknowledged_updates.status.uuid' is required");
          }
          return MesosJson.taskStatus(s);
        });
        return n.build(() -> new ExecutorCall.Subscribe(frameworkId, executorId, tasks, updates));
      }
      case "UPDATE": {
        Node s = n.object("update").object("status");
        if (!s.has("uuid")) {
          throw new CodecException("field 'update.status.uuid' is required");
        }
        TaskStatus status = MesosJson.taskStatus(s);
        return n.build(() -> new ExecutorCall.Update(frameworkId, executorId, status));
      }
      default: {
        Node b = n.object("message");
        MesosJson.base64(b, "data");
        return new ExecutorCall.FrameworkMessage(frameworkId, executorId, b.string("data"));
      }
    }
  }

  /** Encodes an event as a Mesos v1 {@code executor.Event}. */
  public static ObjectNode encodeEvent(ExecutorEvent event) {
    ObjectNode o = F.objectNode();
    if (event instanceof ExecutorEvent.Subscribed s) {
      o.put("type", "SUBSCRIBED");
      ObjectNode b = o.putObject("subscribed");
      ObjectNode info = MesosJson.executorInfo(s.executor());
      info.set("framework_id", MesosJson.id(s.frameworkId().value()));
      b.set("executor_info", info);
      b.set("framework_info", MesosJson.frameworkInfo(s.framework()));
      ObjectNode agent = b.putObject("agent_info");
      agent.set("id", MesosJson.id(s.agentId().value()));
      agent.put("hostname", "");
      b.putObject("container_id").put("value", s.executor().executorId().value());
    } else if (event instanceof ExecutorEvent.Launch l) {
      o.put("type", "LAUNCH");
      o.putObject("launch").set("task", MesosJson.taskInfo(l.task()));
    } else if (event instanceof ExecutorEvent.LaunchGroup g) {
      o.put("type", "LAUNCH_GROUP");
      ArrayNode tasks = o.putObject("launch_group").putObject("task_group").putArray("tasks");
      g.tasks().forEach(t -> tasks.add(MesosJson.taskInfo(t)));
    } else if (event instanceof ExecutorEvent.Kill k) {
      o.put("type", "KILL");
      ObjectNode b = o.putObject("kill");
      b.set("task_id", MesosJson.id(k.taskId().value()));
      k.gracePeriod().ifPresent(g -> b.putObject("kill_policy").set("grace_period", MesosJson.durationInfo(g)));
    } else if (event instanceof ExecutorEvent.Acknowledged a) {
      o.put("type", "ACKNOWLEDGED");
      ObjectNode b = o.putObject("acknowledged");
      b.set("task_id", MesosJson.id(a.taskId().value()));
      b.put("uuid", MesosJson.uuid(a.uuid()));
    } else if (event instanceof ExecutorEvent.FrameworkMessage m) {
      o.put("type", "MESSAGE");
      o.putObject("message").put("data", m.base64Data());
    } else if (event instanceof ExecutorEvent.Shutdown) {
      o.put("type", "SHUTDOWN");
    } else if (event instanceof ExecutorEvent.Error e) {
      o.put("type", "ERROR");
      o.putObject("error").put("message", e.message());
    } else {
      o.put("type", "HEARTBEAT");
    }
    return o;
  }

  /** Decodes a Mesos v1 {@code executor.Event}; types Agora does not send give empty. */
  public static Optional<ExecutorEvent> decodeEvent(JsonNode json) {
    Node n = Node.root(json, "an executor event");
    String type = n.string("type");
    switch (type) {
      case "SUBSCRIBED": {
        Node b = n.object("subscribed");
        Node info = b.object("executor_info");
        FrameworkId frameworkId = info.optObject("framework_id").map(MesosJson::frameworkId)
            .orElseGet(() -> b.object("framework_info").optObject("id").map(MesosJson::frameworkId)
                .orElseThrow(() -> new CodecException("field 'subscribed.executor_info.framework_id' is required")));
        AgentId agentId = MesosJson.agentId(b.object("agent_info").object("id"));
        return Optional.of(new ExecutorEvent.Subscribed(MesosJson.executorInfo(info), frameworkId,
            MesosJson.frameworkInfo(b.object("framework_info")), agentId));
      }
      case "LAUNCH":
        return Optional.of(new ExecutorEvent.Launch(MesosJson.taskInfo(n.object("launch").object("task"))));
      case "LAUNCH_GROUP":
        return Optional.of(new ExecutorEvent.LaunchGroup(
            n.object("launch_group").object("task_group").list("tasks", MesosJson::taskInfo)));
      case "KILL": {
        Node b = n.object("kill");
        return Optional.of(new ExecutorEvent.Kill(MesosJson.taskId(b.object("task_id")),
            b.optObject("kill_policy").flatMap(p -> p.optObject("grace_period")).map(MesosJson::durationInfo)));
      }
      case "ACKNOWLEDGED": {
        Node b = n.object("acknowledged");
        return Optional.of(new ExecutorEvent.Acknowledged(MesosJson.taskId(b.object("task_id")),
            MesosJson.uuid(b, "uuid")));
      }
      case "MESSAGE": {
        Node b = n.object("message");
        return Optional.of(new ExecutorEvent.FrameworkMessage(
            Base64.getEncoder().encodeToString(MesosJson.base64(b, "data"))));
      }
      case "SHUTDOWN":
        return Optional.of(new ExecutorEvent.Shutdown());
      case "ERROR":
        return Optional.of(new ExecutorEvent.Error(n.object("error").string("message")));
      case "HEARTBEAT":
        return Optional.of(new ExecutorEvent.Heartbeat());
      default:
        return Optional.empty();
    }
  }
}
