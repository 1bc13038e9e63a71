package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.TaskState;
import java.io.IOException;
import java.net.URI;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The master's operator endpoints, read through {@link Master#snapshot()}:
 * <ul>
 *   <li>{@code POST /api/v1}: the Mesos v1 operator API ({@code master::Call}): GET_HEALTH,
 *       GET_VERSION, GET_FLAGS, GET_METRICS, GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_TASKS,
 *       GET_MASTER, GET_WEIGHTS, UPDATE_WEIGHTS, GET_ROLES, GET_QUOTA, UPDATE_QUOTA, RESERVE_RESOURCES,
 *       UNRESERVE_RESOURCES, MARK_AGENT_GONE, and the maintenance calls GET_MAINTENANCE_SCHEDULE,
 *       UPDATE_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS, START_MAINTENANCE, STOP_MAINTENANCE,
 *       DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT; the other Mesos operator calls answer 501.
 *   <li>{@code GET /health} (200 when the master leads, 503 otherwise), {@code GET /state} (a JSON
 *       snapshot) and {@code GET /metrics} (Prometheus text format).
 * </ul>
 *
 * <p>Concurrency: called on request threads; each request waits (up to 5 s) for one snapshot.
 */
public final class OperatorApi implements HttpHandler {
  /** The Mesos v1 operator call types (master.proto), implemented or not. */
  public static final Set<String> CALL_TYPES = Set.of("GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS",
      "GET_LOGGING_LEVEL", "SET_LOGGING_LEVEL", "LIST_FILES", "READ_FILE", "GET_STATE", "GET_AGENTS",
      "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_OPERATIONS", "GET_TASKS", "GET_ROLES", "GET_WEIGHTS", "UPDATE_WEIGHTS",
      "GET_MASTER", "SUBSCRIBE", "RESERVE_RESOURCES", "UNRESERVE_RESOURCES", "CREATE_VOLUMES", "DESTROY_VOLUMES",
      "GROW_VOLUME", "SHRINK_VOLUME", "GET_MAINTENANCE_STATUS", "GET_MAINTENANCE_SCHEDULE",
      "UPDATE_MAINTENANCE_SCHEDULE", "START_MAINTENANCE", "STOP_MAINTENANCE", "DRAIN_AGENT", "DEACTIVATE_AGENT",
      "REACTIVATE_AGENT", "GET_QUOTA", "UPDATE_QUOTA", "TEARDOWN", "MARK_AGENT_GONE");

  private final Master master;
  private final String baseUrl;
  private final Map<String, String> flags;
  private final dev.agora.core.security.Acls acls;
  /** The calls that read the cluster's state, authorized as {@code view_state}. */
  static final Set<String> VIEW_CALLS = Set.of("GET_STATE", "GET_AGENTS", "GET_FRAMEWORKS", "GET_TASKS", "GET_ROLES",
      "GET_WEIGHTS", "GET_QUOTA", "SUBSCRIBE");

  /**
   * An operator API for {@code master}, served at {@code baseUrl}, reporting {@code flags} (the
   * process's settings, with no secret in them) from GET_FLAGS.
   */
  public OperatorApi(Master master, String baseUrl, Map<String, String> flags) {
    this(master, baseUrl, flags, dev.agora.core.security.Acls.permitAll());
  }

  /** As {@link #OperatorApi(Master, String, Map)}, authorizing calls with {@code acls}. */
  public OperatorApi(Master master, String baseUrl, Map<String, String> flags, dev.agora.core.security.Acls acls) {
    this.master = master;
    this.baseUrl = baseUrl;
    this.flags = Map.copyOf(flags);
    this.acls = java.util.Objects.requireNonNull(acls, "acls");
  }

  /** Serves {@code /api/v1}, {@code /health}, {@code /state} and {@code /metrics} on {@code transport}. */
  public static void serve(HttpTransport transport, Master master) {
    serve(transport, master, Map.of());
  }

  /** As {@link #serve(HttpTransport, Master)}, reporting {@code flags} from GET_FLAGS. */
  public static void serve(HttpTransport transport, Master master, Map<String, String> flags) {
    OperatorApi api = new OperatorApi(master, transport.baseUrl(), flags, transport.acls);
    for (String path : new String[] {"/api/v1", "/health", "/state", "/metrics"}) {
      transport.addHandler(path, api);
    }
  }

  /** Agora's version, from the jar manifest. */
  static String version() {
    String v = OperatorApi.class.getPackage().getImplementationVersion();
    return v != null ? v : "development";
  }

