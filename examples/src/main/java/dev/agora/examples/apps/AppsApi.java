package dev.agora.examples.apps;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.TaskId;
import dev.agora.examples.store.StoreWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Marathon's {@code /v2} REST API over the apps scheduler, independent of the HTTP server: a
 * request in, a status and JSON body out. The HTTP layer and simulated tests both call
 * {@link #handle}.
 *
 * <p>Concurrency: {@link #handle} may be called from any thread; parsing happens on the caller's
 * thread, everything touching state runs on the scheduler's loop.
 *
 * <p>Durability: a request that changes apps stores every change ({@link StoreWrites}, made on the
 * store's thread by the service's {@link StoreWriter}, not on the loop) before it changes anything
 * in memory; a 2xx answer means the change is stored. A write the store refuses answers 409, one it
 * fails answers 503, each naming the app or group; the writes already made are undone and the
 * in-memory state is left as it was. Requests are served one at a time: one that arrives while
 * another's writes are out waits for them (a GET does not: it answers from memory, without the
 * pending change).
 */
public final class AppsApi {
  /** An API answer: HTTP status and JSON body (or text for /ping). */
  public record Response(int status, String body, Map<String, String> headers) {
    static Response json(int status, JsonNode body) {
      return new Response(status, body.toString(), Map.of("Content-Type", "application/json"));
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64)
        .maxStringLength(1_000_000).build());
  }

  private final AppsScheduler scheduler;
  private final StoreWriter writer;
  private final Supplier<Boolean> leading;
  private final String leaderAddress;
  private final GroupsApi groups;
  /** The store writes of the request being served (on the loop; null between requests). */
  private StoreWrites writes;
  /** What the request being served does once its writes are stored (null: it answered already). */
  private Supplier<Response> afterStored;
  /** What it undoes in memory if they are not (ports it took). */
  private Runnable ifNotStored;
  /** Whether a request's writes are in the store's hands; requests that arrive meanwhile wait. */
  private boolean storing;
  private final java.util.ArrayDeque<Runnable> waiting = new java.util.ArrayDeque<>();
  AppsApi(AppsScheduler scheduler, StoreWriter writer, Supplier<Boolean> leading, String leaderAddress) {
    this.scheduler = scheduler;
    this.writer = writer;
    this.leading = leading;
    this.leaderAddress = leaderAddress;
    this.groups = new GroupsApi(scheduler, this);
  }

  boolean leading() {
    return leading.get();
  }

  /** Where followers find the leader's URL for /v2/leader; set by the service. */
  volatile java.util.function.Supplier<Optional<String>> leaderUrl = Optional::empty;

  GroupsApi groups() {
    return groups;
  }

  static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not JSON: " + json, e);
    }
  }

  /**
   * Ends the request being served once its store writes are made: {@code then} makes its in-memory
   * change and gives the answer, on the loop; if a write is refused or fails, {@code otherwise}
   * undoes what the request took in memory before (service ports) and the request answers the
   * error. Returns a placeholder that the caller returns from the route.
   */
  Response afterStored(Supplier<Response> then, Runnable otherwise) {
    afterStored = then;
    ifNotStored = otherwise;
    return PENDING;
  }

  Response afterStored(Supplier<Response> then) {
    return afterStored(then, () -> {});
  }

  private static final Response PENDING = new Response(0, "", Map.of());

  /** The store writes of the request being served; only while serving one, on the loop. */
  StoreWrites writes() {
    if (writes == null) {
      throw new IllegalStateException("no request is being served");
    }
    return writes;
  }

  /**
   * Stops an app whose definition is already unstored ({@link #unpersist}): its instances are
   * killed; the stop deployment's id.
   */
  String stopUnstored(AppsScheduler.AppState app) {
    app.deployment = Optional.empty();
    return scheduler.stop(app).id;
  }

  /** Deploys {@code next}, a new scale of an app already stored ({@link #persist}); the deployment's id. */
  String scaleStored(AppsScheduler.AppState app, AppDefinition next) {
    app.deployment = Optional.empty();
    return scheduler.deploy(next, "ScaleApplication").id;
  }

  /** An app as GET /v2/apps/{id} renders it. */
  ObjectNode render(AppsScheduler.AppState app) {
    return app(app, List.of());
  }

  /**
   * Serves one request.
   *
   * @param method GET, POST, PUT or DELETE
   * @param path the URL path, e.g. {@code /v2/apps/my/app}
   * @param query the query parameters (each name may repeat)
   * @param body the request body, possibly empty
   */
  public CompletableFuture<Response> handle(String method, String path, Map<String, List<String>> query, String body) {
    if (path.equals("/ping")) {
      return CompletableFuture.completedFuture(new Response(200, "pong", Map.of("Content-Type", "text/plain")));
    }
    if (!leading.get() && !path.equals("/v2/leader") && !path.equals("/v2/info")) {
      return CompletableFuture.completedFuture(message(503, "Could not determine the current leader"));
    }
    JsonNode json = null;
    if ((method.equals("POST") || method.equals("PUT")) && !body.isBlank()) {
      try {
        json = MAPPER.readTree(body);
      } catch (JsonProcessingException e) {
        ObjectNode err = MAPPER.createObjectNode().put("message", "Invalid JSON");
        err.putArray("details").addObject().put("path", "/").putArray("errors").add(e.getOriginalMessage());
        return CompletableFuture.completedFuture(Response.json(400, err));
      }
    }
    JsonNode parsed = json;
    CompletableFuture<Response> out = new CompletableFuture<>();
    scheduler.loop().execute(() -> serve(method, path, query, parsed, out));
    return out;
  }

  /**
   * Serves a request on the loop: routes it; if it changes apps, hands its store writes to the
   * writer and answers once they are made (the loop goes on meanwhile). Changes are served one
   * after another: one arriving while another's writes are out waits, so each sees the state the
   * previous one left; a GET is answered at once.
   */
  private void serve(String method, String path, Map<String, List<String>> query, JsonNode body,
      CompletableFuture<Response> out) {
    if (storing && !method.equals("GET")) { // reads change nothing: answered at once, from memory
      waiting.add(() -> serve(method, path, query, body, out));
      return;
    }
    if (!method.equals("GET") && !leading.get()) { // it stopped leading while this request waited
      out.complete(message(503, "Could not determine the current leader"));
      return;
    }
    StoreWrites w = new StoreWrites();
    writes = w;
    afterStored = null;
    ifNotStored = null;
    Response answer;
    try {
      answer = route(method, path, query, body);
    } catch (IllegalArgumentException e) {
      answer = message(404, e.getMessage());
    } catch (RuntimeException e) {
      answer = message(500, String.valueOf(e));
    } finally {
      writes = null;
    }
    Supplier<Response> then = afterStored;
    Runnable otherwise = ifNotStored;
    afterStored = null;
    ifNotStored = null;
    if (answer != PENDING) {
      out.complete(answer);
      return;
    }
    if (w.isEmpty()) {
      out.complete(commit(then));
      return;
    }
    storing = true;
    java.util.concurrent.atomic.AtomicReference<StoreWrites.Failed> failed = new java.util.concurrent.atomic.AtomicReference<>();
    writer.change(method + " " + path + " was not stored", (reads, view) -> {
      w.run(view).ifPresent(failed::set);
      return true;
    }).whenComplete((ok, error) -> {
      Response r;
      if (failed.get() != null || error != null) {
        otherwise.run();
        r = failed.get() != null ? message(failed.get().refused ? 409 : 503, failed.get().getMessage())
            : message(503, (error instanceof java.util.concurrent.CompletionException ? error.getCause() : error)
                .getMessage());
      } else {
        r = commit(then);
      }
      out.complete(r);
      storing = false;
      while (!storing && !waiting.isEmpty()) {
        waiting.poll().run();
      }
    });
  }

  /** Makes a stored request's in-memory change; its answer. */
  private static Response commit(Supplier<Response> then) {
    try {
      return then.get();
    } catch (RuntimeException e) {
      return message(500, String.valueOf(e));
    }
  }

  static Response message(int status, String message) {
    return Response.json(status, MAPPER.createObjectNode().put("message", message));
  }

  private static boolean flag(Map<String, List<String>> q, String name) {
    return q.getOrDefault(name, List.of()).stream().anyMatch(v -> v.isEmpty() || v.equalsIgnoreCase("true"));
  }

  // ------------------------------------------------------------------ routing (on the loop)

  private Response route(String method, String path, Map<String, List<String>> q, JsonNode body) {
    if (path.equals("/metrics")) {
      return Response.json(200, metrics());
    }
    if (path.equals("/v2/info")) {
      return Response.json(200, info());
    }
    if (path.equals("/v2/leader")) {
      if (!method.equals("GET")) {
        return message(405, "abdication is not supported by this leader elector");
      }
      String leader = leading.get() ? leaderUrl.get().orElse(leaderAddress)
          : leaderUrl.get().orElse("");
      if (leader.isEmpty()) {
        return message(404, "There is no leader");
      }
      return Response.json(200, MAPPER.createObjectNode().put("leader", leader.replaceFirst("^https?://", "")));
    }
    if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
      return switch (method) {
        case "GET" -> Response.json(200, listApps(q));
        case "POST" -> createOrUpdate(body, Optional.empty(), false, true);
        default -> message(405, method + " not allowed on /v2/apps");
      };
    }
    if (path.startsWith("/v2/apps/")) {
      return appRoute(method, path.substring("/v2/apps".length()), q, body);
    }
    if (path.equals("/v2/groups") || path.startsWith("/v2/groups/")) {
      return groups.route(method, path.substring("/v2/groups".length()), q, body);
    }
    if (path.equals("/v2/tasks") && method.equals("GET")) {
      ObjectNode out = MAPPER.createObjectNode();
      ArrayNode tasks = out.putArray("tasks");
      scheduler.apps.values().forEach(a -> a.instances.values().forEach(i -> tasks.add(task(a, i))));
      return Response.json(200, out);
    }
    if (path.equals("/v2/tasks/delete") && method.equals("POST")) {
      List<TaskId> ids = new ArrayList<>();
      if (body != null) {
        body.path("ids").forEach(n -> ids.add(TaskId.of(n.asText())));
      }
      return killTasks(ids, flag(q, "scale"));
    }
    if (path.equals("/v2/queue") && method.equals("GET")) {
      return Response.json(200, queue());
    }
    if (path.startsWith("/v2/queue/") && path.endsWith("/delay") && method.equals("DELETE")) {
      String id = AppParser.normalizeId(path.substring("/v2/queue".length(), path.length() - "/delay".length()));
      AppsScheduler.AppState app = scheduler.apps.get(id);
      if (app == null) {
        return message(404, "Application " + id + " not found in tasks queue.");
      }
      scheduler.resetDelay(app);
      return new Response(204, "", Map.of());
    }
    if (path.equals("/v2/deployments") && method.equals("GET")) {
      ArrayNode out = MAPPER.createArrayNode();
      scheduler.deployments().forEach(d -> out.add(deployment(d)));
      return Response.json(200, out);
    }
    if (path.startsWith("/v2/deployments/") && method.equals("DELETE")) {
      String id = path.substring("/v2/deployments/".length());
      Optional<Deployment> cancelled = scheduler.deployments().stream().filter(d -> d.id.equals(id)).findFirst();
      if (cancelled.isEmpty()) {
        return message(404, "DeploymentPlan " + id + " does not exist");
      }
      Deployment d = cancelled.get();
      Optional<AppDefinition> back = flag(q, "force") ? Optional.empty()
          : d.from.map(f -> f.withVersion(scheduler.nextVersion()));
      back.ifPresent(this::persist); // stored before the deployment is touched
      return afterStored(() -> {
        Optional<Deployment> rollback = scheduler.cancel(id, back);
        if (rollback.isEmpty()) {
          return new Response(202, "", Map.of());
        }
        return Response.json(200, MAPPER.createObjectNode().put("deploymentId", rollback.get().id)
            .put("version", rollback.get().to.version()));
      });
    }
    return message(404, "Not found: " + method + " " + path);
  }

  private Response appRoute(String method, String rest, Map<String, List<String>> q, JsonNode body) {
    if (rest.endsWith("/restart") && method.equals("POST")) {
      AppsScheduler.AppState app = app(rest.substring(0, rest.length() - "/restart".length()));
      if (app == null) {
        return notFound(rest.substring(0, rest.length() - 8));
      }
      if (app.deployment.isPresent() && !flag(q, "force")) {
        return locked(app);
      }
      AppDefinition next = app.def.withVersion(scheduler.nextVersion());
      persist(next);
      return afterStored(() -> {
        Deployment d = scheduler.deploy(next, "RestartApplication");
        return Response.json(200, MAPPER.createObjectNode().put("deploymentId", d.id).put("version", next.version()));
      });
    }
    if (rest.endsWith("/tasks")) {
      String id = rest.substring(0, rest.length() - "/tasks".length());
      AppsScheduler.AppState app = app(id);
      if (app == null) {
        return notFound(id);
      }
      if (method.equals("DELETE")) {
        return killTasks(app.instances.keySet().stream().toList(), flag(q, "scale"));
      }
      ObjectNode out = MAPPER.createObjectNode();
      ArrayNode tasks = out.putArray("tasks");
      app.instances.values().forEach(i -> tasks.add(task(app, i)));
      return Response.json(200, out);
    }
    int v = rest.lastIndexOf("/versions");
    if (v >= 0 && method.equals("GET")) {
      AppsScheduler.AppState app = app(rest.substring(0, v));
      if (app == null) {
        return notFound(rest.substring(0, v));
      }
      String tail = rest.substring(v + "/versions".length());
      if (tail.isEmpty()) {
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode vs = out.putArray("versions");
        for (int i = app.versions.size() - 1; i >= 0; i--) {
          vs.add(app.versions.get(i).version());
        }
        return Response.json(200, out);
      }
      String version = tail.substring(1);
      return app.versions.stream().filter(d -> d.version().equals(version)).findFirst()
          .map(d -> Response.json(200, AppJson.write(d)))
          .orElse(message(404, "App " + app.def.id() + " has no version " + version));
    }
    String id = AppParser.normalizeId(rest);
    switch (method) {
      case "GET": {
        AppsScheduler.AppState app = scheduler.apps.get(id);
        if (app == null) {
          return notFound(id);
        }
        return Response.json(200, MAPPER.createObjectNode().set("app", app(app, List.of("apps.tasks",
            "apps.counts", "apps.deployments", "apps.lastTaskFailure", "apps.taskStats"))));
      }
      case "PUT":
        return createOrUpdate(body, Optional.of(id), flag(q, "force"), !q.containsKey("partialUpdate")
            || flag(q, "partialUpdate"));
      case "DELETE": {
        AppsScheduler.AppState app = scheduler.apps.get(id);
        if (app == null) {
          return notFound(id);
        }
        if (app.deployment.isPresent() && !flag(q, "force")) {
          return locked(app);
        }
        unpersist(id);
        return afterStored(() -> {
          app.deployment = Optional.empty();
          Deployment d = scheduler.stop(app);
          return Response.json(200, MAPPER.createObjectNode().put("deploymentId", d.id).put("version",
              d.to.version()));
        });
      }
      default:
        return message(405, method + " not allowed on /v2/apps" + rest);
    }
  }

  private AppsScheduler.AppState app(String rawId) {
    return scheduler.apps.get(AppParser.normalizeId(rawId));
  }

  private static Response notFound(String id) {
    return message(404, "App '" + AppParser.normalizeId(id) + "' does not exist");
  }

  private Response locked(AppsScheduler.AppState app) {
    ObjectNode out = MAPPER.createObjectNode().put("message", "App is locked by one or more deployments. "
        + "Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
    out.putArray("deployments").addObject().put("id", app.deployment.get().id);
    return Response.json(409, out);
  }

  // ------------------------------------------------------------------ create / update

  /** A create or update checked ({@link Prepared}) or answered at once ({@link Rejected}). */
  sealed interface Planned permits Rejected, Prepared {}

  /** A create or update answered without any change (invalid, locked, a duplicate). */
  record Rejected(Response response) implements Planned {}

  /**
   * A create or update validated, its service ports taken ({@code takenPorts}), nothing stored or
   * deployed yet: next {@link #persist} its {@code def}, then {@link #commit} it, or give the
   * ports back with {@link AppsScheduler#releaseServicePorts}.
   */
  record Prepared(AppDefinition def, Optional<AppsScheduler.AppState> existing, List<String> ignoredFields,
      String version, java.util.Set<Integer> takenPorts) implements Planned {}

  /** Creates or updates an app: checked, stored, then deployed; nothing changes if the store write fails. */
  Response createOrUpdate(JsonNode body, Optional<String> pathId, boolean force, boolean partial) {
    Planned planned = prepare(body, pathId, force, partial);
    if (planned instanceof Rejected r) {
      return r.response();
    }
    Prepared p = (Prepared) planned;
    persist(p.def());
    return afterStored(() -> commit(p), () -> scheduler.releaseServicePorts(p.takenPorts()));
  }

  /** Checks a create or update and takes its service ports; stores and deploys nothing. */
  Planned prepare(JsonNode body, Optional<String> pathId, boolean force, boolean partial) {
    if (body == null) {
      return new Rejected(invalid(List.of(new AppParser.Violation("/", "a JSON body is required"))));
    }
    if (!body.isObject()) {
      return new Rejected(invalid(List.of(new AppParser.Violation("/", "expected a JSON object"))));
    }
    Optional<AppsScheduler.AppState> existing = pathId.map(scheduler.apps::get);
    if (pathId.isEmpty() && body.hasNonNull("id") && body.get("id").isTextual()
        && AppParser.idProblem(body.get("id").asText()).isEmpty()) {
      String id = AppParser.normalizeId(body.get("id").asText());
      if (scheduler.apps.containsKey(id)) {
        return new Rejected(message(409, "An app with id [" + id + "] already exists."));
      }
    }
    JsonNode input = body;
    if (existing.isPresent() && partial) {
      ObjectNode merged = AppJson.write(existing.get().def);
      merged.remove("version");
      for (Map.Entry<String, JsonNode> f : body.properties()) {
        merged.set(f.getKey(), f.getValue());
      }
      if (body.has("args") && !body.has("cmd")) {
        merged.remove("cmd");
      }
      if (body.has("cmd") && !body.has("args")) {
        merged.remove("args");
      }
      input = merged;
    }
    String version = scheduler.nextVersion();
    AppParser.Result result = AppParser.parse(input, pathId, version);
    if (result.app().isEmpty()) {
      return new Rejected(invalid(result.violations()));
    }
    AppDefinition def = result.app().get();
    if (existing.isPresent() && existing.get().deployment.isPresent() && !force) {
      return new Rejected(locked(existing.get()));
    }
    java.util.Set<Integer> taken = new java.util.HashSet<>();
    def = scheduler.assignServicePorts(def, existing.map(a -> a.def), taken);
    return new Prepared(def, existing, result.ignoredFields(), version, taken);
  }

  /** Deploys a prepared create or update whose definition is stored. */
  Response commit(Prepared p) {
    AppDefinition def = p.def();
    Optional<AppsScheduler.AppState> existing = p.existing();
    String version = p.version();
    ArrayNode ignored = MAPPER.createArrayNode();
    p.ignoredFields().forEach(ignored::add);
    if (existing.isEmpty()) {
      Deployment d = scheduler.deploy(def, "StartApplication");
      scheduler.apps.get(def.id()).ignoredFields = p.ignoredFields();
      ObjectNode out = app(scheduler.apps.get(def.id()), List.of());
      out.putArray("deployments").addObject().put("id", d.id);
      out.set("ignoredFields", ignored);
      return new Response(201, out.toString(), Map.of("Content-Type", "application/json",
          "Location", "/v2/apps" + def.id()));
    }
    AppsScheduler.AppState app = existing.get();
    String action = app.def.sameConfig(def) ? "ScaleApplication" : "RestartApplication";
    if (action.equals("ScaleApplication")) {
      def = def.withVersion(version);
    }
    app.ignoredFields = p.ignoredFields();
    Deployment d = scheduler.deploy(def, action);
    ObjectNode out = MAPPER.createObjectNode().put("version", def.version()).put("deploymentId", d.id);
    out.set("ignoredFields", ignored);
    return Response.json(200, out);
  }

  static Response invalid(List<AppParser.Violation> violations) {
    ObjectNode out = MAPPER.createObjectNode().put("message", "Object is not valid");
    ArrayNode details = out.putArray("details");
    java.util.Map<String, ArrayNode> byPath = new java.util.LinkedHashMap<>();
    for (AppParser.Violation v : violations) {
      byPath.computeIfAbsent(v.path(), p -> details.addObject().put("path", p).putArray("errors")).add(v.message());
    }
    return Response.json(422, out);
  }

  /**
   * Records the store writes of an app's definition in the request's {@link #writes}: as its
   * version first, then as its current definition (the key a new leader reads).
   */
  void persist(AppDefinition def) {
    byte[] bytes = AppJson.write(def).toString().getBytes(StandardCharsets.UTF_8);
    String key = AppsService.appKey(def.id());
    writes().put("app " + def.id(), key + "/versions/" + def.version(), bytes);
    writes().put("app " + def.id(), key, bytes);
  }

  /**
   * Records the deletes of an app's definition in the request's {@link #writes}: the current one
   * first, then its versions (only its own: the prefix ends with '/', so {@code /web} does not take
   * {@code /web2}'s keys).
   */
  void unpersist(String id) {
    String key = AppsService.appKey(id);
    String subject = "app " + id;
    writes().delete(subject, key);
    writes().deleteUnder(subject, key + "/");
  }

  private Response killTasks(List<TaskId> ids, boolean scale) {
    ArrayNode killed = MAPPER.createArrayNode();
    java.util.Map<String, Integer> perApp = new java.util.LinkedHashMap<>();
    List<Instance> instances = new ArrayList<>();
    for (TaskId id : ids) {
      scheduler.instance(id).ifPresent(inst -> {
        instances.add(inst);
        perApp.merge(inst.appId, 1, Integer::sum);
      });
    }
    // scaled down: the smaller definitions are stored before any instance is killed
    java.util.Map<String, AppDefinition> next = new java.util.LinkedHashMap<>();
    if (scale) {
      perApp.forEach((appId, n) -> {
        AppDefinition def = scheduler.apps.get(appId).def;
        next.put(appId, def.withInstances(Math.max(0, def.instances() - n)).withVersion(scheduler.nextVersion()));
      });
      next.values().forEach(this::persist);
      return afterStored(() -> {
        for (Instance inst : instances) {
          // not if it ended while the writes were made
          scheduler.instance(inst.taskId).filter(i -> i == inst).ifPresent(scheduler::kill);
        }
        ObjectNode out = MAPPER.createObjectNode();
        next.forEach((appId, def) -> {
          AppsScheduler.AppState app = scheduler.apps.get(appId);
          if (app != null) {
            String d = scaleStored(app, def);
            out.put("deploymentId", d).put("version", def.version());
          }
        });
        return Response.json(200, out);
      });
    }
    for (Instance inst : instances) {
      killed.add(task(scheduler.apps.get(inst.appId), inst));
      scheduler.kill(inst);
    }
    scheduler.convergeAll();
    ObjectNode out = MAPPER.createObjectNode();
    out.set("tasks", killed);
    return Response.json(200, out);
  }

  // ------------------------------------------------------------------ rendering

  private ArrayNode embedList(Map<String, List<String>> q) {
    ArrayNode a = MAPPER.createArrayNode();
    q.getOrDefault("embed", List.of()).forEach(a::add);
    return a;
  }

  private ObjectNode listApps(Map<String, List<String>> q) {
    List<String> embed = new ArrayList<>();
    embedList(q).forEach(n -> embed.add(n.asText()));
    String filterId = q.getOrDefault("id", List.of("")).get(0);
    String filterCmd = q.getOrDefault("cmd", List.of("")).get(0);
    ObjectNode out = MAPPER.createObjectNode();
    ArrayNode apps = out.putArray("apps");
    for (AppsScheduler.AppState app : scheduler.apps.values()) {
      if (!app.def.id().contains(filterId) || !app.def.cmd().orElse("").contains(filterCmd)) {
        continue;
      }
      apps.add(app(app, embed));
    }
    return out;
  }

  private ObjectNode app(AppsScheduler.AppState app, List<String> embed) {
    ObjectNode o = AppJson.write(app.def);
    boolean hc = app.hasHealthChecks();
    AppDefinition first = app.versions.get(0);
    String lastConfig = first.version();
    for (int i = 1; i < app.versions.size(); i++) {
      if (!app.versions.get(i).sameConfig(app.versions.get(i - 1))) {
        lastConfig = app.versions.get(i).version();
      }
    }
    o.putObject("versionInfo").put("lastScalingAt", app.def.version()).put("lastConfigChangeAt", lastConfig);
    long staged = app.instances.values().stream().filter(i -> !i.running() && !i.killing).count();
    long running = app.instances.values().stream().filter(Instance::running).count();
    long healthy = hc ? app.instances.values().stream().filter(i -> i.running() && i.healthy.orElse(false)).count() : 0;
    long unhealthy = hc ? app.instances.values().stream().filter(i -> i.running()
        && i.healthy.equals(Optional.of(false))).count() : 0;
    o.put("tasksStaged", staged).put("tasksRunning", running).put("tasksHealthy", healthy)
        .put("tasksUnhealthy", unhealthy);
    ArrayNode deps = o.putArray("deployments");
    app.deployment.ifPresent(d -> deps.addObject().put("id", d.id));
    Optional<String> blocked = scheduler.waitingOn(app);
    int waiting = blocked.isPresent() ? scheduler.toLaunchAfterDependencies(app) : scheduler.toLaunch(app);
    if (waiting > 0) {
      // why instances wait (Agora's addition to the app's status; /v2/queue has the same reasons)
      ObjectNode w = o.putObject("waiting").put("count", waiting);
      blocked.ifPresent(why -> w.put("waitingForDependencies", why));
      w.set("reasons", reasons(app, blocked));
    }
    if (!app.def.readinessChecks().isEmpty() && app.deployment.isPresent()) {
      ArrayNode results = o.putArray("readinessCheckResults");
      String name = app.def.readinessChecks().get(0).name();
      app.instances.values().stream().filter(i -> i.readinessPolling || i.lastReadinessStatus.isPresent())
          .forEach(i -> {
            ObjectNode r = results.addObject().put("name", name).put("taskId", i.taskId.value()).put("ready", i.ready);
            i.lastReadinessStatus.ifPresent(code -> r.putObject("lastResponse").put("status", code));
          });
    }
    if (embed.contains("apps.tasks") || embed.contains("app.tasks")) {
      ArrayNode tasks = o.putArray("tasks");
      app.instances.values().forEach(i -> tasks.add(task(app, i)));
    }
    if (embed.contains("apps.lastTaskFailure") || embed.contains("app.lastTaskFailure")) {
      app.lastTaskFailure.ifPresent(f -> o.set("lastTaskFailure", f));
    }
    if (!app.ignoredFields.isEmpty()) {
      ArrayNode ig = o.putArray("ignoredFields");
      app.ignoredFields.forEach(ig::add);
    }
    return o;
  }

  private ObjectNode task(AppsScheduler.AppState app, Instance i) {
    ObjectNode t = MAPPER.createObjectNode();
    t.put("id", i.taskId.value()).put("appId", i.appId).put("host", i.hostname).put("slaveId", i.agentId.value())
        .put("state", "TASK_" + i.state.name()).put("stagedAt", i.stagedAt.toString()).put("version", i.version);
    i.startedAt.ifPresent(s -> t.put("startedAt", s.toString()));
    ArrayNode ports = t.putArray("ports");
    i.ports.forEach(ports::add);
    ArrayNode spts = t.putArray("servicePorts");
    app.def.portDefinitions().forEach(p -> spts.add(p.port()));
    if (app.hasHealthChecks() && i.healthy.isPresent()) {
      t.putArray("healthCheckResults").addObject().put("alive", i.healthy.get()).put("instanceId", i.taskId.value());
    }
    return t;
  }

  private ObjectNode deployment(Deployment d) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", d.id).put("version", d.to.version());
    o.putArray("affectedApps").add(d.appId);
    o.putArray("affectedPods");
    ArrayNode steps = o.putArray("steps");
    steps.addObject().putArray("actions").addObject().put("action", d.action).put("app", d.appId);
    ArrayNode current = o.putArray("currentActions");
    current.addObject().put("action", d.action).put("app", d.appId);
    o.put("currentStep", 1).put("totalSteps", 1);
    return o;
  }

  private ObjectNode queue() {
    ObjectNode out = MAPPER.createObjectNode();
    ArrayNode q = out.putArray("queue");
    for (AppsScheduler.AppState app : scheduler.apps.values()) {
      Optional<String> blocked = scheduler.waitingOn(app);
      int waiting = blocked.isPresent() ? scheduler.toLaunchAfterDependencies(app) : scheduler.toLaunch(app);
      if (waiting <= 0) {
        continue;
      }
      ObjectNode e = q.addObject();
      e.put("count", waiting);
      e.set("app", AppJson.write(app.def));
      long left = scheduler.delayLeftSeconds(app);
      e.putObject("delay").put("timeLeftSeconds", left).put("overdue", left == 0);
      e.put("since", app.waitingSince.toString());
      blocked.ifPresent(why -> e.put("waitingForDependencies", why));
      ObjectNode summary = e.putObject("processedOffersSummary");
      summary.put("processedOffersCount", blocked.isPresent() ? 0 : app.lastOffersProcessed)
          .put("unusedOffersCount", blocked.isPresent() ? 0
              : app.lastRejections.values().stream().mapToInt(Integer::intValue).sum());
      app.lastUnusedOfferAt.ifPresent(t -> summary.put("lastUnusedOfferAt", t.toString()));
      app.lastUsedOfferAt.ifPresent(t -> summary.put("lastUsedOfferAt", t.toString()));
      summary.set("rejectSummaryLastOffers", reasons(app, blocked));
    }
    return out;
  }

  /**
   * Why an app's waiting instances are not placed: its deployment waits for its dependencies
   * (reason {@code WaitingForDependencies}, the offers are not even tried), or what the last offers
   * lacked.
   */
  private static ArrayNode reasons(AppsScheduler.AppState app, Optional<String> blocked) {
    ArrayNode rejects = MAPPER.createArrayNode();
    if (blocked.isPresent()) {
      rejects.addObject().put("reason", "WaitingForDependencies").put("declined", 0).put("processed", 0)
          .put("detail", blocked.get());
      return rejects;
    }
    app.lastRejections.forEach((reason, n) -> rejects.addObject().put("reason", marathonReason(reason))
        .put("declined", n).put("processed", app.lastOffersProcessed).put("detail", reason));
    return rejects;
  }

  /** Marathon's reason names for our failure texts. */
  static String marathonReason(String reason) {
    if (reason.startsWith("constraint")) {
      return "UnfulfilledConstraint";
    }
    if (reason.startsWith("insufficient cpus")) {
      return "InsufficientCpus";
    }
    if (reason.startsWith("insufficient mem")) {
      return "InsufficientMemory";
    }
    if (reason.startsWith("insufficient disk")) {
      return "InsufficientDisk";
    }
    if (reason.startsWith("insufficient gpus")) {
      return "InsufficientGpus";
    }
    if (reason.contains("port")) {
      return "InsufficientPorts";
    }
    return "UnfulfilledRole";
  }

  private ObjectNode info() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("name", "agora-apps").put("version", "0.1.0").put("elected", leading.get()).put("leader", leaderAddress);
    scheduler.frameworkId().ifPresent(f -> o.put("frameworkId", f.value()));
    o.putObject("marathon_config").put("framework_name", "marathon").put("failover_timeout", 604800)
        .put("local_port_min", AppsScheduler.SERVICE_PORT_MIN).put("local_port_max", AppsScheduler.SERVICE_PORT_MAX)
        .put("task_launch_timeout", 300000);
    return o;
  }

  private ObjectNode metrics() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("version", "4.0.0");
    ObjectNode gauges = o.putObject("gauges");
    gauges.putObject("marathon.apps.active.gauge").put("value", scheduler.apps.size());
    gauges.putObject("marathon.deployments.active.gauge").put("value", scheduler.deployments().size());
    gauges.putObject("marathon.instances.running.gauge").put("value", scheduler.apps.values().stream()
        .mapToLong(a -> a.instances.values().stream().filter(Instance::running).count()).sum());
    gauges.putObject("marathon.instances.launch-overdue.gauge").put("value", scheduler.apps.values().stream()
        .mapToInt(scheduler::toLaunch).sum());
    o.putObject("counters").putObject("marathon.tasks.launched.counter").put("count", scheduler.launched);
    return o;
  }
}
