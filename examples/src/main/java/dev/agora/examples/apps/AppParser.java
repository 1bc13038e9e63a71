package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.placement.Constraint;
import dev.agora.examples.apps.AppDefinition.HealthCheck;
import dev.agora.examples.apps.AppDefinition.KillSelection;
import dev.agora.examples.apps.AppDefinition.PortDefinition;
import dev.agora.examples.apps.AppDefinition.ReadinessCheck;
import dev.agora.examples.apps.AppDefinition.UnreachableStrategy;
import dev.agora.examples.apps.AppDefinition.UpgradeStrategy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads a Marathon app JSON into an {@link AppDefinition}, validating it as Marathon does: every
 * problem becomes a {@link Violation} naming its JSON path ({@code /instances},
 * {@code /healthChecks(0)/portIndex}); fields Agora cannot run (Docker, volumes, DC/OS networks and
 * secrets) are violations that say "not supported here"; fields it does not know are collected as
 * ignored.
 *
 * <p>Concurrency: stateless; each call builds its own result.
 */
public final class AppParser {
  private static final Pattern SEGMENT = Pattern.compile("^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"
      + "([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$");
  static final String NOT_SUPPORTED = "not supported here: ";

  /** Top-level fields read and run. */
  private static final Set<String> KNOWN = Set.of("id", "cmd", "args", "env", "labels", "cpus", "mem", "disk", "gpus",
      "instances", "constraints", "acceptedResourceRoles", "role", "portDefinitions", "requirePorts", "healthChecks",
      "readinessChecks", "dependencies", "upgradeStrategy", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds",
      "killSelection", "unreachableStrategy", "taskKillGracePeriodSeconds", "user", "version", "versionInfo",
      "container", "networks", "ports", "secrets", "ipAddress", "residency", "fetch", "uris", "executor");
  /** Read-only status fields that a GET returns and users send back: skipped silently. */
  private static final Set<String> STATUS = Set.of("tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
      "deployments", "tasks", "lastTaskFailure", "taskStats", "readinessCheckResults", "ignoredFields");

  /** A validation failure at a JSON path, in Marathon's words where it has them. */
  public record Violation(String path, String message) {}

  /** The outcome: a definition if there are no violations. */
  public record Result(Optional<AppDefinition> app, List<Violation> violations, List<String> ignoredFields) {
    public Result {
      violations = List.copyOf(violations);
      ignoredFields = List.copyOf(ignoredFields);
    }
  }

  private AppParser() {}

  /**
   * Parses and validates one app.
   *
   * @param json the app object
   * @param pathId the id from the URL (PUT /v2/apps/{id}), which the body's id must match if given
   * @param version the version stamp to give the definition
   */
  public static Result parse(JsonNode json, Optional<String> pathId, String version) {
    return new Reader(version).read(json, pathId);
  }

