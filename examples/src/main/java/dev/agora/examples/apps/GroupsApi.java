package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Marathon's {@code /v2/groups}: apps arranged in nested groups by their path ids. A group exists
 * when an app lives under it or it was created explicitly (stored under {@code groups/...} with its
 * dependencies). POST creates a group with its apps and subgroups, PUT replaces one (apps of the
 * group missing from the body are stopped) or scales it ({@code scaleBy}), DELETE stops every app
 * under it. Relative app ids and dependencies resolve against the enclosing group; a group's
 * dependencies apply to every app in it; the scheduler starts an app's deployment only once its
 * dependencies are deployed and healthy. A request is validated whole (all apps, the dependency
 * graph) before anything is stored, and every store write of a request (groups, apps) is made
 * before any in-memory change: if one fails, those already made are undone and the request answers
 * an error (see {@link StoreWrites}).
 *
 * <p>Concurrency: called on the scheduler's loop only (from {@link AppsApi}).
 */
final class GroupsApi {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final String GROUP_PREFIX = "groups/";

  private final AppsScheduler scheduler;
  private final AppsApi apps;
  /** Explicit groups: id -> their own dependencies (absolute). */
  final Map<String, List<String>> groups = new TreeMap<>();

  GroupsApi(AppsScheduler scheduler, AppsApi apps) {
    this.scheduler = scheduler;
    this.apps = apps;
  }

  /** Takes the explicit groups read from the store, key -> value (on leadership start, on the loop). */
  void restore(Map<String, byte[]> stored) {
    groups.clear();
    stored.forEach((key, value) -> {
      try {
        JsonNode n = MAPPER.readTree(new String(value, StandardCharsets.UTF_8));
        List<String> deps = new ArrayList<>();
        n.path("dependencies").forEach(d -> deps.add(d.asText()));
        groups.put(n.path("id").asText(), deps);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read stored group " + key, e);
      }
    });
  }

  AppsApi.Response route(String method, String rest, Map<String, List<String>> q, JsonNode body) {
    String id = rest.isEmpty() || rest.equals("/") ? "/" : AppParser.normalizeId(rest);
    boolean force = q.getOrDefault("force", List.of()).stream().anyMatch(v -> v.isEmpty() || v.equals("true"));
    switch (method) {
      case "GET":
        if (!exists(id)) {
          return AppsApi.message(404, "Group '" + id + "' does not exist");
        }
        return AppsApi.Response.json(200, render(id));
      case "POST": {
        if (body == null || !body.isObject()) {
          return AppsApi.invalid(List.of(new AppParser.Violation("/", "expected a JSON object")));
        }
        String gid = resolve(body.path("id").asText(""), id);
        if (!gid.equals("/") && exists(gid)) {
          return AppsApi.message(409, "Group " + gid + " is already created. Use PUT to change this group.");
        }
        return apply(body, id, force, false);
      }
      case "PUT": {
        if (body == null || !body.isObject()) {
          return AppsApi.invalid(List.of(new AppParser.Violation("/", "expected a JSON object")));
        }
        if (body.has("scaleBy")) {
          return scaleBy(id, body.get("scaleBy"), force);
        }
        ObjectNode withId = body.deepCopy();
        withId.put("id", id);
        return apply(withId, parent(id), force, true);
      }
      case "DELETE": {
        if (!exists(id)) {
          return AppsApi.message(404, "Group '" + id + "' does not exist");
        }
        List<AppsScheduler.AppState> under = appsUnder(id);
        Optional<AppsApi.Response> locked = locked(under, force);
        if (locked.isPresent()) {
          return locked.get();
        }
        String version = scheduler.nextVersion();
        List<String> gone = groups.keySet().stream().filter(g -> g.equals(id) || g.startsWith(prefix(id))).toList();
        // every store change first: if one fails, nothing changes in memory
        for (AppsScheduler.AppState app : under) {
          apps.unpersist(app.def.id());
        }
        gone.forEach(this::unstore);
        return apps.afterStored(() -> {
          String deploymentId = "";
          for (AppsScheduler.AppState app : under) {
            deploymentId = apps.stopUnstored(app);
          }
          gone.forEach(groups::remove);
          return AppsApi.Response.json(200, MAPPER.createObjectNode().put("version", version)
              .put("deploymentId", deploymentId));
        });
      }
      default:
        return AppsApi.message(405, method + " not allowed on /v2/groups" + rest);
    }
  }