  private MasterSnapshot snapshot() {
    try {
      return master.snapshot().get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new Exchanges.HttpError(503, "the master did not answer within 5 s");
    } catch (ExecutionException e) {
      throw new Exchanges.HttpError(503, "the master is not running");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Exchanges.HttpError(503, "interrupted");
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    switch (path) {
      case "/health" -> {
        requireGet(method);
        boolean leading = snapshot().leading();
        Exchanges.sendText(exchange, leading ? 200 : 503, leading ? "" : "not leading");
      }
      case "/state" -> {
        requireGet(method);
        AclChecks.require(acls, AclChecks.principal(exchange), dev.agora.core.security.Acls.Action.VIEW_STATE,
            java.util.Optional.empty());
        Exchanges.sendJson(exchange, 200, state(snapshot()));
      }
      case "/metrics" -> {
        requireGet(method);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        byte[] body = (prometheus(snapshot()) + prometheus(master.metrics()))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, method.equals("HEAD") ? -1 : body.length);
        if (!method.equals("HEAD")) {
          exchange.getResponseBody().write(body);
        }
        exchange.close();
      }
      case "/api/v1" -> {
        if (!method.equals("POST")) {
          throw new Exchanges.HttpError(405, "use POST for operator calls");
        }
        call(exchange, Exchanges.json(exchange));
      }
      default -> throw new Exchanges.HttpError(404, "no such endpoint " + path);
    }
  }

