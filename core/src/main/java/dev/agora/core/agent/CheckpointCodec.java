package dev.agora.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The JSON form of an agent's task checkpoint, written field by field with Jackson's tree model
 * so that the file format is explicit and does not follow the Java classes by accident.
 *
 * <p>Concurrency: stateless; the shared mapper is thread-safe. Decoding throws
 * {@link IllegalArgumentException} (or a Jackson exception) for a malformed record; the store
 * turns that into a message naming the file.
 */
final class CheckpointCodec {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final int VERSION = 1;

  private CheckpointCodec() {}

  /**
   * One task's checkpoint.
   *
   * @param checkpoint whether its framework checkpoints (if not, the task is killed on recovery)
   * @param pid the container's top process, 0 before it launched
   * @param pending its unacknowledged status updates, oldest first
   */
  record TaskRecord(
      boolean checkpoint,
      FrameworkId frameworkId,
      FrameworkInfo framework,
      TaskInfo task,
      String containerId,
      long pid,
      Path sandbox,
      Map<String, String> environment,
      Optional<String> user,
      TaskState state,
      List<TaskStatus> pending) {
    TaskRecord {
      environment = Map.copyOf(environment);
      pending = List.copyOf(pending);
    }
  }

  static ObjectNode encode(TaskRecord r) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("version", VERSION);
    n.put("checkpoint", r.checkpoint());
    n.put("frameworkId", r.frameworkId().value());
    n.set("framework", framework(r.framework()));
    n.set("task", task(r.task()));
    n.put("containerId", r.containerId());
    n.put("sandbox", r.sandbox().toString());
    n.set("environment", map(r.environment()));
    r.user().ifPresent(u -> n.put("user", u));
    n.put("pid", r.pid());
    n.put("state", r.state().name());
    ArrayNode pending = n.putArray("pending");
    r.pending().forEach(s -> pending.add(status(s)));
    return n;
  }

  /**
   * The bytes of {@link #encode}{@code (r)}, written straight to a generator instead of through a
   * tree (the agent writes one per task update: this is on the launch path). Same JSON, byte for byte.
   */
  static byte[] encodeBytes(TaskRecord r) throws java.io.IOException {
    return encodeBytes(r, encodePrefix(r));
  }

  /**
   * What stays the same over a task's life, encoded: the record's JSON up to its last constant
   * field (all but pid, state and pending), without the closing brace, for {@link #encodeBytes(TaskRecord, byte[])}.
   */
  static byte[] encodePrefix(TaskRecord r) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(2048);
    try (com.fasterxml.jackson.core.JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("version", VERSION);
      g.writeBooleanField("checkpoint", r.checkpoint());
      g.writeStringField("frameworkId", r.frameworkId().value());
      g.writeFieldName("framework");
      writeFramework(g, r.framework());
      g.writeFieldName("task");
      writeTask(g, r.task());
      g.writeStringField("containerId", r.containerId());
      g.writeStringField("sandbox", r.sandbox().toString());
      g.writeFieldName("environment");
      writeMap(g, r.environment());
      if (r.user().isPresent()) {
        g.writeStringField("user", r.user().get());
      }
      g.writeEndObject();
    }
    byte[] whole = out.toByteArray();
    return java.util.Arrays.copyOf(whole, whole.length - 1); // without '}'
  }

  /** The record's bytes from its {@link #encodePrefix} (of a record that differs at most in pid, state and pending). */
  static byte[] encodeBytes(TaskRecord r, byte[] prefix) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(prefix.length + 512);
    out.write(prefix);
    try (com.fasterxml.jackson.core.JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("pid", r.pid());
      g.writeStringField("state", r.state().name());
      g.writeArrayFieldStart("pending");
      for (TaskStatus st : r.pending()) {
        g.writeTree(status(st));
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    byte[] all = out.toByteArray();
    all[prefix.length] = ','; // the tail was written as an object of its own: its '{' continues the prefix's
    return all;
  }

  private static void writeFramework(com.fasterxml.jackson.core.JsonGenerator g, FrameworkInfo f)
      throws java.io.IOException {
    g.writeStartObject();
    if (f.id().isPresent()) {
      g.writeStringField("id", f.id().get().value());
    }
    g.writeStringField("name", f.name());
    g.writeStringField("user", f.user());
    g.writeArrayFieldStart("roles");
    for (String role : f.roles()) {
      g.writeString(role);
    }
    g.writeEndArray();
    if (f.principal().isPresent()) {
      g.writeStringField("principal", f.principal().get());
    }
    g.writeStringField("failoverTimeout", f.failoverTimeout().toString());
    g.writeBooleanField("checkpoint", f.checkpoint());
    g.writeArrayFieldStart("capabilities");
    for (FrameworkInfo.Capability c : f.capabilities()) {
      g.writeString(c.name());
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void writeTask(com.fasterxml.jackson.core.JsonGenerator g, TaskInfo t) throws java.io.IOException {
    g.writeStartObject();
    g.writeStringField("taskId", t.taskId().value());
    g.writeStringField("name", t.name());
    g.writeStringField("agentId", t.agentId().value());
    g.writeStringField("resources", t.resources().toString());
    g.writeObjectFieldStart("command");
    CommandInfo cmd = t.command();
    g.writeBooleanField("shell", cmd.shell());
    g.writeStringField("value", cmd.value());
    g.writeArrayFieldStart("arguments");
    for (String a : cmd.arguments()) {
      g.writeString(a);
    }
    g.writeEndArray();
    g.writeFieldName("environment");
    writeMap(g, cmd.environment());
    if (cmd.user().isPresent()) {
      g.writeStringField("user", cmd.user().get());
    }
    g.writeEndObject();
    g.writeFieldName("labels");
    writeMap(g, t.labels());
    if (t.killGracePeriod().isPresent()) {
      g.writeStringField("killGracePeriod", t.killGracePeriod().get().toString());
    }
    if (t.healthCheck().isPresent()) {
      g.writeFieldName("healthCheck");
      g.writeTree(dev.agora.core.codec.MesosJson.healthCheck(t.healthCheck().get()));
    }
    g.writeEndObject();
  }

  private static void writeMap(com.fasterxml.jackson.core.JsonGenerator g, Map<String, String> m)
      throws java.io.IOException {
    g.writeStartObject();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(m).entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  static TaskRecord decodeTask(JsonNode n) {
    int version = req(n, "version").asInt();
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported checkpoint version " + version);
    }
    List<TaskStatus> pending = new ArrayList<>();
    for (JsonNode s : req(n, "pending")) {
      pending.add(status(s));
    }
    return new TaskRecord(req(n, "checkpoint").asBoolean(), FrameworkId.of(text(n, "frameworkId")),
        framework(req(n, "framework")), task(req(n, "task")), text(n, "containerId"), req(n, "pid").asLong(),
        Path.of(text(n, "sandbox")), map(req(n, "environment")), optText(n, "user"),
        TaskState.valueOf(text(n, "state")), pending);
  }

  // ------------------------------------------------------------------ model types

  static ObjectNode framework(FrameworkInfo f) {
    ObjectNode n = MAPPER.createObjectNode();
    f.id().ifPresent(id -> n.put("id", id.value()));
    n.put("name", f.name());
    n.put("user", f.user());
    ArrayNode roles = n.putArray("roles");
    f.roles().forEach(roles::add);
    f.principal().ifPresent(p -> n.put("principal", p));
    n.put("failoverTimeout", f.failoverTimeout().toString());
    n.put("checkpoint", f.checkpoint());
    ArrayNode caps = n.putArray("capabilities");
    f.capabilities().forEach(c -> caps.add(c.name()));
    return n;
  }

  static FrameworkInfo framework(JsonNode n) {
    List<String> roles = new ArrayList<>();
    req(n, "roles").forEach(r -> roles.add(r.asText()));
    Set<FrameworkInfo.Capability> caps = EnumSet.noneOf(FrameworkInfo.Capability.class);
    req(n, "capabilities").forEach(c -> caps.add(FrameworkInfo.Capability.valueOf(c.asText())));
    return new FrameworkInfo(optText(n, "id").map(FrameworkId::of), text(n, "name"), text(n, "user"), roles,
        optText(n, "principal"), Duration.parse(text(n, "failoverTimeout")), req(n, "checkpoint").asBoolean(), caps);
  }

  static ObjectNode task(TaskInfo t) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("taskId", t.taskId().value());
    n.put("name", t.name());
    n.put("agentId", t.agentId().value());
    n.put("resources", t.resources().toString());
    ObjectNode c = n.putObject("command");
    CommandInfo cmd = t.command();
    c.put("shell", cmd.shell());
    c.put("value", cmd.value());
    ArrayNode args = c.putArray("arguments");
    cmd.arguments().forEach(args::add);
    c.set("environment", map(cmd.environment()));
    cmd.user().ifPresent(u -> c.put("user", u));
    n.set("labels", map(t.labels()));
    t.killGracePeriod().ifPresent(g -> n.put("killGracePeriod", g.toString()));
    t.healthCheck().ifPresent(h -> n.set("healthCheck", dev.agora.core.codec.MesosJson.healthCheck(h)));
    return n;
  }

  static TaskInfo task(JsonNode n) {
    JsonNode c = req(n, "command");
    List<String> args = new ArrayList<>();
    req(c, "arguments").forEach(a -> args.add(a.asText()));
    CommandInfo cmd = new CommandInfo(req(c, "shell").asBoolean(), text(c, "value"), args,
        map(req(c, "environment")), optText(c, "user"));
    return new TaskInfo(TaskId.of(text(n, "taskId")), text(n, "name"), AgentId.of(text(n, "agentId")),
        Resources.parse(text(n, "resources")), cmd, map(req(n, "labels")),
        optText(n, "killGracePeriod").map(Duration::parse), Map.of(),
        Optional.ofNullable(n.get("healthCheck")).map(dev.agora.core.codec.MesosJson::decodeHealthCheck),
        Optional.empty());
  }

  static ObjectNode status(TaskStatus s) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("taskId", s.taskId().value());
    n.put("state", s.state().name());
    s.reason().ifPresent(r -> n.put("reason", r.name()));
    s.message().ifPresent(m -> n.put("message", m));
    n.put("source", s.source().name());
    s.agentId().ifPresent(a -> n.put("agentId", a.value()));
    s.uuid().ifPresent(u -> n.put("uuid", u.toString()));
    s.healthy().ifPresent(h -> n.put("healthy", h));
    n.put("timestamp", s.timestamp().toString());
    return n;
  }

  static TaskStatus status(JsonNode n) {
    return new TaskStatus(TaskId.of(text(n, "taskId")), TaskState.valueOf(text(n, "state")),
        optText(n, "reason").map(TaskStatus.Reason::valueOf), optText(n, "message"),
        TaskStatus.Source.valueOf(text(n, "source")), optText(n, "agentId").map(AgentId::of),
        optText(n, "uuid").map(UUID::fromString), n.has("healthy") ? Optional.of(n.get("healthy").asBoolean())
            : Optional.empty(), Instant.parse(text(n, "timestamp")));
  }

  // ------------------------------------------------------------------ helpers

  private static ObjectNode map(Map<String, String> m) {
    ObjectNode n = MAPPER.createObjectNode();
    new java.util.TreeMap<>(m).forEach(n::put);
    return n;
  }

  private static Map<String, String> map(JsonNode n) {
    if (!n.isObject()) {
      throw new IllegalArgumentException("expected an object but found " + n.getNodeType());
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  private static JsonNode req(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field '" + field + "'");
    }
    return v;
  }

  private static String text(JsonNode n, String field) {
    return req(n, field).asText();
  }

  private static Optional<String> optText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }
}
