package dev.agora.examples.apps;

import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.placement.Demand;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How the apps service turns an app definition into Agora tasks: the placement demand, the
 * TaskInfo with Marathon's environment ({@code PORT0..}, {@code PORTS}, {@code HOST},
 * {@code MARATHON_APP_*}, {@code MESOS_TASK_ID}) and labels, and the health check the agent runs.
 *
 * <p>What every task of one definition shares is computed once per definition ({@link Template})
 * and reused for each instance; only the ports, host and task id differ per task.
 *
 * <p>Concurrency: stateless; templates are immutable.
 */
final class AppTasks {
  private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9_]+");
  private static final Pattern NOT_ENV_NAME = Pattern.compile("[^A-Z0-9_]");

  private AppTasks() {}

  /**
   * The parts of a task shared by every instance of one definition.
   *
   * @param def the definition this template was made from (compared by identity to reuse it)
   * @param env the environment before ports, host and task id are added
   * @param labels the task labels
   * @param name the task name
   * @param killGrace the kill grace period, if set
   * @param demand what one instance asks of an offer
   */
  record Template(AppDefinition def, Map<String, String> env, Map<String, String> labels, String name,
      Optional<Duration> killGrace, Demand demand) {}

  /** The template of {@code def}. */
  static Template template(AppDefinition def) {
    Map<String, String> env = new HashMap<>(def.env());
    env.put("MARATHON_APP_ID", def.id());
    env.put("MARATHON_APP_VERSION", def.version());
    def.labels().forEach((k, v) -> {
      if (LABEL_KEY.matcher(k).matches()) {
        env.put("MARATHON_APP_LABEL_" + k.toUpperCase(Locale.ROOT), v);
      }
    });
    Map<String, String> labels = new TreeMap<>(def.labels());
    labels.put("MARATHON_APP_ID", def.id());
    labels.put("MARATHON_APP_VERSION", def.version());
    return new Template(def, Map.copyOf(env), Map.copyOf(labels), def.id().substring(1).replace('/', '.'),
        def.taskKillGracePeriodSeconds().map(s -> Duration.ofMillis(Math.round(s * 1000))), demand(def));
  }

  /** What one instance of {@code def} asks of an offer. */
  static Demand demand(AppDefinition def) {
    Resources.Builder b = Resources.builder().scalar("cpus", def.cpus()).scalar("mem", def.mem());
    if (def.disk() > 0) {
      b.scalar("disk", def.disk());
    }
    if (def.gpus() > 0) {
      b.scalar("gpus", def.gpus());
    }
    List<Integer> ports = new ArrayList<>();
    def.portDefinitions().forEach(p -> ports.add(def.requirePorts() ? p.port() : 0));
    return new Demand(b.build(), ports, def.constraints(), Set.copyOf(def.acceptedResourceRoles()));
  }

  /**
   * The task of one instance.
   *
   * @param agentKillsUnhealthy whether the agent kills the task after maxConsecutiveFailures (else the
   *     health check only reports and the apps service decides, see {@link HealthKills})
   */
  static TaskInfo taskInfo(Template t, Instance inst, Resources resources, boolean agentKillsUnhealthy) {
    AppDefinition def = t.def();
    Map<String, String> env = new HashMap<>(t.env());
    StringBuilder ports = new StringBuilder();
    for (int i = 0; i < inst.ports.size(); i++) {
      String port = String.valueOf(inst.ports.get(i));
      if (i > 0) {
        ports.append(',');
      }
      ports.append(port);
      env.put("PORT" + i, port);
      AppDefinition.PortDefinition pd = def.portDefinitions().get(i);
      if (pd.name().isPresent()) {
        env.put("PORT_" + NOT_ENV_NAME.matcher(pd.name().get().toUpperCase(Locale.ROOT)).replaceAll("_"), port);
      }
      if (pd.port() != 0) {
        env.put("PORT_" + pd.port(), port);
      }
    }
    if (!inst.ports.isEmpty()) {
      env.put("PORT", String.valueOf(inst.ports.get(0)));
      env.put("PORTS", ports.toString());
    }
    env.put("HOST", inst.hostname);
    env.put("MESOS_TASK_ID", inst.taskId.value());
    CommandInfo command = def.cmd().isPresent()
        ? new CommandInfo(true, def.cmd().get(), List.of(), env, def.user())
        : new CommandInfo(false, def.args().get(0), def.args(), env, def.user());
    TaskInfo task = new TaskInfo(inst.taskId, t.name(), inst.agentId, resources, command, t.labels(), t.killGrace());
    return healthCheck(def, inst.ports, agentKillsUnhealthy).map(task::withHealthCheck).orElse(task);
  }

  /**
   * The app's first health check as the agent runs it (Mesos' TaskInfo holds one): its portIndex
   * resolved to the instance's host port; Marathon's seconds as durations. When the agent is not to
   * kill, consecutiveFailures is 0 (the agent only reports health).
   */
  static Optional<dev.agora.core.model.HealthCheck> healthCheck(AppDefinition def, List<Long> ports,
      boolean agentKillsUnhealthy) {
    if (def.healthChecks().isEmpty()) {
      return Optional.empty();
    }
    AppDefinition.HealthCheck h = def.healthChecks().get(0);
    dev.agora.core.model.HealthCheck.Type type = switch (h.protocol()) {
      case HTTP, MESOS_HTTP -> dev.agora.core.model.HealthCheck.Type.HTTP;
      case HTTPS, MESOS_HTTPS -> dev.agora.core.model.HealthCheck.Type.HTTPS;
      case TCP, MESOS_TCP -> dev.agora.core.model.HealthCheck.Type.TCP;
      case COMMAND -> dev.agora.core.model.HealthCheck.Type.COMMAND;
    };
    int port = 0;
    if (type != dev.agora.core.model.HealthCheck.Type.COMMAND) {
      if (h.port().isPresent()) {
        port = h.port().get();
      } else {
        int index = h.portIndex().orElse(0);
        if (index >= ports.size()) {
          return Optional.empty(); // validated at parse time; an instance without its ports is not checked
        }
        port = (int) (long) ports.get(index);
      }
    }
    return Optional.of(new dev.agora.core.model.HealthCheck(type, port, h.path().orElse("/"), h.command(),
        Duration.ofSeconds(h.delaySeconds()), Duration.ofSeconds(h.intervalSeconds()),
        Duration.ofSeconds(h.timeoutSeconds()), agentKillsUnhealthy ? h.maxConsecutiveFailures() : 0,
        Duration.ofSeconds(h.gracePeriodSeconds())));
  }

  /**
   * The config version as carried in task ids ({@code <app>.<version>.<uuid>}): epoch millis in
   * base 36 and a dot, so that a new leader knows which version a task it adopts runs; empty if
   * the version is no instant.
   */
  static String versionToken(String configVersion) {
    try {
      return Long.toString(Instant.parse(configVersion).toEpochMilli(), 36) + ".";
    } catch (java.time.format.DateTimeParseException e) {
      return "";
    }
  }
}