  /** Normalises an id: absolute, no trailing slash; empty if invalid (see {@link #idProblem}). */
  static String normalizeId(String id) {
    String s = id.startsWith("/") ? id : "/" + id;
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Why an id is invalid, or empty. */
  static Optional<String> idProblem(String raw) {
    String id = normalizeId(raw.trim());
    if (id.equals("/")) {
      return Optional.of("path must not be empty or the root group");
    }
    for (String seg : id.substring(1).split("/", -1)) {
      if (!SEGMENT.matcher(seg).matches()) {
        return Optional.of("'" + seg + "' in '" + raw + "' must fully match regular expression '"
            + SEGMENT.pattern() + "'");
      }
    }
    return Optional.empty();
  }

  private static final class Reader {
    final String version;
    final List<Violation> violations = new ArrayList<>();
    final List<String> ignored = new ArrayList<>();

    Reader(String version) {
      this.version = version;
    }

    void fail(String path, String message) {
      violations.add(new Violation(path, message));
    }

    Result read(JsonNode json, Optional<String> pathId) {
      if (json == null || !json.isObject()) {
        fail("/", "expected a JSON object");
        return new Result(Optional.empty(), violations, ignored);
      }
      Iterator<String> names = json.fieldNames();
      while (names.hasNext()) {
        String n = names.next();
        if (!KNOWN.contains(n) && !STATUS.contains(n)) {
          ignored.add("/" + n);
        }
      }
      String id = "/";
      JsonNode idNode = json.get("id");
      if (idNode == null && pathId.isPresent()) {
        idNode = com.fasterxml.jackson.databind.node.TextNode.valueOf(pathId.get());
      }
      if (idNode == null || !idNode.isTextual()) {
        fail("/id", idNode == null ? "is required" : "expected a string");
      } else {
        Optional<String> p = idProblem(idNode.asText());
        if (p.isPresent()) {
          fail("/id", p.get());
        } else {
          id = normalizeId(idNode.asText().trim());
          if (pathId.isPresent() && !normalizeId(pathId.get()).equals(id)) {
            fail("/id", "'" + id + "' does not match the path's id '" + normalizeId(pathId.get()) + "'");
          }
        }
      }
      unsupported(json);
      Optional<String> cmd = text(json, "cmd");
      List<String> args = strings(json, "args", "/args");
      if (cmd.isEmpty() && args.isEmpty() && !json.hasNonNull("container")) {
        fail("/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
      }
      if (cmd.isPresent() && !args.isEmpty()) {
        fail("/", "AppDefinition must either contain one of 'cmd' or 'args', not both.");
      }
      double cpus = number(json, "cpus", 1, 0);
      double mem = number(json, "mem", 128, 0);
      double disk = number(json, "disk", 0, 0);
      double gpus = number(json, "gpus", 0, 0);
      int instances = (int) integer(json, "instances", 1, 0);
      List<Constraint> constraints = constraints(json.get("constraints"));
      List<String> roles = json.has("acceptedResourceRoles") ? strings(json, "acceptedResourceRoles",
          "/acceptedResourceRoles") : List.of("*");
      if (json.has("acceptedResourceRoles") && roles.isEmpty()) {
        fail("/acceptedResourceRoles", "must not be empty");
      }
      List<PortDefinition> ports = portDefinitions(json);
      boolean requirePorts = bool(json, "requirePorts", false);
      if (requirePorts && ports.stream().anyMatch(p -> p.port() == 0)) {
        fail("/requirePorts", "requirePorts needs non-zero ports in portDefinitions");
      }
      int mappings = Math.max(json.path("container").path("portMappings").size(),
          json.path("container").path("docker").path("portMappings").size());
      List<HealthCheck> healthChecks = healthChecks(json.get("healthChecks"), Math.max(ports.size(), mappings));
      Set<String> portNames = new HashSet<>();
      ports.forEach(p -> p.name().ifPresent(portNames::add));
      for (JsonNode pm : List.of(json.path("container").path("portMappings"),
          json.path("container").path("docker").path("portMappings"))) {
        pm.forEach(m -> {
          if (m.hasNonNull("name")) {
            portNames.add(m.get("name").asText());
          }
        });
      }
      List<ReadinessCheck> readiness = readinessChecks(json.get("readinessChecks"), portNames);
      List<String> deps = strings(json, "dependencies", "/dependencies");
      for (int i = 0; i < deps.size(); i++) {
        idProblem(deps.get(i)).ifPresent(p -> fail("/dependencies", p));
      }
      UpgradeStrategy upgrade = upgradeStrategy(json.get("upgradeStrategy"));
      double backoff = number(json, "backoffSeconds", 1, 0);
      double factor = number(json, "backoffFactor", 1.15, 1);
      double maxDelay = number(json, "maxLaunchDelaySeconds", 300, 0);
      KillSelection kill = KillSelection.YOUNGEST_FIRST;
      Optional<String> ks = text(json, "killSelection");
      if (ks.isPresent()) {
        try {
          kill = KillSelection.valueOf(ks.get());
        } catch (IllegalArgumentException e) {
          fail("/killSelection", "'" + ks.get() + "' is not one of [YOUNGEST_FIRST, OLDEST_FIRST]");
        }
      }
      UnreachableStrategy unreachable = unreachable(json.get("unreachableStrategy"));
      Optional<Double> grace = json.has("taskKillGracePeriodSeconds") && !json.get("taskKillGracePeriodSeconds").isNull()
          ? Optional.of(number(json, "taskKillGracePeriodSeconds", 0, 0)) : Optional.empty();
      Map<String, String> env = stringMap(json, "env");
      Map<String, String> labels = stringMap(json, "labels");
      Optional<String> user = text(json, "user");
      if (!violations.isEmpty()) {
        return new Result(Optional.empty(), violations, ignored);
      }
      return new Result(Optional.of(new AppDefinition(id, cmd, args, env, labels, cpus, mem, disk, gpus, instances,
          constraints, roles, text(json, "role"), ports, requirePorts, healthChecks, readiness, deps, upgrade, backoff,
          factor, maxDelay, kill, unreachable, grace, user, version)), violations, ignored);
    }

    private void unsupported(JsonNode json) {
      JsonNode container = json.get("container");
      if (container != null && !container.isNull()) {
        String type = container.path("type").asText("MESOS");
        if (!type.equals("MESOS")) {
          fail("/container/type", NOT_SUPPORTED + "container type " + type + " (Agora runs MESOS-type process containers)");
        }
        if (container.hasNonNull("docker")) {
          fail("/container/docker", NOT_SUPPORTED + "Docker images");
        }
        if (container.path("volumes").size() > 0) {
          fail("/container/volumes", NOT_SUPPORTED + "volumes");
        }
        if (container.path("portMappings").size() > 0) {
          fail("/container/portMappings", NOT_SUPPORTED + "container port mappings (use portDefinitions)");
        }
      }
      JsonNode networks = json.get("networks");
      if (networks != null && networks.isArray()) {
        for (int i = 0; i < networks.size(); i++) {
          String mode = networks.get(i).path("mode").asText("host");
          if (!mode.equals("host")) {
            fail("/networks(" + i + ")/mode", NOT_SUPPORTED + "network mode " + mode + " (only host)");
          }
        }
      }
      if (json.hasNonNull("ipAddress")) {
        fail("/ipAddress", NOT_SUPPORTED + "IP-per-task networking (DC/OS overlay)");
      }
      if (json.path("secrets").size() > 0) {
        fail("/secrets", NOT_SUPPORTED + "secrets (DC/OS secret store)");
      }
      if (json.hasNonNull("residency")) {
        fail("/residency", NOT_SUPPORTED + "resident apps (persistent volumes)");
      }
      if (json.path("fetch").size() > 0 || json.path("uris").size() > 0) {
        fail(json.path("fetch").size() > 0 ? "/fetch" : "/uris", NOT_SUPPORTED + "fetching URIs into the sandbox");
      }
      if (json.hasNonNull("executor") && !json.get("executor").asText().isEmpty()
          && !json.get("executor").asText().equals("//cmd")) {
        fail("/executor", NOT_SUPPORTED + "custom executors");
      }
      String cmd = json.path("cmd").asText("");
      if (cmd.contains("/opt/mesosphere/")) {
        fail("/cmd", NOT_SUPPORTED + "DC/OS paths (/opt/mesosphere/...) do not exist on Agora agents");
      }
    }

    Optional<String> text(JsonNode json, String field) {
      JsonNode n = json.get(field);
      if (n == null || n.isNull()) {
        return Optional.empty();
      }
      if (!n.isTextual()) {
        fail("/" + field, "expected a string");
        return Optional.empty();
      }
      return Optional.of(n.asText());
    }

    boolean bool(JsonNode json, String field, boolean dflt) {
      JsonNode n = json.get(field);
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (!n.isBoolean()) {
        fail("/" + field, "expected a boolean");
        return dflt;
      }
      return n.asBoolean();
    }

    double number(JsonNode json, String field, double dflt, double min) {
      return numberAt(json.get(field), "/" + field, dflt, min);
    }

    double numberAt(JsonNode n, String path, double dflt, double min) {
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (!n.isNumber()) {
        fail(path, "expected a number but got " + n);
        return dflt;
      }
      double v = n.asDouble();
      if (!Double.isFinite(v) || v < min) {
        fail(path, "got " + v + ", expected " + min + " or more");
      }
      return v;
    }

    long integer(JsonNode json, String field, long dflt, long min) {
      return integerAt(json.get(field), "/" + field, dflt, min);
    }

    long integerAt(JsonNode n, String path, long dflt, long min) {
      if (n == null || n.isNull()) {
        return dflt;
      }
      if (!n.isIntegralNumber() || !n.canConvertToInt()) {
        fail(path, "expected an integer but got " + n);
        return dflt;
      }
      long v = n.asLong();
      if (v < min) {
        fail(path, "got " + v + ", expected " + min + " or more");
      }
      return v;
    }

    List<String> strings(JsonNode json, String field, String path) {
      JsonNode n = json.get(field);
      List<String> out = new ArrayList<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isArray()) {
        fail(path, "expected an array of strings");
        return out;
      }
      for (int i = 0; i < n.size(); i++) {
        if (!n.get(i).isTextual()) {
          fail(path + "(" + i + ")", "expected a string");
        } else {
          out.add(n.get(i).asText());
        }
      }
      return out;
    }

    Map<String, String> stringMap(JsonNode json, String field) {
      JsonNode n = json.get(field);
      Map<String, String> out = new TreeMap<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isObject()) {
        fail("/" + field, "expected an object");
        return out;
      }
      n.properties().forEach(e -> {
        if (e.getValue().isTextual()) {
          out.put(e.getKey(), e.getValue().asText());
        } else if (e.getValue().isObject() && e.getValue().has("secret")) {
          fail("/" + field + "/" + e.getKey(), NOT_SUPPORTED + "secret references");
        } else {
          fail("/" + field + "/" + e.getKey(), "expected a string");
        }
      });
      return out;
    }

    List<Constraint> constraints(JsonNode n) {
      List<Constraint> out = new ArrayList<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isArray()) {
        fail("/constraints", "expected an array of [field, operator, value?]");
        return out;
      }
      for (int i = 0; i < n.size(); i++) {
        JsonNode c = n.get(i);
        List<String> parts = new ArrayList<>();
        c.forEach(x -> parts.add(x.asText()));
        try {
          out.add(Constraint.parse(parts));
        } catch (IllegalArgumentException e) {
          fail("/constraints(" + i + ")", e.getMessage());
        }
      }
      return out;
    }