  private static void requireGet(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new Exchanges.HttpError(405, "use GET");
    }
  }

  private void call(HttpExchange exchange, JsonNode json) throws IOException {
    if (!json.isObject()) {
      throw new Exchanges.HttpError(400, "an operator call must be a JSON object");
    }
    JsonNode typeNode = json.get("type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw new Exchanges.HttpError(400, "field 'type' is required and must be a string");
    }
    String type = typeNode.textValue();
    if (!CALL_TYPES.contains(type)) {
      throw new Exchanges.HttpError(400, "field 'type' has unknown operator call type '"
          + Exchanges.MesosJsonClip.clip(type) + "'");
    }
    java.util.Optional<String> principal = AclChecks.principal(exchange);
    if (VIEW_CALLS.contains(type)) {
      AclChecks.require(acls, principal, dev.agora.core.security.Acls.Action.VIEW_STATE, java.util.Optional.empty());
    }
    ObjectNode out = MesosJson.mapper().createObjectNode();
    out.put("type", type);
    String field = type.toLowerCase(java.util.Locale.ROOT);
    switch (type) {
      case "GET_HEALTH" -> out.putObject(field).put("healthy", snapshot().leading());
      case "GET_VERSION" -> {
        ObjectNode v = out.putObject(field).putObject("version_info");
        v.put("version", version());
      }
      case "GET_FLAGS" -> {
        ArrayNode a = out.putObject(field).putArray("flags");
        new java.util.TreeMap<>(flags).forEach((k, v) -> {
          ObjectNode f = a.addObject();
          f.put("name", k);
          f.put("value", v);
        });
      }
      case "GET_METRICS" -> {
        ArrayNode a = out.putObject(field).putArray("metrics");
        Map<String, Double> values = metrics(snapshot());
        dev.agora.core.master.MasterMetrics work = master.metrics();
        values.put("master/allocation_runs", (double) work.allocationRuns());
        values.put("master/allocation_seconds_total", work.allocationSecondsSum());
        values.put("master/offers_sent", (double) work.offersSent());
        values.put("master/event_queue_size", (double) work.eventQueueDepth());
        values.forEach((k, v) -> {
          ObjectNode m = a.addObject();
          m.put("name", k);
          m.put("value", v);
        });
      }
      case "GET_STATE" -> out.set(field, getState(snapshot()));
      case "GET_AGENTS" -> out.set(field, getAgents(snapshot()));
      case "GET_FRAMEWORKS" -> out.set(field, getFrameworks(snapshot()));
      case "GET_TASKS" -> out.set(field, getTasks(snapshot()));
      case "GET_MASTER" -> {
        ObjectNode info = out.putObject(field).putObject("master_info");
        URI u = URI.create(baseUrl);
        info.put("id", master.address().value());
        info.put("hostname", u.getHost());
        info.put("port", u.getPort());
        ObjectNode address = info.putObject("address");
        address.put("hostname", u.getHost());
        address.put("port", u.getPort());
      }
      case "TEARDOWN" -> {
        JsonNode id = json.path("teardown").path("framework_id").path("value");
        if (!id.isTextual() || id.textValue().isBlank()) {
          throw new Exchanges.HttpError(400, "field 'teardown.framework_id.value' is required and must be a string");
        }
        dev.agora.core.model.FrameworkId fid;
        try {
          fid = dev.agora.core.model.FrameworkId.of(id.textValue());
        } catch (IllegalArgumentException e) {
          throw new Exchanges.HttpError(400, "field 'teardown.framework_id.value': " + e.getMessage());
        }
        AclChecks.require(acls, principal, dev.agora.core.security.Acls.Action.TEARDOWN_FRAMEWORKS,
            await(master.frameworkPrincipal(fid)));
        boolean known;
        try {
          known = master.teardown(fid).get(5, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
          throw new Exchanges.HttpError(503, "the master did not answer");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Exchanges.HttpError(503, "interrupted");
        }
        if (!known) {
          throw new Exchanges.HttpError(404, "framework '" + Exchanges.MesosJsonClip.clip(id.textValue())
              + "' is not known to the master");
        }
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "SUBSCRIBE" -> {
        new OperatorEventStream(master, exchange).run();
        return;
      }
      case "GET_WEIGHTS" -> {
        ArrayNode a = out.putObject(field).putArray("weight_infos");
        await(master.weights()).forEach((role, weight) -> a.addObject().put("role", role).put("weight", weight));
      }
      case "UPDATE_WEIGHTS" -> {
        java.util.Map<String, Double> weights = new java.util.LinkedHashMap<>();
        JsonNode infos = json.path("update_weights").path("weight_infos");
        if (!infos.isArray()) {
          throw new Exchanges.HttpError(400, "field 'update_weights.weight_infos' is required and must be an array");
        }
        for (int i = 0; i < infos.size(); i++) {
          JsonNode role = infos.get(i).path("role");
          JsonNode weight = infos.get(i).path("weight");
          if (!role.isTextual() || !weight.isNumber()) {
            throw new Exchanges.HttpError(400, "field 'update_weights.weight_infos[" + i
                + "]' needs a string 'role' and a number 'weight'");
          }
          weights.put(role.textValue(), weight.doubleValue());
        }
        for (String role : weights.keySet()) {
          AclChecks.require(acls, principal, dev.agora.core.security.Acls.Action.UPDATE_WEIGHTS,
              java.util.Optional.of(role));
        }
        await(master.updateWeights(weights));
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "GET_ROLES" -> {
        ArrayNode a = out.putObject(field).putArray("roles");
        for (dev.agora.core.allocation.RoleInfo r : await(master.roles())) {
          ObjectNode o = a.addObject();
          o.put("name", r.role());
          o.put("weight", r.weight());
          o.set("resources", MesosJson.resources(r.allocated()));
          o.set("reserved_resources", MesosJson.resources(r.reserved()));
          o.put("dominant_share", r.dominantShare());
          ArrayNode fws = o.putArray("frameworks");
          r.frameworks().forEach(id -> fws.addObject().put("value", id));
          o.set("quota", quota(r.role(), r.quota()));
          if (!r.guaranteeBeyondCluster().isEmpty()) {
            o.set("guarantee_beyond_cluster", quantitiesJson(r.guaranteeBeyondCluster()));
          }
        }
      }
      case "GET_QUOTA" -> {
        ArrayNode a = out.putObject(field).putObject("status").putArray("configs");
        await(master.quotas()).forEach((role, q) -> a.add(quota(role, q)));
      }
      case "UPDATE_QUOTA" -> {
        JsonNode configs = json.path("update_quota").path("quota_configs");
        if (!configs.isArray()) {
          throw new Exchanges.HttpError(400, "field 'update_quota.quota_configs' is required and must be an array");
        }
        for (JsonNode c : configs) { // every role authorized before any quota changes
          if (c.path("role").isTextual()) {
            AclChecks.require(acls, principal, dev.agora.core.security.Acls.Action.UPDATE_QUOTAS,
                java.util.Optional.of(c.path("role").textValue()));
          }
        }
        for (int i = 0; i < configs.size(); i++) {
          JsonNode c = configs.get(i);
          String path = "update_quota.quota_configs[" + i + "]";
          if (!c.path("role").isTextual()) {
            throw new Exchanges.HttpError(400, "field '" + path + ".role' is required and must be a string");
          }
          await(master.updateQuota(c.path("role").textValue(), new dev.agora.core.allocation.Quota(
              quantities(c.path("guarantees"), path + ".guarantees"), quantities(c.path("limits"), path + ".limits"))));
        }
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "RESERVE_RESOURCES", "UNRESERVE_RESOURCES" -> {
        JsonNode body = json.path(field);
        dev.agora.core.model.AgentId agent = agentId(body.path("agent_id").path("value"), field + ".agent_id.value");
        dev.agora.core.model.Resources resources;
        try {
          resources = MesosJson.decodeResources(body, field);
        } catch (RuntimeException e) {
          throw new Exchanges.HttpError(400, e.getMessage());
        }
        AclChecks.roles(acls, principal, type.equals("RESERVE_RESOURCES")
            ? dev.agora.core.security.Acls.Action.RESERVE_RESOURCES
            : dev.agora.core.security.Acls.Action.UNRESERVE_RESOURCES, resources);
        await(type.equals("RESERVE_RESOURCES") ? master.reserve(agent, resources) : master.unreserve(agent, resources));
        Exchanges.sendEmpty(exchange, 202);
        return;
      }
      case "MARK_AGENT_GONE" -> {
        dev.agora.core.model.AgentId agent =
            agentId(json.path("mark_agent_gone").path("agent_id").path("value"), "mark_agent_gone.agent_id.value");
        if (!await(master.markAgentGone(agent))) {
          throw new Exchanges.HttpError(404, "agent '" + agent + "' is not known to the master or already gone");
        }
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "GET_MAINTENANCE_SCHEDULE" ->
          out.putObject(field).set("schedule", MesosJson.maintenanceSchedule(await(master.maintenanceSchedule())));
      case "GET_MAINTENANCE_STATUS" ->
          out.putObject(field).set("status", MesosJson.maintenanceStatus(await(master.maintenanceStatus())));
      case "UPDATE_MAINTENANCE_SCHEDULE" -> {
        JsonNode schedule = json.path(field).path("schedule");
        if (!schedule.isObject()) {
          throw new Exchanges.HttpError(400, "field '" + field + ".schedule' is required and must be an object");
        }
        dev.agora.core.model.MaintenanceSchedule decoded;
        try {
          decoded = MesosJson.decodeMaintenanceSchedule(schedule, field + ".schedule");
        } catch (RuntimeException e) {
          throw new Exchanges.HttpError(400, e.getMessage());
        }
        await(master.updateMaintenanceSchedule(decoded));
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "START_MAINTENANCE", "STOP_MAINTENANCE" -> {
        JsonNode body = json.path(field);
        if (!body.path("machines").isArray()) {
          throw new Exchanges.HttpError(400, "field '" + field + ".machines' is required and must be an array");
        }
        List<dev.agora.core.model.MachineId> machines;
        try {
          machines = MesosJson.decodeMachines(body, field);
        } catch (RuntimeException e) {
          throw new Exchanges.HttpError(400, e.getMessage());
        }
        await(type.equals("START_MAINTENANCE") ? master.startMaintenance(machines) : master.stopMaintenance(machines));
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "DRAIN_AGENT" -> {
        JsonNode body = json.path(field);
        dev.agora.core.model.AgentId agent = agentId(body.path("agent_id").path("value"), field + ".agent_id.value");
        java.util.Optional<java.time.Duration> grace = java.util.Optional.empty();
        JsonNode ns = body.path("max_grace_period").path("nanoseconds");
        if (!ns.isMissingNode()) {
          if (!ns.canConvertToLong() || ns.asLong() < 0) {
            throw new Exchanges.HttpError(400, "field '" + field + ".max_grace_period.nanoseconds' must be an"
                + " integer >= 0");
          }
          grace = java.util.Optional.of(java.time.Duration.ofNanos(ns.asLong()));
        }
        JsonNode markGone = body.path("mark_gone");
        if (!markGone.isMissingNode() && !markGone.isBoolean()) {
          throw new Exchanges.HttpError(400, "field '" + field + ".mark_gone' must be a boolean");
        }
        await(master.drainAgent(agent, grace, markGone.asBoolean(false)));
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      case "DEACTIVATE_AGENT", "REACTIVATE_AGENT" -> {
        dev.agora.core.model.AgentId agent =
            agentId(json.path(field).path("agent_id").path("value"), field + ".agent_id.value");
        await(type.equals("DEACTIVATE_AGENT") ? master.deactivateAgent(agent) : master.reactivateAgent(agent));
        Exchanges.sendEmpty(exchange, 200);
        return;
      }
      default -> throw new Exchanges.HttpError(501, "operator call " + type + " is not implemented yet");
    }
    Exchanges.sendJson(exchange, 200, out);
  }

  static ObjectNode getAgents(MasterSnapshot s) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    ArrayNode a = o.putArray("agents");
    for (MasterSnapshot.AgentView v : s.agents()) {
      ObjectNode e = a.addObject();
      ObjectNode info = e.putObject("agent_info");
      info.putObject("id").put("value", v.id().value());
      info.put("hostname", v.hostname());
      info.set("resources", MesosJson.resources(v.total()));
      e.put("active", true);
      e.set("total_resources", MesosJson.resources(v.total()));
    }
    return o;
  }

  static ObjectNode getFrameworks(MasterSnapshot s) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    ArrayNode a = o.putArray("frameworks");
    for (MasterSnapshot.FrameworkView f : s.frameworks()) {
      ObjectNode e = a.addObject();
      ObjectNode info = e.putObject("framework_info");
      info.putObject("id").put("value", f.id().value());
      info.put("name", f.name());
      e.put("active", f.connected());
      e.put("connected", f.connected());
    }
    return o;
  }

  static ObjectNode getTasks(MasterSnapshot s) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    ArrayNode a = o.putArray("tasks");
    for (MasterSnapshot.FrameworkView f : s.frameworks()) {
      for (MasterSnapshot.TaskView t : f.tasks()) {
        ObjectNode e = a.addObject();
        e.put("name", t.id().value());
        e.putObject("task_id").put("value", t.id().value());
        e.putObject("framework_id").put("value", f.id().value());
        e.putObject("agent_id").put("value", t.agentId().value());
        e.put("state", "TASK_" + t.state().name());
        e.set("resources", MesosJson.resources(t.resources()));
      }
    }
    return o;
  }

  static ObjectNode getState(MasterSnapshot s) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    o.set("get_tasks", getTasks(s));
    o.set("get_frameworks", getFrameworks(s));
    o.set("get_agents", getAgents(s));
    o.putObject("get_executors").putArray("executors");
    return o;
  }

  private static ObjectNode state(MasterSnapshot s) {
    ObjectNode o = getState(s);
    o.put("leading", s.leading());
    o.put("outstanding_offers", s.outstandingOffers());
    o.put("version", version());
    return o;
  }

  private static Map<String, Double> metrics(MasterSnapshot s) {
    Map<String, Double> m = new java.util.LinkedHashMap<>();
    m.put("master/elected", s.leading() ? 1.0 : 0.0);
    m.put("master/agents_active", (double) s.agents().size());
    m.put("master/frameworks_connected", (double) s.frameworks().stream().filter(MasterSnapshot.FrameworkView::connected)
        .count());
    m.put("master/frameworks_disconnected", (double) s.frameworks().stream().filter(f -> !f.connected()).count());
    m.put("master/outstanding_offers", (double) s.outstandingOffers());
    EnumMap<TaskState, Integer> byState = new EnumMap<>(TaskState.class);
    s.frameworks().forEach(f -> f.tasks().forEach(t -> byState.merge(t.state(), 1, Integer::sum)));
    for (TaskState st : TaskState.values()) {
      m.put("master/tasks_" + st.name().toLowerCase(java.util.Locale.ROOT), (double) byState.getOrDefault(st, 0));
    }
    return m;
  }

  /** The master's work counters in Prometheus text format. */
  static String prometheus(dev.agora.core.master.MasterMetrics m) {
    return "# HELP agora_master_allocation_seconds Duration of allocation cycles.\n"
        + "# TYPE agora_master_allocation_seconds summary\n"
        + "agora_master_allocation_seconds_count " + m.allocationRuns() + "\n"
        + "agora_master_allocation_seconds_sum " + m.allocationSecondsSum() + "\n"
        + "# HELP agora_master_allocation_last_seconds Duration of the latest allocation cycle.\n"
        + "# TYPE agora_master_allocation_last_seconds gauge\n"
        + "agora_master_allocation_last_seconds " + m.allocationSecondsLast() + "\n"
        + "# HELP agora_master_offers_sent_total Offers made to frameworks.\n"
        + "# TYPE agora_master_offers_sent_total counter\n"
        + "agora_master_offers_sent_total " + m.offersSent() + "\n"
        + "# HELP agora_master_event_queue_depth Events waiting in the master's loop.\n"
        + "# TYPE agora_master_event_queue_depth gauge\n"
        + "agora_master_event_queue_depth " + m.eventQueueDepth() + "\n";
  }

  static String prometheus(MasterSnapshot s) {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP agora_master_elected 1 if this master leads.\n# TYPE agora_master_elected gauge\n");
    sb.append("agora_master_elected ").append(s.leading() ? 1 : 0).append('\n');
    sb.append("# HELP agora_master_agents Registered agents.\n# TYPE agora_master_agents gauge\n");
    sb.append("agora_master_agents ").append(s.agents().size()).append('\n');
    sb.append("# HELP agora_master_frameworks Frameworks by connection.\n# TYPE agora_master_frameworks gauge\n");
    long connected = s.frameworks().stream().filter(MasterSnapshot.FrameworkView::connected).count();
    sb.append("agora_master_frameworks{connected=\"true\"} ").append(connected).append('\n');
    sb.append("agora_master_frameworks{connected=\"false\"} ").append(s.frameworks().size() - connected).append('\n');
    sb.append("# HELP agora_master_outstanding_offers Offers sent and not yet answered.\n"
        + "# TYPE agora_master_outstanding_offers gauge\n");
    sb.append("agora_master_outstanding_offers ").append(s.outstandingOffers()).append('\n');
    sb.append("# HELP agora_master_tasks Tasks the master knows, by state.\n# TYPE agora_master_tasks gauge\n");
    EnumMap<TaskState, Integer> byState = new EnumMap<>(TaskState.class);
    s.frameworks().forEach(f -> f.tasks().forEach(t -> byState.merge(t.state(), 1, Integer::sum)));
    for (TaskState st : TaskState.values()) {
      sb.append("agora_master_tasks{state=\"TASK_").append(st.name()).append("\"} ")
          .append(byState.getOrDefault(st, 0)).append('\n');
    }
    return sb.toString();
  }

  /**
   * Waits for an operator call the master runs on its loop. A bad value the master refuses is the
   * caller's mistake (400); a master that does not lead or does not answer is unavailable (503).
   */
  private static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException) {
        throw new Exchanges.HttpError(400, cause.getMessage());
      }
      if (cause instanceof IllegalStateException) {
        throw new Exchanges.HttpError(503, cause.getMessage());
      }
      throw new Exchanges.HttpError(500, "the operator call failed");
    } catch (TimeoutException e) {
      throw new Exchanges.HttpError(503, "the master did not answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Exchanges.HttpError(503, "interrupted");
    }
  }

  private static dev.agora.core.model.AgentId agentId(JsonNode value, String path) {
    if (!value.isTextual()) {
      throw new Exchanges.HttpError(400, "field '" + path + "' is required and must be a string");
    }
    try {
      return dev.agora.core.model.AgentId.of(value.textValue());
    } catch (IllegalArgumentException e) {
      throw new Exchanges.HttpError(400, "field '" + path + "': " + e.getMessage());
    }
  }

  /** Mesos's quota quantities: {@code {"cpus": {"value": 10}, "mem": {"value": 2048}}}. */
  private static dev.agora.core.model.Resources quantities(JsonNode node, String path) {
    dev.agora.core.model.Resources.Builder b = dev.agora.core.model.Resources.builder();
    if (node.isMissingNode() || node.isNull()) {
      return b.build();
    }
    if (!node.isObject()) {
      throw new Exchanges.HttpError(400, "field '" + path + "' must be an object of name to {\"value\": number}");
    }
    var fields = node.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      JsonNode v = e.getValue().path("value");
      if (!v.isNumber()) {
        throw new Exchanges.HttpError(400, "field '" + path + "." + e.getKey() + ".value' must be a number");
      }
      try {
        b.scalar(e.getKey(), v.doubleValue());
      } catch (IllegalArgumentException ex) {
        throw new Exchanges.HttpError(400, "field '" + path + "." + e.getKey() + "': " + ex.getMessage());
      }
    }
    return b.build();
  }

  private static ObjectNode quota(String role, dev.agora.core.allocation.Quota q) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    o.put("role", role);
    o.set("guarantees", quantitiesJson(q.guarantee()));
    o.set("limits", quantitiesJson(q.limit()));
    return o;
  }

  private static ObjectNode quantitiesJson(dev.agora.core.model.Resources r) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    for (String name : r.names()) {
      o.putObject(name).put("value", r.scalar(name));
    }
    return o;
  }
}
