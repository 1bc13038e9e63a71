package dev.agora.core.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.AttributeValue;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.InverseOffer;
import dev.agora.core.model.MachineId;
import dev.agora.core.model.MaintenanceSchedule;
import dev.agora.core.model.MaintenanceStatus;
import dev.agora.core.model.MaintenanceWindow;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resource;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Encodes and decodes Agora's message records as JSON in the shape of the Mesos v1 APIs: scheduler
 * calls and events as {@code mesos.v1.scheduler.Call}/{@code Event}, the model as the
 * {@code mesos.v1} messages ({@code FrameworkInfo}, {@code Resource}, {@code Offer},
 * {@code TaskInfo}, {@code TaskStatus}, ...), and the master/agent messages, which Mesos keeps
 * internal, in the same style ({@code {"type": "REGISTER_AGENT", "register_agent": {...}}}).
 *
 * <p>Decoding is strict and bounded: nesting depth, string, number and document lengths are capped
 * (see {@link #MAX_NESTING_DEPTH}, {@link #MAX_STRING_LENGTH}), every wrong field is a
 * {@link CodecException} naming its path, and unknown fields are ignored (as protobuf's JSON
 * parser does with {@code ignoringUnknownFields}).
 *
 * <p>Concurrency: stateless and thread-safe.
 */
public final class MesosJson {
  /** The deepest nesting accepted in a document. */
  public static final int MAX_NESTING_DEPTH = 64;
  /** The longest string accepted in a document, in characters. */
  public static final int MAX_STRING_LENGTH = 1 << 20;

  private static final ObjectMapper MAPPER = newMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private MesosJson() {}

  private static ObjectMapper newMapper() {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .maxStringLength(MAX_STRING_LENGTH)
            .maxNumberLength(64)
            .maxNameLength(1024)
            .maxDocumentLength(4L << 20)
            .build())
        .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    mapper.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    return mapper;
  }

  /** The shared, bounded mapper, for callers that build other JSON (operator API, state). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** A value for error messages: at most 64 characters. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  /**
   * Parses a JSON document into a tree.
   *
   * @throws CodecException if it is not well-formed JSON or exceeds the limits
   */
  public static JsonNode parse(byte[] body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw new CodecException("the body is empty; expected a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new CodecException("malformed JSON: " + clip(e.getOriginalMessage()), e);
    } catch (IOException e) {
      throw new CodecException("unreadable JSON: " + e.getMessage(), e);
    }
  }

  /** Parses a JSON document read from {@code in}. */
  public static JsonNode parse(InputStream in) {
    try {
      return parse(in.readAllBytes());
    } catch (IOException e) {
      throw new CodecException("unreadable body: " + e.getMessage(), e);
    }
  }

  /** Serialises a tree. */
  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }

  // ================================================================== scheduler calls

  /** The Mesos v1 {@code Call.Type} names Agora knows, including those it does not act on. */
  public static final Set<String> CALL_TYPES = Set.of("SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "REVIVE",
      "KILL", "SHUTDOWN", "ACKNOWLEDGE", "RECONCILE", "MESSAGE", "REQUEST", "SUPPRESS", "ACCEPT_INVERSE_OFFERS",
      "DECLINE_INVERSE_OFFERS", "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE_OPERATIONS", "UPDATE_FRAMEWORK");

  /** Encodes a call as a Mesos v1 {@code scheduler.Call}. */
  public static ObjectNode encodeCall(SchedulerCall call) {
    ObjectNode o = F.objectNode();
    call.caller().ifPresent(id -> {
      if (!(call instanceof SchedulerCall.Subscribe)) {
        o.set("framework_id", id(id.value()));
      }
    });
    if (call instanceof SchedulerCall.Subscribe s) {
      s.info().id().ifPresent(id -> o.set("framework_id", id(id.value())));
      o.put("type", "SUBSCRIBE");
      o.putObject("subscribe").set("framework_info", frameworkInfo(s.info()));
    } else if (call instanceof SchedulerCall.Teardown) {
      o.put("type", "TEARDOWN");
    } else if (call instanceof SchedulerCall.Accept a) {
      o.put("type", "ACCEPT");
      ObjectNode b = o.putObject("accept");
      b.set("offer_ids", ids(a.offerIds().stream().map(OfferId::value).toList()));
      ArrayNode ops = b.putArray("operations");
      a.operations().forEach(op -> ops.add(operation(op)));
      b.set("filters", filters(a.filters()));
    } else if (call instanceof SchedulerCall.Decline d) {
      o.put("type", "DECLINE");
      ObjectNode b = o.putObject("decline");
      b.set("offer_ids", ids(d.offerIds().stream().map(OfferId::value).toList()));
      b.set("filters", filters(d.filters()));
    } else if (call instanceof SchedulerCall.AcceptInverseOffers a) {
      o.put("type", "ACCEPT_INVERSE_OFFERS");
      ObjectNode b = o.putObject("accept_inverse_offers");
      b.set("inverse_offer_ids", ids(a.inverseOfferIds().stream().map(OfferId::value).toList()));
      b.set("filters", filters(a.filters()));
    } else if (call instanceof SchedulerCall.DeclineInverseOffers d) {
      o.put("type", "DECLINE_INVERSE_OFFERS");
      ObjectNode b = o.putObject("decline_inverse_offers");
      b.set("inverse_offer_ids", ids(d.inverseOfferIds().stream().map(OfferId::value).toList()));
      b.set("filters", filters(d.filters()));
    } else if (call instanceof SchedulerCall.Revive r) {
      o.put("type", "REVIVE");
      ArrayNode roles = o.putObject("revive").putArray("roles");
      new TreeSet<>(r.roles()).forEach(roles::add);
    } else if (call instanceof SchedulerCall.Suppress s) {
      o.put("type", "SUPPRESS");
      ArrayNode roles = o.putObject("suppress").putArray("roles");
      new TreeSet<>(s.roles()).forEach(roles::add);
    } else if (call instanceof SchedulerCall.Kill k) {
      o.put("type", "KILL");
      ObjectNode b = o.putObject("kill");
      b.set("task_id", id(k.taskId().value()));
      k.agentId().ifPresent(a -> b.set("agent_id", id(a.value())));
      k.gracePeriod().ifPresent(g -> b.putObject("kill_policy").set("grace_period", durationInfo(g)));
    } else if (call instanceof SchedulerCall.Acknowledge a) {
      o.put("type", "ACKNOWLEDGE");
      ObjectNode b = o.putObject("acknowledge");
      b.set("agent_id", id(a.agentId().value()));
      b.set("task_id", id(a.taskId().value()));
      b.put("uuid", uuid(a.uuid()));
    } else if (call instanceof SchedulerCall.FrameworkMessage m) {
      o.put("type", "MESSAGE");
      ObjectNode b = o.putObject("message");
      b.set("agent_id", id(m.agentId().value()));
      b.set("executor_id", id(m.executorId().value()));
      b.put("data", Base64.getEncoder().encodeToString(m.data()));
    } else if (call instanceof SchedulerCall.UpdateFramework u) {
      o.put("type", "UPDATE_FRAMEWORK");
      ObjectNode b = o.putObject("update_framework");
      b.set("framework_info", frameworkInfo(u.info()));
      ArrayNode roles = b.putArray("suppressed_roles");
      new TreeSet<>(u.suppressedRoles()).forEach(roles::add);
    } else if (call instanceof SchedulerCall.Reconcile r) {
      o.put("type", "RECONCILE");
      ArrayNode tasks = o.putObject("reconcile").putArray("tasks");
      for (SchedulerCall.ReconcileTask t : r.tasks()) {
        ObjectNode e = tasks.addObject();
        e.set("task_id", id(t.taskId().value()));
        t.agentId().ifPresent(a -> e.set("agent_id", id(a.value())));
      }
    }
    return o;
  }

  /**
   * Decodes the {@code resources} array of an object (Mesos v1 {@code Resource} JSON), for the
   * operator API's reserve and unreserve calls.
   *
   * @param parent the object holding the {@code resources} field
   * @param what names the object in error messages, e.g. {@code reserve_resources}
   * @throws CodecException naming the field if it is malformed
   */
  public static Resources decodeResources(JsonNode parent, String what) {
    return resources(Node.root(parent, what), "resources");
  }

  /**
   * Decodes a {@code mesos.v1.AgentInfo} (as {@link #agentInfo(AgentInfo)} writes it).
   *
   * @throws CodecException naming the field if it is malformed
   */
  public static AgentInfo decodeAgentInfo(JsonNode json) {
    return agentInfo(Node.root(json, "an agent info"));
  }

  /**
   * Decodes a {@code mesos.v1.FrameworkInfo} (as {@link #frameworkInfo(FrameworkInfo)} writes it).
   *
   * @throws CodecException naming the field if it is malformed
   */
  public static FrameworkInfo decodeFrameworkInfo(JsonNode json) {
    return frameworkInfo(Node.root(json, "a framework info"));
  }

  /**
   * Decodes a Mesos v1 {@code scheduler.Call}.
   *
   * @throws CodecException naming the field if the call is malformed, or
   *     {@link UnsupportedCallException} if it is a Mesos call type Agora does not act on
   */
  public static SchedulerCall decodeCall(JsonNode json) {
    Node n = Node.root(json, "a scheduler call");
    String type = n.string("type");
    if (!CALL_TYPES.contains(type)) {
      throw new CodecException("field 'type' has unknown call type '" + clip(type) + "'");
    }
    if (type.equals("SUBSCRIBE")) {
      Node s = n.object("subscribe");
      FrameworkInfo info = frameworkInfo(s.object("framework_info"));
      Optional<FrameworkId> outer = n.optObject("framework_id").map(MesosJson::frameworkId);
      if (outer.isPresent() && info.id().isPresent() && !outer.equals(info.id())) {
        throw new CodecException("field 'framework_id' (" + outer.get() + ") differs from"
            + " 'subscribe.framework_info.id' (" + info.id().get() + ")");
      }
      if (outer.isPresent() && info.id().isEmpty()) {
        info = info.withId(outer.get());
      }
      return new SchedulerCall.Subscribe(info);
    }
    FrameworkId fid = frameworkId(n.object("framework_id"));
    switch (type) {
      case "TEARDOWN":
        return new SchedulerCall.Teardown(fid);
      case "ACCEPT": {
        Node b = n.object("accept");
        return new SchedulerCall.Accept(fid, b.list("offer_ids", MesosJson::offerId),
            b.list("operations", MesosJson::operation), b.optObject("filters").map(MesosJson::filters)
                .orElse(Filters.DEFAULT));
      }
      case "DECLINE": {
        Node b = n.object("decline");
        return new SchedulerCall.Decline(fid, b.list("offer_ids", MesosJson::offerId),
            b.optObject("filters").map(MesosJson::filters).orElse(Filters.DEFAULT));
      }
      case "ACCEPT_INVERSE_OFFERS": {
        Node b = n.object("accept_inverse_offers");
        return new SchedulerCall.AcceptInverseOffers(fid, b.list("inverse_offer_ids", MesosJson::offerId),
            b.optObject("filters").map(MesosJson::filters).orElse(Filters.DEFAULT));
      }
      case "DECLINE_INVERSE_OFFERS": {
        Node b = n.object("decline_inverse_offers");
        return new SchedulerCall.DeclineInverseOffers(fid, b.list("inverse_offer_ids", MesosJson::offerId),
            b.optObject("filters").map(MesosJson::filters).orElse(Filters.DEFAULT));
      }
      case "REVIVE":
        return new SchedulerCall.Revive(fid, roles(n.optObject("revive")));
      case "SUPPRESS":
        return new SchedulerCall.Suppress(fid, roles(n.optObject("suppress")));
      case "KILL": {
        Node b = n.object("kill");
        Optional<Duration> grace = b.optObject("kill_policy").flatMap(p -> p.optObject("grace_period"))
            .map(MesosJson::durationInfo);
        return new SchedulerCall.Kill(fid, taskId(b.object("task_id")), b.optObject("agent_id").map(MesosJson::agentId),
            grace);
      }
      case "ACKNOWLEDGE": {
        Node b = n.object("acknowledge");
        return new SchedulerCall.Acknowledge(fid, agentId(b.object("agent_id")), taskId(b.object("task_id")),
            uuid(b, "uuid"));
      }
      case "RECONCILE": {
        List<SchedulerCall.ReconcileTask> tasks = n.optObject("reconcile")
            .map(b -> b.list("tasks", t -> new SchedulerCall.ReconcileTask(taskId(t.object("task_id")),
                t.optObject("agent_id").map(MesosJson::agentId))))
            .orElse(List.of());
        return new SchedulerCall.Reconcile(fid, tasks);
      }
      case "UPDATE_FRAMEWORK": {
        Node b = n.object("update_framework");
        FrameworkInfo info = frameworkInfo(b.object("framework_info"));
        if (info.id().isPresent() && !info.id().get().equals(fid)) {
          throw new CodecException("field 'update_framework.framework_info.id' (" + info.id().get()
              + ") differs from 'framework_id' (" + fid + ")");
        }
        return new SchedulerCall.UpdateFramework(info.withId(fid), new TreeSet<>(b.strings("suppressed_roles")));
      }
      case "MESSAGE": {
        Node b = n.object("message");
        return new SchedulerCall.FrameworkMessage(fid, agentId(b.object("agent_id")),
            executorId(b.object("executor_id")), base64(b, "data"));
      }
      default:
        throw new UnsupportedCallException(type);
    }
  }

  /** A known Mesos call type that Agora does not implement. */
  public static final class UnsupportedCallException extends CodecException {
    private static final long serialVersionUID = 1L;
    private final String type;

    UnsupportedCallException(String type) {
      super("call type " + type + " is not supported by Agora");
      this.type = type;
    }

    /** The Mesos call type. */
    public String type() {
      return type;
    }
  }

  private static Set<String> roles(Optional<Node> body) {
    return body.map(b -> Set.copyOf(b.strings("roles"))).orElse(Set.of());
  }

  // ================================================================== scheduler events

  /** Encodes an event as a Mesos v1 {@code scheduler.Event}. */
  public static ObjectNode encodeEvent(SchedulerEvent event) {
    ObjectNode o = F.objectNode();
    if (event instanceof SchedulerEvent.Subscribed s) {
      o.put("type", "SUBSCRIBED");
      ObjectNode b = o.putObject("subscribed");
      b.set("framework_id", id(s.frameworkId().value()));
      b.put("heartbeat_interval_seconds", seconds(s.heartbeatInterval()));
    } else if (event instanceof SchedulerEvent.Offers offers) {
      o.put("type", "OFFERS");
      ArrayNode a = o.putObject("offers").putArray("offers");
      offers.offers().forEach(x -> a.add(offer(x)));
    } else if (event instanceof SchedulerEvent.InverseOffers offers) {
      o.put("type", "INVERSE_OFFERS");
      ArrayNode a = o.putObject("inverse_offers").putArray("inverse_offers");
      offers.inverseOffers().forEach(x -> a.add(inverseOffer(x)));
    } else if (event instanceof SchedulerEvent.RescindInverseOffer r) {
      o.put("type", "RESCIND_INVERSE_OFFER");
      o.putObject("rescind_inverse_offer").set("inverse_offer_id", id(r.inverseOfferId().value()));
    } else if (event instanceof SchedulerEvent.Rescind r) {
      o.put("type", "RESCIND");
      o.putObject("rescind").set("offer_id", id(r.offerId().value()));
    } else if (event instanceof SchedulerEvent.Update u) {
      o.put("type", "UPDATE");
      o.putObject("update").set("status", taskStatus(u.status()));
    } else if (event instanceof SchedulerEvent.Failure f) {
      o.put("type", "FAILURE");
      o.putObject("failure").set("agent_id", id(f.agentId().value()));
    } else if (event instanceof SchedulerEvent.FrameworkMessage m) {
      o.put("type", "MESSAGE");
      ObjectNode b = o.putObject("message");
      b.set("agent_id", id(m.agentId().value()));
      b.set("executor_id", id(m.executorId().value()));
      b.put("data", Base64.getEncoder().encodeToString(m.data()));
    } else if (event instanceof SchedulerEvent.Error e) {
      o.put("type", "ERROR");
      o.putObject("error").put("message", e.message());
    } else {
      o.put("type", "HEARTBEAT");
    }
    return o;
  }

  /**
   * Decodes a Mesos v1 {@code scheduler.Event}; types Agora has no record for (INVERSE_OFFERS,
   * MESSAGE, ...) give empty.
   */
  public static Optional<SchedulerEvent> decodeEvent(JsonNode json) {
    Node n = Node.root(json, "a scheduler event");
    String type = n.string("type");
    switch (type) {
      case "SUBSCRIBED": {
        Node b = n.object("subscribed");
        double hb = b.optNumber("heartbeat_interval_seconds").orElse(15.0);
        return Optional.of(new SchedulerEvent.Subscribed(frameworkId(b.object("framework_id")), duration(hb)));
      }
      case "OFFERS":
        return Optional.of(new SchedulerEvent.Offers(n.object("offers").list("offers", MesosJson::offer)));
      case "RESCIND":
        return Optional.of(new SchedulerEvent.Rescind(offerId(n.object("rescind").object("offer_id"))));
      case "INVERSE_OFFERS":
        return Optional.of(new SchedulerEvent.InverseOffers(
            n.object("inverse_offers").list("inverse_offers", MesosJson::inverseOffer)));
      case "RESCIND_INVERSE_OFFER":
        return Optional.of(new SchedulerEvent.RescindInverseOffer(
            offerId(n.object("rescind_inverse_offer").object("inverse_offer_id"))));
      case "UPDATE":
        return Optional.of(new SchedulerEvent.Update(taskStatus(n.object("update").object("status"))));
      case "FAILURE": {
        Optional<AgentId> a = n.object("failure").optObject("agent_id").map(MesosJson::agentId);
        return a.map(SchedulerEvent.Failure::new);
      }
      case "ERROR":
        return Optional.of(new SchedulerEvent.Error(n.object("error").string("message")));
      case "MESSAGE": {
        Node b = n.object("message");
        return Optional.of(new SchedulerEvent.FrameworkMessage(agentId(b.object("agent_id")),
            executorId(b.object("executor_id")), base64(b, "data")));
      }
      case "HEARTBEAT":
        return Optional.of(new SchedulerEvent.Heartbeat());
      default:
        return Optional.empty();
    }
  }

  // ================================================================== agent messages

  /** Encodes a master/agent message as {@code {"type": ..., "<type in lower case>": {...}}}. */
  public static ObjectNode encodeAgentMessage(AgentMessage m) {
    if (m instanceof AgentMessage.Stamped stamped) {
      // The command's own encoding, plus the sender's epoch beside its type.
      ObjectNode o = encodeAgentMessage(stamped.message());
      o.put("master_epoch", stamped.epoch());
      return o;
    }
    ObjectNode o = F.objectNode();
    String type = agentType(m);
    o.put("type", type);
    ObjectNode b = o.putObject(type.toLowerCase(Locale.ROOT));
    if (m instanceof AgentMessage.RegisterAgent r) {
      b.set("agent_info", agentInfo(r.info()));
    } else if (m instanceof AgentMessage.ReregisterAgent r) {
      b.set("agent_id", id(r.agentId().value()));
      b.set("agent_info", agentInfo(r.info()));
      ArrayNode tasks = b.putArray("tasks");
      for (AgentMessage.AgentTask t : r.tasks()) {
        ObjectNode e = tasks.addObject();
        e.set("framework_id", id(t.frameworkId().value()));
        e.set("framework_info", frameworkInfo(t.framework()));
        e.set("task_info", taskInfo(t.task()));
        e.put("state", "TASK_" + t.state().name());
      }
      if (!r.executors().isEmpty()) {
        ArrayNode executors = b.putArray("executors");
        for (AgentMessage.AgentExecutor e : r.executors()) {
          ObjectNode x = executors.addObject();
          x.set("framework_id", id(e.frameworkId().value()));
          x.set("framework_info", frameworkInfo(e.framework()));
          x.set("executor_info", executorInfo(e.executor()));
        }
      }
    } else if (m instanceof AgentMessage.AgentRegistered r) {
      b.set("agent_id", id(r.agentId().value()));
      b.put("ping_interval_seconds", seconds(r.pingInterval()));
    } else if (m instanceof AgentMessage.RunTask r) {
      b.set("framework_id", id(r.frameworkId().value()));
      b.set("framework_info", frameworkInfo(r.framework()));
      b.set("task_info", taskInfo(r.task()));
    } else if (m instanceof AgentMessage.RunTaskGroup r) {
      b.set("framework_id", id(r.frameworkId().value()));
      b.set("framework_info", frameworkInfo(r.framework()));
      b.set("executor_info", executorInfo(r.executor()));
      ArrayNode tasks = b.putObject("task_group").putArray("tasks");
      r.tasks().forEach(t -> tasks.add(taskInfo(t)));
    } else if (m instanceof AgentMessage.FrameworkToExecutor f) {
      b.set("framework_id", id(f.frameworkId().value()));
      b.set("executor_id", id(f.executorId().value()));
      b.put("data", f.base64Data());
    } else if (m instanceof AgentMessage.ExecutorToFramework f) {
      b.set("agent_id", id(f.agentId().value()));
      b.set("framework_id", id(f.frameworkId().value()));
      b.set("executor_id", id(f.executorId().value()));
      b.put("data", f.base64Data());
    } else if (m instanceof AgentMessage.ExitedExecutor x) {
      b.set("agent_id", id(x.agentId().value()));
      b.set("framework_id", id(x.frameworkId().value()));
      b.set("executor_id", id(x.executorId().value()));
      b.put("message", x.message());
    } else if (m instanceof AgentMessage.KillTask k) {
      b.set("framework_id", id(k.frameworkId().value()));
      b.set("task_id", id(k.taskId().value()));
      k.gracePeriod().ifPresent(g -> b.putObject("kill_policy").set("grace_period", durationInfo(g)));
    } else if (m instanceof AgentMessage.ShutdownFramework s) {
      b.set("framework_id", id(s.frameworkId().value()));
    } else if (m instanceof AgentMessage.StatusUpdate u) {
      b.set("framework_id", id(u.frameworkId().value()));
      b.set("status", taskStatus(u.status()));
    } else if (m instanceof AgentMessage.StatusUpdateAcknowledgement a) {
      b.set("agent_id", id(a.agentId().value()));
      b.set("framework_id", id(a.frameworkId().value()));
      b.set("task_id", id(a.taskId().value()));
      b.put("uuid", uuid(a.uuid()));
    } else if (m instanceof AgentMessage.Ping p) {
      b.set("agent_id", id(p.agentId().value()));
    } else if (m instanceof AgentMessage.Pong p) {
      b.set("agent_id", id(p.agentId().value()));
    } else if (m instanceof AgentMessage.ShutdownAgent s) {
      b.put("message", s.reason());
    }
    return o;
  }

  private static String agentType(AgentMessage m) {
    String simple = m.getClass().getSimpleName();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < simple.length(); i++) {
      char c = simple.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        sb.append('_');
      }
      sb.append(Character.toUpperCase(c));
    }
    return sb.toString();
  }

  /** Decodes a master/agent message. */
  public static AgentMessage decodeAgentMessage(JsonNode json) {
    Node n = Node.root(json, "an agent message");
    Optional<Long> epoch = n.optInt64("master_epoch");
    if (epoch.isPresent()) {
      if (epoch.get() < 1) {
        throw new CodecException("field 'master_epoch' must be >= 1 but was " + epoch.get());
      }
      return new AgentMessage.Stamped(epoch.get(), decodeUnstamped(n));
    }
    return decodeUnstamped(n);
  }

  private static AgentMessage decodeUnstamped(Node n) {
    String type = n.string("type");
    String field = type.toLowerCase(Locale.ROOT);
    switch (type) {
      case "REGISTER_AGENT":
        return new AgentMessage.RegisterAgent(agentInfo(n.object(field).object("agent_info")));
      case "REREGISTER_AGENT": {
        Node b = n.object(field);
        List<AgentMessage.AgentTask> tasks = b.list("tasks", t -> t.build(() -> new AgentMessage.AgentTask(
            frameworkId(t.object("framework_id")), frameworkInfo(t.object("framework_info")),
            taskInfo(t.object("task_info")), taskState(t, "state"))));
        List<AgentMessage.AgentExecutor> executors = b.list("executors", x -> x.build(() ->
            new AgentMessage.AgentExecutor(frameworkId(x.object("framework_id")),
                frameworkInfo(x.object("framework_info")), executorInfo(x.object("executor_info")))));
        return new AgentMessage.ReregisterAgent(agentId(b.object("agent_id")), agentInfo(b.object("agent_info")),
            tasks, executors);
      }
      case "AGENT_REGISTERED": {
        Node b = n.object(field);
        Duration ping = duration(b.number("ping_interval_seconds"));
        if (ping.isZero() || ping.isNegative()) {
          throw new CodecException("field 'agent_registered.ping_interval_seconds' must be > 0");
        }
        return new AgentMessage.AgentRegistered(agentId(b.object("agent_id")), ping);
      }
      case "RUN_TASK": {
        Node b = n.object(field);
        return new AgentMessage.RunTask(frameworkId(b.object("framework_id")),
            frameworkInfo(b.object("framework_info")), taskInfo(b.object("task_info")));
      }
      case "RUN_TASK_GROUP": {
        Node b = n.object(field);
        return new AgentMessage.RunTaskGroup(frameworkId(b.object("framework_id")),
            frameworkInfo(b.object("framework_info")), executorInfo(b.object("executor_info")),
            b.object("task_group").list("tasks", MesosJson::taskInfo));
      }
      case "FRAMEWORK_TO_EXECUTOR": {
        Node b = n.object(field);
        base64(b, "data");
        return new AgentMessage.FrameworkToExecutor(frameworkId(b.object("framework_id")),
            executorId(b.object("executor_id")), b.string("data"));
      }
      case "EXECUTOR_TO_FRAMEWORK": {
        Node b = n.object(field);
        base64(b, "data");
        return new AgentMessage.ExecutorToFramework(agentId(b.object("agent_id")),
            frameworkId(b.object("framework_id")), executorId(b.object("executor_id")), b.string("data"));
      }
      case "EXITED_EXECUTOR": {
        Node b = n.object(field);
        return new AgentMessage.ExitedExecutor(agentId(b.object("agent_id")), frameworkId(b.object("framework_id")),
            executorId(b.object("executor_id")), b.optString("message").orElse(""));
      }
      case "KILL_TASK": {
        Node b = n.object(field);
        return new AgentMessage.KillTask(frameworkId(b.object("framework_id")), taskId(b.object("task_id")),
            b.optObject("kill_policy").flatMap(p -> p.optObject("grace_period")).map(MesosJson::durationInfo));
      }
      case "SHUTDOWN_FRAMEWORK":
        return new AgentMessage.ShutdownFramework(frameworkId(n.object(field).object("framework_id")));
      case "STATUS_UPDATE": {
        Node b = n.object(field);
        return new AgentMessage.StatusUpdate(frameworkId(b.object("framework_id")), taskStatus(b.object("status")));
      }
      case "STATUS_UPDATE_ACKNOWLEDGEMENT": {
        Node b = n.object(field);
        return new AgentMessage.StatusUpdateAcknowledgement(agentId(b.object("agent_id")),
            frameworkId(b.object("framework_id")), taskId(b.object("task_id")), uuid(b, "uuid"));
      }
      case "PING":
        return new AgentMessage.Ping(agentId(n.object(field).object("agent_id")));
      case "PONG":
        return new AgentMessage.Pong(agentId(n.object(field).object("agent_id")));
      case "SHUTDOWN_AGENT":
        return new AgentMessage.ShutdownAgent(n.object(field).optString("message").orElse(""));
      default:
        throw new CodecException("field 'type' has unknown agent message type '" + clip(type) + "'");
    }
  }

  // ================================================================== model

  static ObjectNode id(String value) {
    ObjectNode o = F.objectNode();
    o.put("value", value);
    return o;
  }

  private static ArrayNode ids(List<String> values) {
    ArrayNode a = F.arrayNode();
    values.forEach(v -> a.add(id(v)));
    return a;
  }

  static FrameworkId frameworkId(Node n) {
    return n.build(() -> FrameworkId.of(n.string("value")));
  }

  static AgentId agentId(Node n) {
    return n.build(() -> AgentId.of(n.string("value")));
  }

  static OfferId offerId(Node n) {
    return n.build(() -> OfferId.of(n.string("value")));
  }

  static TaskId taskId(Node n) {
    return n.build(() -> TaskId.of(n.string("value")));
  }

  static ExecutorId executorId(Node n) {
    return n.build(() -> ExecutorId.of(n.string("value")));
  }

  /** The base64 ({@code bytes} in protobuf JSON) field {@code field}, decoded. */
  static byte[] base64(Node n, String field) {
    String text = n.string(field);
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new CodecException("field '" + (n.path.isEmpty() ? field : n.path + "." + field)
          + "' must be base64 but was '" + clip(text) + "'");
    }
  }

  private static double seconds(Duration d) {
    return d.getSeconds() + d.getNano() / 1e9;
  }

  private static Duration duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e15) {
      throw new CodecException("a duration must be between 0 and 1e15 seconds but was " + seconds);
    }
    return Duration.ofNanos(0).plusMillis(Math.round(seconds * 1000));
  }

  static ObjectNode durationInfo(Duration d) {
    ObjectNode o = F.objectNode();
    o.put("nanoseconds", d.toNanos());
    return o;
  }

  static Duration durationInfo(Node n) {
    long ns = n.int64("nanoseconds");
    if (ns < 0) {
      throw new CodecException("field '" + n.path + ".nanoseconds' must be >= 0 but was " + ns);
    }
    return Duration.ofNanos(ns);
  }

  static String uuid(UUID u) {
    ByteBuffer b = ByteBuffer.allocate(16);
    b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
    return Base64.getEncoder().encodeToString(b.array());
  }

  static UUID uuid(Node n, String field) {
    String text = n.string(field);
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      raw = null;
    }
    if (raw != null && raw.length == 16) {
      ByteBuffer b = ByteBuffer.wrap(raw);
      return new UUID(b.getLong(), b.getLong());
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new CodecException("field '" + (n.path.isEmpty() ? field : n.path + "." + field)
          + "' must be 16 base64-encoded bytes or a UUID but was '" + clip(text) + "'");
    }
  }

  // ================================================================== maintenance

  /** A {@code mesos.v1.InverseOffer}; the hostname travels as {@code url.address.hostname}. */
  public static ObjectNode inverseOffer(InverseOffer o) {
    ObjectNode n = F.objectNode();
    n.set("id", id(o.id().value()));
    n.set("framework_id", id(o.frameworkId().value()));
    n.set("agent_id", id(o.agentId().value()));
    ObjectNode url = n.putObject("url");
    url.put("scheme", "http");
    url.putObject("address").put("hostname", o.hostname()).put("port", 5051);
    n.set("unavailability", unavailability(o.start(), o.duration()));
    n.putArray("resources");
    return n;
  }

  static InverseOffer inverseOffer(Node n) {
    Node u = n.object("unavailability");
    String host = n.optObject("url").flatMap(url -> url.optObject("address"))
        .flatMap(a -> a.optString("hostname")).orElse("");
    return n.build(() -> new InverseOffer(offerId(n.object("id")), frameworkId(n.object("framework_id")),
        agentId(n.object("agent_id")), host, timeInfo(u.object("start")),
        u.optObject("duration").map(MesosJson::durationInfo).orElse(Duration.ZERO)));
  }

  private static ObjectNode unavailability(Instant start, Duration duration) {
    ObjectNode u = F.objectNode();
    u.set("start", timeInfo(start));
    u.set("duration", durationInfo(duration));
    return u;
  }

  private static ObjectNode timeInfo(Instant t) {
    ObjectNode o = F.objectNode();
    o.put("nanoseconds", t.getEpochSecond() * 1_000_000_000L + t.getNano());
    return o;
  }

  private static Instant timeInfo(Node n) {
    long ns = n.int64("nanoseconds");
    return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
  }

  /** A {@code mesos.v1.MachineID}. */
  public static ObjectNode machineId(MachineId m) {
    ObjectNode o = F.objectNode();
    if (!m.hostname().isEmpty()) {
      o.put("hostname", m.hostname());
    }
    if (!m.ip().isEmpty()) {
      o.put("ip", m.ip());
    }
    return o;
  }

  static MachineId machineId(Node n) {
    return n.build(() -> new MachineId(n.optString("hostname").orElse(""), n.optString("ip").orElse("")));
  }

  /**
   * Decodes the {@code machines} array of an object (START_MAINTENANCE, STOP_MAINTENANCE).
   *
   * @throws CodecException naming the field if it is malformed
   */
  public static List<MachineId> decodeMachines(JsonNode parent, String what) {
    return Node.root(parent, what).list("machines", MesosJson::machineId);
  }

  /** A {@code mesos.v1.maintenance.Schedule}. */
  public static ObjectNode maintenanceSchedule(MaintenanceSchedule schedule) {
    ObjectNode o = F.objectNode();
    ArrayNode windows = o.putArray("windows");
    for (MaintenanceWindow w : schedule.windows()) {
      ObjectNode wn = windows.addObject();
      ArrayNode ms = wn.putArray("machine_ids");
      w.machines().forEach(m -> ms.add(machineId(m)));
      wn.set("unavailability", unavailability(w.start(), w.duration()));
    }
    return o;
  }

  /**
   * Decodes a {@code mesos.v1.maintenance.Schedule}.
   *
   * @throws CodecException naming the field if it is malformed or invalid (a machine in two windows)
   */
  public static MaintenanceSchedule decodeMaintenanceSchedule(JsonNode json, String what) {
    Node n = Node.root(json, what);
    List<MaintenanceWindow> windows = n.list("windows", w -> {
      Node u = w.object("unavailability");
      return w.build(() -> new MaintenanceWindow(w.list("machine_ids", MesosJson::machineId), timeInfo(u.object("start")),
          u.optObject("duration").map(MesosJson::durationInfo).orElse(Duration.ZERO)));
    });
    return n.build(() -> new MaintenanceSchedule(windows));
  }

  /** A {@code mesos.v1.maintenance.ClusterStatus}, with Agora's draining and deactivated agents added. */
  public static ObjectNode maintenanceStatus(MaintenanceStatus status) {
    ObjectNode o = F.objectNode();
    ArrayNode draining = o.putArray("draining_machines");
    for (MaintenanceStatus.DrainingMachine m : status.drainingMachines()) {
      ObjectNode dm = draining.addObject();
      dm.set("id", machineId(m.id()));
      ArrayNode statuses = dm.putArray("statuses");
      for (MaintenanceStatus.InverseOfferStatus s : m.statuses()) {
        ObjectNode sn = statuses.addObject();
        sn.put("status", s.answer().name());
        sn.set("framework_id", id(s.frameworkId().value()));
        sn.set("timestamp", timeInfo(s.timestamp()));
      }
    }
    ArrayNode down = o.putArray("down_machines");
    status.downMachines().forEach(m -> down.add(machineId(m)));
    ArrayNode agents = o.putArray("draining_agents");
    for (MaintenanceStatus.DrainingAgent a : status.drainingAgents()) {
      agents.addObject().<ObjectNode>set("agent_id", id(a.agentId().value()))
          .put("state", a.drained() ? "DRAINED" : "DRAINING");
    }
    ArrayNode deactivated = o.putArray("deactivated_agents");
    status.deactivatedAgents().forEach(a -> deactivated.add(id(a.value())));
    return o;
  }

  static ObjectNode filters(Filters f) {
    ObjectNode o = F.objectNode();
    o.put("refuse_seconds", seconds(f.refuse()));
    return o;
  }

  static Filters filters(Node n) {
    Optional<Double> s = n.optNumber("refuse_seconds");
    return s.isEmpty() ? Filters.DEFAULT : n.build(() -> Filters.refuseSeconds(s.get()));
  }

  /** A {@code mesos.v1.FrameworkInfo}. */
  public static ObjectNode frameworkInfo(FrameworkInfo info) {
    ObjectNode o = F.objectNode();
    o.put("user", info.user());
    o.put("name", info.name());
    info.id().ifPresent(id -> o.set("id", id(id.value())));
    o.put("failover_timeout", seconds(info.failoverTimeout()));
    o.put("checkpoint", info.checkpoint());
    ArrayNode roles = o.putArray("roles");
    info.roles().forEach(roles::add);
    info.principal().ifPresent(p -> o.put("principal", p));
    ArrayNode caps = o.putArray("capabilities");
    EnumSet<FrameworkInfo.Capability> sorted = info.capabilities().isEmpty()
        ? EnumSet.noneOf(FrameworkInfo.Capability.class) : EnumSet.copyOf(info.capabilities());
    sorted.forEach(c -> caps.addObject().put("type", c.name()));
    return o;
  }

  static FrameworkInfo frameworkInfo(Node n) {
    String name = n.string("name");
    String user = n.optString("user").orElse("");
    List<String> roles = new ArrayList<>(n.strings("roles"));
    if (roles.isEmpty()) {
      roles.add(n.optString("role").orElse("*"));
    }
    Optional<FrameworkId> id = n.optObject("id").map(MesosJson::frameworkId);
    Optional<String> principal = n.optString("principal");
    Duration failover = duration(n.optNumber("failover_timeout").orElse(0.0));
    boolean checkpoint = n.optBoolean("checkpoint").orElse(false);
    EnumSet<FrameworkInfo.Capability> caps = EnumSet.noneOf(FrameworkInfo.Capability.class);
    n.list("capabilities", c -> c.optString("type")).forEach(t -> t.ifPresent(type -> {
      try {
        caps.add(FrameworkInfo.Capability.valueOf(type));
      } catch (IllegalArgumentException e) {
        // Mesos capabilities Agora does not know (e.g. a newer one) are ignored, as Mesos does.
      }
    }));
    return n.build(() -> new FrameworkInfo(id, name, user, roles, principal, failover, checkpoint, caps));
  }

  /** A list of {@code mesos.v1.Resource}. */
  public static ArrayNode resources(Resources resources) {
    ArrayNode a = F.arrayNode();
    for (Resource r : resources) {
      ObjectNode o = a.addObject();
      o.put("name", r.name());
      if (r.value() instanceof Resource.Scalar s) {
        o.put("type", "SCALAR");
        o.putObject("scalar").put("value", s.value());
      } else if (r.value() instanceof Resource.RangesValue rv) {
        o.put("type", "RANGES");
        o.putObject("ranges").set("range", ranges(rv.ranges()));
      } else if (r.value() instanceof Resource.SetValue sv) {
        o.put("type", "SET");
        ArrayNode items = o.putObject("set").putArray("item");
        sv.items().forEach(items::add);
      }
      if (!r.role().equals(Resources.UNRESERVED)) {
        ObjectNode res = o.putArray("reservations").addObject();
        res.put("type", "DYNAMIC");
        res.put("role", r.role());
      }
    }
    return a;
  }

  private static ArrayNode ranges(Ranges ranges) {
    ArrayNode a = F.arrayNode();
    for (int i = 0; i < ranges.intervalCount(); i++) {
      ObjectNode r = a.addObject();
      r.put("begin", ranges.begin(i));
      r.put("end", ranges.end(i));
    }
    return a;
  }

  private static Ranges ranges(Node n) {
    List<long[]> pairs = n.list("range", r -> new long[] {r.int64("begin"), r.int64("end")});
    long[] flat = new long[pairs.size() * 2];
    for (int i = 0; i < pairs.size(); i++) {
      flat[2 * i] = pairs.get(i)[0];
      flat[2 * i + 1] = pairs.get(i)[1];
    }
    return n.build(() -> Ranges.of(flat));
  }

  static Resources resources(Node parent, String field) {
    Resources.Builder b = Resources.builder();
    parent.list("resources", r -> {
      String name = r.string("name");
      String role = resourceRole(r);
      String type = r.string("type");
      switch (type) {
        case "SCALAR" -> r.build(() -> b.scalar(name, role, r.object("scalar").number("value")));
        case "RANGES" -> {
          Ranges ranges = ranges(r.object("ranges"));
          r.build(() -> b.ranges(name, role, ranges));
        }
        case "SET" -> r.build(() -> b.set(name, role, r.object("set").strings("item")));
        default -> throw new CodecException("field '" + r.path + ".type' has unknown value '" + clip(type) + "'");
      }
      return name;
    });
    return parent.build(b::build);
  }

  private static String resourceRole(Node r) {
    List<String> roles = r.list("reservations", x -> x.string("role"));
    if (!roles.isEmpty()) {
      return roles.get(roles.size() - 1);
    }
    return r.optString("role").orElse(Resources.UNRESERVED);
  }

  private static ArrayNode attributes(Map<String, AttributeValue> attributes) {
    ArrayNode a = F.arrayNode();
    new java.util.TreeMap<>(attributes).forEach((name, v) -> {
      ObjectNode o = a.addObject();
      o.put("name", name);
      if (v instanceof AttributeValue.Text t) {
        o.put("type", "TEXT");
        o.putObject("text").put("value", t.value());
      } else if (v instanceof AttributeValue.Scalar s) {
        o.put("type", "SCALAR");
        o.putObject("scalar").put("value", s.value());
      } else if (v instanceof AttributeValue.RangesValue r) {
        o.put("type", "RANGES");
        o.putObject("ranges").set("range", ranges(r.ranges()));
      } else if (v instanceof AttributeValue.SetValue s) {
        o.put("type", "SET");
        ArrayNode items = o.putObject("set").putArray("item");
        s.items().forEach(items::add);
      }
    });
    return a;
  }

  private static Map<String, AttributeValue> attributes(Node parent) {
    Map<String, AttributeValue> out = new LinkedHashMap<>();
    parent.list("attributes", a -> {
      String name = a.string("name");
      String type = a.string("type");
      AttributeValue v = switch (type) {
        case "TEXT" -> a.build(() -> new AttributeValue.Text(a.object("text").string("value")));
        case "SCALAR" -> a.build(() -> new AttributeValue.Scalar(a.object("scalar").number("value")));
        case "RANGES" -> new AttributeValue.RangesValue(ranges(a.object("ranges")));
        case "SET" -> a.build(() -> new AttributeValue.SetValue(new TreeSet<>(a.object("set").strings("item"))));
        default -> throw new CodecException("field '" + a.path + ".type' has unknown value '" + clip(type) + "'");
      };
      if (out.put(name, v) != null) {
        throw new CodecException("attribute '" + clip(name) + "' is given twice");
      }
      return name;
    });
    return out;
  }

  /** A {@code mesos.v1.AgentInfo}. */
  public static ObjectNode agentInfo(AgentInfo info) {
    ObjectNode o = F.objectNode();
    o.put("hostname", info.hostname());
    o.set("resources", resources(info.resources()));
    o.set("attributes", attributes(info.attributes()));
    return o;
  }

  static AgentInfo agentInfo(Node n) {
    return n.build(() -> new AgentInfo(n.string("hostname"), resources(n, "resources"), attributes(n)));
  }

  /** A {@code mesos.v1.Offer}. */
  public static ObjectNode offer(Offer offer) {
    ObjectNode o = F.objectNode();
    o.set("id", id(offer.id().value()));
    o.set("framework_id", id(offer.frameworkId().value()));
    o.set("agent_id", id(offer.agentId().value()));
    o.put("hostname", offer.hostname());
    ArrayNode res = resources(offer.resources());
    res.forEach(r -> ((ObjectNode) r).putObject("allocation_info").put("role", offer.allocationRole()));
    o.set("resources", res);
    o.set("attributes", attributes(offer.attributes()));
    o.putObject("allocation_info").put("role", offer.allocationRole());
    return o;
  }

  static Offer offer(Node n) {
    String role = n.optObject("allocation_info").flatMap(a -> a.optString("role")).orElse("*");
    return n.build(() -> new Offer(offerId(n.object("id")), frameworkId(n.object("framework_id")),
        agentId(n.object("agent_id")), n.string("hostname"), resources(n, "resources"), role, attributes(n)));
  }

  static ObjectNode command(CommandInfo c) {
    ObjectNode o = F.objectNode();
    o.put("shell", c.shell());
    o.put("value", c.value());
    ArrayNode args = o.putArray("arguments");
    c.arguments().forEach(args::add);
    ArrayNode vars = o.putObject("environment").putArray("variables");
    new java.util.TreeMap<>(c.environment()).forEach((k, v) -> {
      ObjectNode e = vars.addObject();
      e.put("name", k);
      e.put("type", "VALUE");
      e.put("value", v);
    });
    c.user().ifPresent(u -> o.put("user", u));
    return o;
  }

  static CommandInfo command(Node n) {
    boolean shell = n.optBoolean("shell").orElse(true);
    Map<String, String> env = new HashMap<>();
    n.optObject("environment").ifPresent(e -> e.list("variables", v -> {
      String name = v.string("name");
      if (env.put(name, v.optString("value").orElse("")) != null) {
        throw new CodecException("environment variable '" + clip(name) + "' is given twice");
      }
      return name;
    }));
    return n.build(() -> new CommandInfo(shell, n.string("value"), n.strings("arguments"), env, n.optString("user")));
  }

  /** A {@code mesos.v1.TaskInfo}. */
  public static ObjectNode taskInfo(TaskInfo t) {
    ObjectNode o = F.objectNode();
    o.put("name", t.name());
    o.set("task_id", id(t.taskId().value()));
    o.set("agent_id", id(t.agentId().value()));
    o.set("resources", resources(t.resources()));
    o.set("command", command(t.command()));
    if (!t.labels().isEmpty()) {
      ArrayNode labels = o.putObject("labels").putArray("labels");
      new java.util.TreeMap<>(t.labels()).forEach((k, v) -> {
        ObjectNode l = labels.addObject();
        l.put("key", k);
        l.put("value", v);
      });
    }
    t.killGracePeriod().ifPresent(g -> o.putObject("kill_policy").set("grace_period", durationInfo(g)));
    t.healthCheck().ifPresent(h -> o.set("health_check", healthCheck(h)));
    t.executor().ifPresent(e -> o.set("executor", executorInfo(e)));
    return o;
  }

  /**
   * A {@code mesos.v1.HealthCheck}: HTTPS is Mesos' HTTP type with scheme {@code https}; a COMMAND
   * check's command is a shell {@code CommandInfo}.
   */
  public static ObjectNode healthCheck(HealthCheck h) {
    ObjectNode o = F.objectNode();
    o.put("type", h.type() == HealthCheck.Type.HTTPS ? "HTTP" : h.type().name());
    o.put("delay_seconds", seconds(h.delay()));
    o.put("interval_seconds", seconds(h.interval()));
    o.put("timeout_seconds", seconds(h.timeout()));
    o.put("consecutive_failures", h.consecutiveFailures());
    o.put("grace_period_seconds", seconds(h.gracePeriod()));
    switch (h.type()) {
      case HTTP, HTTPS -> o.putObject("http").put("scheme", h.type() == HealthCheck.Type.HTTPS ? "https" : "http")
          .put("port", h.port()).put("path", h.path());
      case TCP -> o.putObject("tcp").put("port", h.port());
      case COMMAND -> o.putObject("command").put("shell", true).put("value", h.command().orElseThrow());
      default -> throw new AssertionError(h.type());
    }
    return o;
  }

  private static Duration seconds(Node n, String field, double otherwise) {
    double s = n.optNumber(field).orElse(otherwise);
    if (s < 0 || s > 1e9) {
      throw new CodecException("field '" + (n.path.isEmpty() ? field : n.path + "." + field)
          + "' must be in 0..1e9 seconds but was " + s);
    }
    return Duration.ofNanos(Math.round(s * 1e9));
  }

  static HealthCheck healthCheck(Node n) {
    String type = n.string("type");
    Duration delay = seconds(n, "delay_seconds", 15);
    Duration interval = seconds(n, "interval_seconds", 10);
    Duration timeout = seconds(n, "timeout_seconds", 20);
    Duration grace = seconds(n, "grace_period_seconds", 10);
    long failures = n.optInt64("consecutive_failures").orElse(3L);
    if (failures < 0 || failures > Integer.MAX_VALUE) {
      throw new CodecException("field '" + n.path + ".consecutive_failures' is out of range: " + failures);
    }
    return switch (type) {
      case "HTTP" -> {
        Node http = n.object("http");
        String scheme = http.optString("scheme").orElse("http");
        if (!scheme.equals("http") && !scheme.equals("https")) {
          throw new CodecException("field '" + http.path + ".scheme' must be http or https but was '"
              + clip(scheme) + "'");
        }
        yield n.build(() -> new HealthCheck(scheme.equals("https") ? HealthCheck.Type.HTTPS : HealthCheck.Type.HTTP,
            (int) Math.max(-1, Math.min(Integer.MAX_VALUE, http.int64("port"))), http.optString("path").orElse("/"),
            Optional.empty(), delay, interval, timeout, (int) failures, grace));
      }
      case "TCP" -> n.build(() -> new HealthCheck(HealthCheck.Type.TCP,
          (int) Math.max(-1, Math.min(Integer.MAX_VALUE, n.object("tcp").int64("port"))), "/", Optional.empty(), delay,
          interval, timeout, (int) failures, grace));
      case "COMMAND" -> n.build(() -> new HealthCheck(HealthCheck.Type.COMMAND, 0, "/",
          Optional.of(n.object("command").string("value")), delay, interval, timeout, (int) failures, grace));
      default -> throw new CodecException("field '" + (n.path.isEmpty() ? "type" : n.path + ".type")
          + "' has unsupported health check type '" + clip(type) + "' (Agora supports HTTP, TCP, COMMAND)");
    };
  }

  /** Decodes a {@code mesos.v1.HealthCheck} (see {@link #healthCheck(HealthCheck)}). */
  public static HealthCheck decodeHealthCheck(JsonNode json) {
    return healthCheck(new Node(json, ""));
  }

  /** Decodes a {@code mesos.v1.TaskInfo} (see {@link #taskInfo(TaskInfo)}). */
  public static TaskInfo decodeTaskInfo(JsonNode json) {
    return taskInfo(new Node(json, ""));
  }

  /** Decodes a {@code mesos.v1.ExecutorInfo} (see {@link #executorInfo(ExecutorInfo)}). */
  public static ExecutorInfo decodeExecutorInfo(JsonNode json) {
    return executorInfo(new Node(json, ""));
  }

  /** Decodes a {@code mesos.v1.TaskStatus} (see {@link #taskStatus(TaskStatus)}). */
  public static TaskStatus decodeTaskStatus(JsonNode json) {
    return taskStatus(new Node(json, ""));
  }

  /** A {@code mesos.v1.ExecutorInfo} of type CUSTOM. */
  public static ObjectNode executorInfo(ExecutorInfo e) {
    ObjectNode o = F.objectNode();
    o.put("type", "CUSTOM");
    o.set("executor_id", id(e.executorId().value()));
    o.put("name", e.name());
    o.set("command", command(e.command()));
    o.set("resources", resources(e.resources()));
    return o;
  }

  static ExecutorInfo executorInfo(Node n) {
    String type = n.optString("type").orElse("CUSTOM");
    if (!type.equals("CUSTOM")) {
      throw new CodecException("field '" + n.path + ".type' is '" + clip(type)
          + "'; Agora runs CUSTOM executors only (with a command)");
    }
    ExecutorId id = n.build(() -> ExecutorId.of(n.object("executor_id").string("value")));
    String name = n.optString("name").orElse(id.value());
    return n.build(() -> new ExecutorInfo(id, name.isBlank() ? id.value() : name, command(n.object("command")),
        resources(n, "resources")));
  }

  static TaskInfo taskInfo(Node n) {
    Map<String, String> labels = new HashMap<>();
    n.optObject("labels").ifPresent(l -> l.list("labels", x -> {
      String key = x.string("key");
      if (labels.put(key, x.optString("value").orElse("")) != null) {
        throw new CodecException("label '" + clip(key) + "' is given twice");
      }
      return key;
    }));
    Optional<Duration> grace = n.optObject("kill_policy").flatMap(p -> p.optObject("grace_period"))
        .map(MesosJson::durationInfo);
    Optional<HealthCheck> check = n.optObject("health_check").map(MesosJson::healthCheck);
    Optional<ExecutorInfo> executor = n.optObject("executor").map(MesosJson::executorInfo);
    CommandInfo command = n.has("command") || executor.isEmpty() ? command(n.object("command"))
        : executor.get().command();
    return n.build(() -> new TaskInfo(taskId(n.object("task_id")), n.string("name"), agentId(n.object("agent_id")),
        resources(n, "resources"), command, labels, grace, Map.of(), check, executor));
  }

  private static ObjectNode operation(Operation op) {
    ObjectNode o = F.objectNode();
    o.put("type", op.type());
    if (op instanceof Operation.Launch l) {
      ArrayNode tasks = o.putObject("launch").putArray("task_infos");
      l.tasks().forEach(t -> tasks.add(taskInfo(t)));
    } else if (op instanceof Operation.LaunchGroup g) {
      ObjectNode b = o.putObject("launch_group");
      b.set("executor", executorInfo(g.executor()));
      ArrayNode tasks = b.putObject("task_group").putArray("tasks");
      g.tasks().forEach(t -> tasks.add(taskInfo(t)));
    } else if (op instanceof Operation.Reserve r) {
      o.putObject("reserve").set("resources", resources(r.resources()));
    } else if (op instanceof Operation.Unreserve u) {
      o.putObject("unreserve").set("resources", resources(u.resources()));
    }
    return o;
  }

  private static Operation operation(Node n) {
    String type = n.string("type");
    return switch (type) {
      case "LAUNCH" -> new Operation.Launch(n.object("launch").list("task_infos", MesosJson::taskInfo));
      case "LAUNCH_GROUP" -> {
        Node b = n.object("launch_group");
        ExecutorInfo executor = executorInfo(b.object("executor"));
        List<TaskInfo> tasks = b.object("task_group").list("tasks", MesosJson::taskInfo);
        yield b.build(() -> new Operation.LaunchGroup(executor, tasks));
      }
      case "RESERVE" -> new Operation.Reserve(resources(n.object("reserve"), "resources"));
      case "UNRESERVE" -> new Operation.Unreserve(resources(n.object("unreserve"), "resources"));
      default -> throw new CodecException("field '" + n.path + ".type' has unsupported operation type '"
          + clip(type) + "' (Agora supports LAUNCH, LAUNCH_GROUP, RESERVE, UNRESERVE)");
    };
  }

  /** A {@code mesos.v1.TaskStatus}. */
  public static ObjectNode taskStatus(TaskStatus s) {
    ObjectNode o = F.objectNode();
    o.set("task_id", id(s.taskId().value()));
    o.put("state", "TASK_" + s.state().name());
    s.message().ifPresent(m -> o.put("message", m));
    o.put("source", s.source().name());
    s.reason().ifPresent(r -> o.put("reason", r.name()));
    s.agentId().ifPresent(a -> o.set("agent_id", id(a.value())));
    s.uuid().ifPresent(u -> o.put("uuid", uuid(u)));
    s.healthy().ifPresent(h -> o.put("healthy", h));
    o.put("timestamp", s.timestamp().getEpochSecond() + s.timestamp().getNano() / 1e9);
    return o;
  }

  private static TaskState taskState(Node n, String field) {
    String text = n.string(field);
    if (!text.startsWith("TASK_")) {
      throw new CodecException("field '" + (n.path.isEmpty() ? field : n.path + "." + field)
          + "' has unknown task state '" + clip(text) + "'");
    }
    try {
      return TaskState.valueOf(text.substring(5));
    } catch (IllegalArgumentException e) {
      throw new CodecException("field '" + (n.path.isEmpty() ? field : n.path + "." + field)
          + "' has unknown task state '" + clip(text) + "'");
    }
  }

  static TaskStatus taskStatus(Node n) {
    double ts = n.optNumber("timestamp").orElse(0.0);
    if (ts < 0 || ts > 1e13) {
      throw new CodecException("field '" + n.path + ".timestamp' is out of range: " + ts);
    }
    long micros = Math.round(ts * 1e6);
    Instant timestamp = Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000);
    Optional<TaskStatus.Reason> reason;
    try {
      reason = n.optEnum("reason", TaskStatus.Reason.class);
    } catch (CodecException e) {
      reason = Optional.empty(); // a Mesos reason Agora does not produce: keep the status, drop the reason
    }
    Optional<TaskStatus.Reason> r = reason;
    Optional<UUID> uuid = n.has("uuid") ? Optional.of(uuid(n, "uuid")) : Optional.empty();
    return n.build(() -> new TaskStatus(taskId(n.object("task_id")), taskState(n, "state"), r, n.optString("message"),
        n.optEnum("source", TaskStatus.Source.class).orElse(TaskStatus.Source.SOURCE_MASTER),
        n.optObject("agent_id").map(MesosJson::agentId), uuid, n.optBoolean("healthy"), timestamp));
  }
}
