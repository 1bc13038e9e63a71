package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.placement.Constraint;
import dev.agora.examples.apps.AppDefinition.HealthCheck;

/** Writes an {@link AppDefinition} in Marathon's JSON shape; {@link AppParser} reads it back. Stateless. */
final class AppJson {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private AppJson() {}

  static ObjectNode write(AppDefinition d) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", d.id());
    d.cmd().ifPresent(c -> o.put("cmd", c));
    if (!d.args().isEmpty()) {
      ArrayNode a = o.putArray("args");
      d.args().forEach(a::add);
    }
    ObjectNode env = o.putObject("env");
    d.env().forEach(env::put);
    ObjectNode labels = o.putObject("labels");
    d.labels().forEach(labels::put);
    o.put("cpus", d.cpus()).put("mem", d.mem()).put("disk", d.disk()).put("gpus", d.gpus())
        .put("instances", d.instances());
    ArrayNode cs = o.putArray("constraints");
    for (Constraint c : d.constraints()) {
      ArrayNode one = cs.addArray();
      c.toList().forEach(one::add);
    }
    ArrayNode roles = o.putArray("acceptedResourceRoles");
    d.acceptedResourceRoles().forEach(roles::add);
    d.role().ifPresent(r -> o.put("role", r));
    ArrayNode pds = o.putArray("portDefinitions");
    d.portDefinitions().forEach(p -> {
      ObjectNode pn = pds.addObject().put("port", p.port()).put("protocol", p.protocol());
      p.name().ifPresent(n -> pn.put("name", n));
      ObjectNode pl = pn.putObject("labels");
      p.labels().forEach(pl::put);
    });
    o.put("requirePorts", d.requirePorts());
    ArrayNode hcs = o.putArray("healthChecks");
    for (HealthCheck h : d.healthChecks()) {
      ObjectNode hn = hcs.addObject().put("protocol", h.protocol().name());
      h.path().ifPresent(p -> hn.put("path", p));
      h.portIndex().ifPresent(p -> hn.put("portIndex", p));
      h.port().ifPresent(p -> hn.put("port", p));
      h.command().ifPresent(c -> hn.putObject("command").put("value", c));
      hn.put("gracePeriodSeconds", h.gracePeriodSeconds()).put("intervalSeconds", h.intervalSeconds())
          .put("timeoutSeconds", h.timeoutSeconds()).put("maxConsecutiveFailures", h.maxConsecutiveFailures())
          .put("delaySeconds", h.delaySeconds()).put("ignoreHttp1xx", h.ignoreHttp1xx());
    }
    ArrayNode rcs = o.putArray("readinessChecks");
    d.readinessChecks().forEach(r -> {
      ObjectNode rn = rcs.addObject().put("name", r.name()).put("protocol", r.protocol()).put("path", r.path())
          .put("portName", r.portName()).put("intervalSeconds", r.intervalSeconds())
          .put("timeoutSeconds", r.timeoutSeconds()).put("preserveLastResponse", r.preserveLastResponse());
      ArrayNode codes = rn.putArray("httpStatusCodesForReady");
      r.httpStatusCodesForReady().forEach(codes::add);
    });
    ArrayNode deps = o.putArray("dependencies");
    d.dependencies().forEach(deps::add);
    o.putObject("upgradeStrategy").put("minimumHealthCapacity", d.upgradeStrategy().minimumHealthCapacity())
        .put("maximumOverCapacity", d.upgradeStrategy().maximumOverCapacity());
    o.put("backoffSeconds", d.backoffSeconds()).put("backoffFactor", d.backoffFactor())
        .put("maxLaunchDelaySeconds", d.maxLaunchDelaySeconds()).put("killSelection", d.killSelection().name());
    if (d.unreachableStrategy().enabled()) {
      o.putObject("unreachableStrategy").put("inactiveAfterSeconds", d.unreachableStrategy().inactiveAfterSeconds())
          .put("expungeAfterSeconds", d.unreachableStrategy().expungeAfterSeconds());
    } else {
      o.put("unreachableStrategy", "disabled");
    }
    d.taskKillGracePeriodSeconds().ifPresent(g -> o.put("taskKillGracePeriodSeconds", g));
    d.user().ifPresent(u -> o.put("user", u));
    o.put("version", d.version());
    return o;
  }
}