  // ------------------------------------------------------------------ tree

  private static String prefix(String id) {
    return id.equals("/") ? "/" : id + "/";
  }

  static String parent(String id) {
    int slash = id.lastIndexOf('/');
    return slash <= 0 ? "/" : id.substring(0, slash);
  }

  /** An id relative to {@code base} ("db", "../db", "./db") made absolute; absolute ids normalized. */
  static String resolve(String raw, String base) {
    String s = raw.trim();
    List<String> segs = new ArrayList<>();
    if (!s.startsWith("/") && !base.equals("/")) {
      segs.addAll(List.of(base.substring(1).split("/")));
    }
    for (String seg : s.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        if (!segs.isEmpty()) {
          segs.remove(segs.size() - 1);
        }
        continue;
      }
      segs.add(seg);
    }
    return "/" + String.join("/", segs);
  }

  private boolean exists(String id) {
    if (id.equals("/") || groups.containsKey(id)) {
      return true;
    }
    String p = prefix(id);
    return scheduler.apps.keySet().stream().anyMatch(a -> a.startsWith(p))
        || groups.keySet().stream().anyMatch(g -> g.startsWith(p));
  }

  private List<AppsScheduler.AppState> appsUnder(String id) {
    String p = prefix(id);
    return scheduler.apps.values().stream().filter(a -> a.def.id().startsWith(p)).toList();
  }

  private ObjectNode render(String id) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", id);
    ArrayNode deps = o.putArray("dependencies");
    groups.getOrDefault(id, List.of()).forEach(deps::add);
    ArrayNode appsOut = o.putArray("apps");
    Set<String> children = new TreeSet<>();
    String p = prefix(id);
    String version = "";
    for (AppsScheduler.AppState app : scheduler.apps.values()) {
      String appId = app.def.id();
      if (!appId.startsWith(p)) {
        continue;
      }
      if (parent(appId).equals(id)) {
        appsOut.add(apps.render(app));
      } else {
        children.add(p + appId.substring(p.length()).split("/")[0]);
      }
      version = app.def.version().compareTo(version) > 0 ? app.def.version() : version;
    }
    for (String g : groups.keySet()) {
      if (g.startsWith(p)) {
        children.add(p + g.substring(p.length()).split("/")[0]);
      }
    }
    ArrayNode groupsOut = o.putArray("groups");
    children.forEach(c -> groupsOut.add(render(c)));
    o.putArray("pods");
    o.put("version", version.isEmpty() ? scheduler.now().toString() : version);
    return o;
  }

  // ------------------------------------------------------------------ changes

  private Optional<AppsApi.Response> locked(List<AppsScheduler.AppState> affected, boolean force) {
    if (force) {
      return Optional.empty();
    }
    List<String> ids = affected.stream().flatMap(a -> a.deployment.stream()).map(d -> d.id).toList();
    if (ids.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode out = MAPPER.createObjectNode().put("message", "App is locked by one or more deployments. "
        + "Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
    ArrayNode d = out.putArray("deployments");
    ids.forEach(x -> d.addObject().put("id", x));
    return Optional.of(AppsApi.Response.json(409, out));
  }

  /** Apps and groups of a group body, ids and dependencies made absolute. */
  private record Flat(Map<String, ObjectNode> apps, Map<String, List<String>> groups, Map<String, String> paths) {}

  private void flatten(JsonNode group, String base, String path, List<String> inherited, Flat out,
      List<AppParser.Violation> violations) {
    String gid = resolve(group.path("id").asText(""), base);
    List<String> deps = new ArrayList<>(inherited);
    group.path("dependencies").forEach(d -> deps.add(resolve(d.asText(), gid)));
    out.groups.put(gid, deps.subList(inherited.size(), deps.size()));
    JsonNode appList = group.path("apps");
    for (int i = 0; i < appList.size(); i++) {
      JsonNode a = appList.get(i);
      if (!a.isObject()) {
        violations.add(new AppParser.Violation(path + "/apps(" + i + ")", "expected a JSON object"));
        continue;
      }
      ObjectNode app = a.deepCopy();
      String appId = resolve(app.path("id").asText(""), gid);
      if (!parent(appId).equals(gid)) {
        violations.add(new AppParser.Violation(path + "/apps(" + i + ")/id",
            "app " + appId + " is not a direct child of group " + gid));
      }
      app.put("id", appId);
      ArrayNode appDeps = MAPPER.createArrayNode();
      Set<String> seen = new HashSet<>();
      for (String d : deps) {
        if (seen.add(d)) {
          appDeps.add(d);
        }
      }
      app.path("dependencies").forEach(d -> {
        String r = resolve(d.asText(), gid);
        if (seen.add(r)) {
          appDeps.add(r);
        }
      });
      app.set("dependencies", appDeps);
      if (out.apps.put(appId, app) != null) {
        violations.add(new AppParser.Violation(path + "/apps(" + i + ")/id", "duplicate app id " + appId));
      }
      out.paths.put(appId, path + "/apps(" + i + ")");
    }
    JsonNode sub = group.path("groups");
    for (int i = 0; i < sub.size(); i++) {
      flatten(sub.get(i), gid, path + "/groups(" + i + ")", deps, out, violations);
    }
  }

  private AppsApi.Response apply(JsonNode body, String base, boolean force, boolean replace) {
    Flat flat = new Flat(new LinkedHashMap<>(), new LinkedHashMap<>(), new HashMap<>());
    List<AppParser.Violation> violations = new ArrayList<>();
    flatten(body, base, "", List.of(), flat, violations);
    String gid = resolve(body.path("id").asText(""), base);
    if (gid.equals("/") && !replace) {
      violations.add(new AppParser.Violation("/id", "path must not be empty or the root group"));
    }
    String version = scheduler.nextVersion();
    for (Map.Entry<String, ObjectNode> e : flat.apps.entrySet()) {
      AppParser.Result r = AppParser.parse(e.getValue(), Optional.empty(), version);
      String at = flat.paths.get(e.getKey());
      r.violations().forEach(v -> violations.add(new AppParser.Violation(at + (v.path().equals("/") ? "" : v.path()),
          v.message())));
    }
    // the dependency graph of every app there would be, without cycles
    Map<String, List<String>> graph = new TreeMap<>();
    scheduler.apps.values().forEach(a -> graph.put(a.def.id(), a.def.dependencies()));
    List<AppsScheduler.AppState> removed = replace ? appsUnder(gid).stream()
        .filter(a -> !flat.apps.containsKey(a.def.id())).toList() : List.of();
    removed.forEach(a -> graph.remove(a.def.id()));
    flat.apps.forEach((id, json) -> {
      List<String> deps = new ArrayList<>();
      json.path("dependencies").forEach(d -> deps.add(d.asText()));
      graph.put(id, deps);
    });
    if (hasCycle(graph)) {
      violations.add(new AppParser.Violation("/dependencies", "Dependency graph has cyclic dependencies."));
    }
    if (!violations.isEmpty()) {
      return AppsApi.invalid(violations);
    }
    List<AppsScheduler.AppState> affected = new ArrayList<>(removed);
    flat.apps.keySet().forEach(id -> Optional.ofNullable(scheduler.apps.get(id)).ifPresent(affected::add));
    Optional<AppsApi.Response> locked = locked(affected, force);
    if (locked.isPresent()) {
      return locked.get();
    }
    List<AppsApi.Prepared> prepared = new ArrayList<>();
    try {
      for (ObjectNode app : flat.apps.values()) {
        AppsApi.Planned p = apps.prepare(app, Optional.of(app.get("id").asText()), true, false);
        if (p instanceof AppsApi.Rejected r) {
          return r.response(); // validated above: only an internal error gets here
        }
        prepared.add((AppsApi.Prepared) p);
      }
      // every store change first: if one fails, nothing changes in memory
      flat.groups.forEach((g, deps) -> {
        if (!g.equals("/")) { // the root group always exists and has no key of its own
          store(g, deps);
        }
      });
      for (AppsScheduler.AppState app : removed) {
        apps.unpersist(app.def.id());
      }
      prepared.forEach(p -> apps.persist(p.def()));
    } catch (RuntimeException e) {
      prepared.forEach(p -> scheduler.releaseServicePorts(p.takenPorts()));
      throw e;
    }
    return apps.afterStored(() -> {
      flat.groups.forEach((g, deps) -> {
        if (!g.equals("/")) {
          groups.put(g, List.copyOf(deps));
        }
      });
      String deploymentId = "";
      ArrayNode ids = MAPPER.createArrayNode();
      for (AppsScheduler.AppState app : removed) {
        ids.add(apps.stopUnstored(app));
      }
      for (AppsApi.Prepared p : prepared) {
        AppsApi.Response r = apps.commit(p);
        JsonNode answer = AppsApi.parse(r.body());
        JsonNode d = answer.has("deploymentId") ? answer.get("deploymentId") : answer.path("deployments").path(0).path("id");
        if (!d.isMissingNode()) {
          deploymentId = d.asText();
          ids.add(deploymentId);
        }
      }
      ObjectNode out = MAPPER.createObjectNode().put("version", version).put("deploymentId", deploymentId);
      out.set("deploymentIds", ids);
      return AppsApi.Response.json(replace ? 200 : 201, out);
    }, () -> prepared.forEach(p -> scheduler.releaseServicePorts(p.takenPorts())));
  }

  private AppsApi.Response scaleBy(String id, JsonNode factorNode, boolean force) {
    if (!factorNode.isNumber() || factorNode.asDouble() < 0 || !Double.isFinite(factorNode.asDouble())) {
      return AppsApi.invalid(List.of(new AppParser.Violation("/scaleBy", "must be a number >= 0")));
    }
    if (!exists(id)) {
      return AppsApi.message(404, "Group '" + id + "' does not exist");
    }
    List<AppsScheduler.AppState> under = appsUnder(id);
    Optional<AppsApi.Response> locked = locked(under, force);
    if (locked.isPresent()) {
      return locked.get();
    }
    double factor = factorNode.asDouble();
    String version = scheduler.nextVersion();
    Map<AppsScheduler.AppState, AppDefinition> next = new LinkedHashMap<>();
    for (AppsScheduler.AppState app : under) {
      int n = (int) Math.ceil(app.def.instances() * factor - 1e-9);
      next.put(app, app.def.withInstances(n).withVersion(scheduler.nextVersion()));
    }
    next.values().forEach(apps::persist); // all stored before any is deployed
    return apps.afterStored(() -> {
      String deploymentId = "";
      for (Map.Entry<AppsScheduler.AppState, AppDefinition> e : next.entrySet()) {
        deploymentId = apps.scaleStored(e.getKey(), e.getValue());
      }
      return AppsApi.Response.json(200, MAPPER.createObjectNode().put("version", version)
          .put("deploymentId", deploymentId));
    });
  }

  /** Stores an explicit group through the request's writes (which throw {@link StoreWrites.Failed} naming it). */
  private void store(String id, List<String> deps) {
    ObjectNode n = MAPPER.createObjectNode().put("id", id);
    ArrayNode d = n.putArray("dependencies");
    deps.forEach(d::add);
    apps.writes().put("group " + id, key(id), n.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Deletes a stored group through the request's writes (which throw {@link StoreWrites.Failed} naming it). */
  private void unstore(String id) {
    apps.writes().delete("group " + id, key(id));
  }

  private static String key(String id) {
    return GROUP_PREFIX + (id.equals("/") ? "" : id.substring(1).replace("/", ".."));
  }

  static boolean hasCycle(Map<String, List<String>> graph) {
    Map<String, Integer> state = new HashMap<>(); // 1 visiting, 2 done
    for (String start : graph.keySet()) {
      if (cycleFrom(start, graph, state)) {
        return true;
      }
    }
    return false;
  }

  private static boolean cycleFrom(String node, Map<String, List<String>> graph, Map<String, Integer> state) {
    Integer s = state.get(node);
    if (s != null) {
      return s == 1;
    }
    state.put(node, 1);
    for (String dep : expand(node, graph)) {
      if (cycleFrom(dep, graph, state)) {
        return true;
      }
    }
    state.put(node, 2);
    return false;
  }

  /** A node's dependencies, each a known app or, for a group id, every app under it. */
  private static List<String> expand(String node, Map<String, List<String>> graph) {
    List<String> out = new ArrayList<>();
    for (String d : graph.getOrDefault(node, List.of())) {
      if (graph.containsKey(d)) {
        out.add(d);
      } else {
        graph.keySet().stream().filter(k -> k.startsWith(d + "/")).forEach(out::add);
      }
    }
    return out;
  }
}