    List<PortDefinition> portDefinitions(JsonNode json) {
      JsonNode n = json.get("portDefinitions");
      List<PortDefinition> out = new ArrayList<>();
      if (n == null || n.isNull()) {
        JsonNode legacy = json.get("ports");
        if (legacy != null && legacy.isArray()) {
          for (int i = 0; i < legacy.size(); i++) {
            out.add(new PortDefinition((int) integerAt(legacy.get(i), "/ports(" + i + ")", 0, 0), "tcp",
                Optional.empty(), Map.of()));
          }
          return out;
        }
        if (json.path("container").path("portMappings").size() > 0 || json.path("container").hasNonNull("docker")) {
          return out;
        }
        return List.of(new PortDefinition(0, "tcp", Optional.of("default"), Map.of()));
      }
      if (!n.isArray()) {
        fail("/portDefinitions", "expected an array");
        return out;
      }
      Set<String> names = new HashSet<>();
      for (int i = 0; i < n.size(); i++) {
        JsonNode p = n.get(i);
        String path = "/portDefinitions(" + i + ")";
        long port = integerAt(p.get("port"), path + "/port", 0, 0);
        if (port > 65535) {
          fail(path + "/port", "got " + port + ", expected 65535 or less");
        }
        String protocol = p.path("protocol").asText("tcp");
        if (!Set.of("tcp", "udp", "udp,tcp", "tcp,udp").contains(protocol)) {
          fail(path + "/protocol", "'" + protocol + "' is not one of tcp, udp, udp,tcp");
        }
        Optional<String> name = p.hasNonNull("name") ? Optional.of(p.get("name").asText()) : Optional.empty();
        if (name.isPresent() && !names.add(name.get())) {
          fail(path + "/name", "port names must be unique but '" + name.get() + "' repeats");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        p.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        out.add(new PortDefinition((int) port, protocol, name, labels));
      }
      return out;
    }

    List<HealthCheck> healthChecks(JsonNode n, int portCount) {
      List<HealthCheck> out = new ArrayList<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!n.isArray()) {
        fail("/healthChecks", "expected an array");
        return out;
      }
      for (int i = 0; i < n.size(); i++) {
        JsonNode h = n.get(i);
        String path = "/healthChecks(" + i + ")";
        if (i > 0) {
          ignored.add(path); // validated and echoed; the agent runs the first check only (Mesos' TaskInfo holds one)
        }
        if (h.path("ignoreHttp1xx").asBoolean(false)) {
          ignored.add(path + "/ignoreHttp1xx");
        }
        String proto = h.path("protocol").asText("HTTP");
        HealthCheck.Protocol protocol = HealthCheck.Protocol.HTTP;
        try {
          protocol = HealthCheck.Protocol.valueOf(proto.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          fail(path + "/protocol", "'" + proto + "' is not one of " + List.of(HealthCheck.Protocol.values()));
        }
        if (h.has("ipProtocol") && !h.path("ipProtocol").asText().equals("IPv4")) {
          fail(path + "/ipProtocol", NOT_SUPPORTED + "IPv6 health checks");
        }
        Optional<Integer> portIndex = h.hasNonNull("portIndex")
            ? Optional.of((int) integerAt(h.get("portIndex"), path + "/portIndex", 0, 0)) : Optional.empty();
        Optional<Integer> port = h.hasNonNull("port")
            ? Optional.of((int) integerAt(h.get("port"), path + "/port", 0, 0)) : Optional.empty();
        Optional<String> command = Optional.empty();
        if (protocol == HealthCheck.Protocol.COMMAND) {
          JsonNode c = h.path("command");
          String value = c.isTextual() ? c.asText() : c.path("value").asText("");
          if (value.isEmpty()) {
            fail(path + "/command", "COMMAND health checks need command.value");
          }
          command = Optional.of(value);
        } else {
          if (portIndex.isPresent() && port.isPresent()) {
            fail(path, "use either portIndex or port, not both");
          }
          int index = portIndex.orElse(port.isPresent() ? -1 : 0);
          if (index >= 0 && index >= portCount) {
            fail(path + "/portIndex", "Health check port indices must address an element of the ports array "
                + "or container port mappings.");
          }
        }
        Optional<String> hpath = h.hasNonNull("path") ? Optional.of(h.get("path").asText()) : Optional.empty();
        out.add(new HealthCheck(protocol, hpath, portIndex.isEmpty() && port.isEmpty()
            && protocol != HealthCheck.Protocol.COMMAND ? Optional.of(0) : portIndex, port, command,
            (int) integerAt(h.get("gracePeriodSeconds"), path + "/gracePeriodSeconds", 300, 0),
            (int) integerAt(h.get("intervalSeconds"), path + "/intervalSeconds", 60, 1),
            (int) integerAt(h.get("timeoutSeconds"), path + "/timeoutSeconds", 20, 1),
            (int) integerAt(h.get("maxConsecutiveFailures"), path + "/maxConsecutiveFailures", 3, 0),
            (int) integerAt(h.get("delaySeconds"), path + "/delaySeconds", 15, 0),
            h.path("ignoreHttp1xx").asBoolean(false)));
      }
      return out;
    }

    List<ReadinessCheck> readinessChecks(JsonNode n, Set<String> portNames) {
      List<ReadinessCheck> out = new ArrayList<>();
      if (n == null || n.isNull() || !n.isArray()) {
        return out;
      }
      for (int i = 0; i < n.size(); i++) {
        JsonNode r = n.get(i);
        String path = "/readinessChecks(" + i + ")";
        if (i > 0) {
          fail("/readinessChecks", "Only one readinessCheck is supported at the moment");
        }
        String rproto = r.path("protocol").asText("HTTP");
        if (!rproto.equals("HTTP") && !rproto.equals("HTTPS")) {
          fail(path + "/protocol", "'" + rproto + "' is not one of [HTTP, HTTPS]");
        }
        String portName = r.path("portName").asText("http-api");
        if (!portNames.contains(portName)) {
          fail(path + "/portName", "no port definition is named '" + portName + "'");
        }
        List<Integer> codes = new ArrayList<>();
        r.path("httpStatusCodesForReady").forEach(c -> codes.add(c.asInt()));
        out.add(new ReadinessCheck(r.path("name").asText("readinessCheck"), r.path("protocol").asText("HTTP"),
            r.path("path").asText("/"), portName,
            (int) integerAt(r.get("intervalSeconds"), path + "/intervalSeconds", 30, 1),
            (int) integerAt(r.get("timeoutSeconds"), path + "/timeoutSeconds", 10, 1),
            codes.isEmpty() ? List.of(200) : codes, r.path("preserveLastResponse").asBoolean(false)));
      }
      return out;
    }

    UpgradeStrategy upgradeStrategy(JsonNode n) {
      if (n == null || n.isNull()) {
        return UpgradeStrategy.DEFAULT;
      }
      double min = numberAt(n.get("minimumHealthCapacity"), "/upgradeStrategy/minimumHealthCapacity", 1, 0);
      double over = numberAt(n.get("maximumOverCapacity"), "/upgradeStrategy/maximumOverCapacity", 1, 0);
      if (min > 1) {
        fail("/upgradeStrategy/minimumHealthCapacity", "got " + min + ", expected 1.0 or less");
      }
      if (over > 1) {
        fail("/upgradeStrategy/maximumOverCapacity", "got " + over + ", expected 1.0 or less");
      }
      return new UpgradeStrategy(min, over);
    }

    UnreachableStrategy unreachable(JsonNode n) {
      if (n == null || n.isNull()) {
        return UnreachableStrategy.DEFAULT;
      }
      if (n.isTextual()) {
        if (n.asText().equals("disabled")) {
          return new UnreachableStrategy(false, 0, 0);
        }
        fail("/unreachableStrategy", "expected \"disabled\" or an object");
        return UnreachableStrategy.DEFAULT;
      }
      long inactive = integerAt(n.get("inactiveAfterSeconds"), "/unreachableStrategy/inactiveAfterSeconds", 0, 0);
      long expunge = integerAt(n.get("expungeAfterSeconds"), "/unreachableStrategy/expungeAfterSeconds", 0, 0);
      if (expunge < inactive) {
        fail("/unreachableStrategy/expungeAfterSeconds", "must be greater than or equal to inactiveAfterSeconds");
      }
      return new UnreachableStrategy(true, inactive, expunge);
    }
  }

  /** Whether {@code json} is a group (has apps or groups) rather than an app. */
  static boolean isGroup(JsonNode json) {
    return json.isObject() && (json.has("apps") || json.has("groups")) && !json.has("cmd") && !json.has("args");
  }

  /** The apps of a group JSON, depth first, each with its JSON path. */
  static List<Map.Entry<String, JsonNode>> groupApps(JsonNode group, String path) {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    JsonNode apps = group.path("apps");
    for (int i = 0; i < apps.size(); i++) {
      out.add(Map.entry(path + "/apps(" + i + ")", apps.get(i)));
    }
    JsonNode groups = group.path("groups");
    for (int i = 0; i < groups.size(); i++) {
      out.addAll(groupApps(groups.get(i), path + "/groups(" + i + ")"));
    }
    return out;
  }
}
