package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.agora.core.agent.Agent;
import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * An agent's own endpoints: what its containers use, measured by its {@link Containerizer} when
 * asked ({@link Containerizer#usage}).
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format: {@code agora_agent_registered},
 *       {@code agora_agent_tasks}, and per running container (labels {@code framework_id},
 *       {@code task_id}, {@code container_id}) {@code agora_container_cpu_seconds_total},
 *       {@code agora_container_memory_bytes}, {@code agora_container_memory_peak_bytes} and
 *       {@code agora_container_processes}.
 *   <li>{@code GET /containers}: as the Mesos agent's endpoint, a JSON array with one object per
 *       running container: {@code framework_id}, {@code executor_id} (the task id: every task is its
 *       own command executor), {@code container_id} and {@code statistics}.
 *   <li>{@code POST /api/v1} with {@code {"type": "GET_CONTAINERS"}}: the Mesos v1 agent call, the
 *       same containers under {@code get_containers.containers} with {@code resource_statistics};
 *       other agent call types answer 501.
 * </ul>
 * Statistics use Mesos' {@code ResourceStatistics} names where one fits: {@code timestamp}
 * (seconds), {@code mem_total_bytes} (memory in use, page cache included for a cgroup),
 * {@code processes}; and Agora's own {@code cpus_time_secs} (user and system together) and
 * {@code mem_peak_bytes}. A container the containerizer cannot measure is listed without
 * statistics.
 *
 * <p>Concurrency: called on request threads; each request waits (up to 5 s) for one agent
 * snapshot, then reads the containers' usage on the request thread.
 */
public final class AgentApi implements HttpHandler {
  private final Supplier<? extends CompletionStage<AgentSnapshot>> snapshots;
  private final Containerizer containerizer;
  private final dev.agora.core.runtime.Clock clock;

  /**
   * An API over agent snapshots from {@code snapshots} and the usage measured by
   * {@code containerizer}, the agent's own; statistics are stamped with the system clock.
   */
  public AgentApi(Supplier<? extends CompletionStage<AgentSnapshot>> snapshots, Containerizer containerizer) {
    this(snapshots, containerizer, dev.agora.core.runtime.Clock.system());
  }

  /** As {@link #AgentApi(Supplier, Containerizer)}, stamping statistics with {@code clock}. */
  public AgentApi(Supplier<? extends CompletionStage<AgentSnapshot>> snapshots, Containerizer containerizer,
      dev.agora.core.runtime.Clock clock) {
    this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
    this.containerizer = Objects.requireNonNull(containerizer, "containerizer");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Serves {@code /metrics}, {@code /containers} and {@code /api/v1} for {@code agent} on
   * {@code transport}; {@code containerizer} is the one the agent was built with.
   */
  public static void serve(HttpTransport transport, Agent agent, Containerizer containerizer) {
    AgentApi api = new AgentApi(agent::snapshot, containerizer);
    for (String path : new String[] {"/metrics", "/containers", "/api/v1"}) {
      transport.addHandler(path, api);
    }
  }

  /** One running container and what it uses, if measured. */
  record Measured(AgentSnapshot.TaskView task, Optional<ResourceUsage> usage) {}

  private AgentSnapshot snapshot() {
    try {
      return snapshots.get().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new Exchanges.HttpError(503, "the agent did not answer within 5 s");
    } catch (ExecutionException e) {
      throw new Exchanges.HttpError(503, "the agent is not running");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Exchanges.HttpError(503, "interrupted");
    }
  }

  /** The tasks whose containers run (launched, not ended), with their usage read now. */
  List<Measured> measure(AgentSnapshot s) {
    List<Measured> out = new ArrayList<>();
    for (AgentSnapshot.TaskView t : s.tasks()) {
      if (t.pid() > 0 && !t.state().isTerminal()) {
        out.add(new Measured(t, containerizer.usage(t.containerId())));
      }
    }
    return out;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    switch (path) {
      case "/metrics" -> {
        requireGet(method);
        AgentSnapshot s = snapshot();
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        byte[] body = prometheus(s, measure(s)).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, method.equals("HEAD") ? -1 : body.length);
        if (!method.equals("HEAD")) {
          exchange.getResponseBody().write(body);
        }
        exchange.close();
      }
      case "/containers" -> {
        requireGet(method);
        ArrayNode a = MesosJson.mapper().createArrayNode();
        for (Measured m : measure(snapshot())) {
          ObjectNode c = a.addObject();
          c.put("framework_id", m.task().frameworkId().value());
          c.put("executor_id", m.task().taskId().value());
          c.put("container_id", m.task().containerId().value());
          m.usage().ifPresent(u -> statistics(c.putObject("statistics"), u, clock.instant()));
        }
        Exchanges.sendJson(exchange, 200, a);
      }
      case "/api/v1" -> {
        if (!method.equals("POST")) {
          throw new Exchanges.HttpError(405, "use POST for agent calls");
        }
        call(exchange, Exchanges.json(exchange));
      }
      default -> throw new Exchanges.HttpError(404, "no such endpoint " + path);
    }
  }

  private void call(HttpExchange exchange, JsonNode json) throws IOException {
    JsonNode type = json.get("type");
    if (!json.isObject() || type == null || !type.isTextual()) {
      throw new Exchanges.HttpError(400, "an agent call must be a JSON object with a string field 'type'");
    }
    if (!type.textValue().equals("GET_CONTAINERS")) {
      throw new Exchanges.HttpError(501, "agent call type '" + Exchanges.MesosJsonClip.clip(type.textValue())
          + "' is not implemented here (only GET_CONTAINERS)");
    }
    ObjectNode out = MesosJson.mapper().createObjectNode();
    out.put("type", "GET_CONTAINERS");
    ArrayNode a = out.putObject("get_containers").putArray("containers");
    for (Measured m : measure(snapshot())) {
      ObjectNode c = a.addObject();
      c.putObject("framework_id").put("value", m.task().frameworkId().value());
      c.putObject("executor_id").put("value", m.task().taskId().value());
      c.putObject("container_id").put("value", m.task().containerId().value());
      m.usage().ifPresent(u -> statistics(c.putObject("resource_statistics"), u, clock.instant()));
    }
    Exchanges.sendJson(exchange, 200, out);
  }

  private static void statistics(ObjectNode o, ResourceUsage u, java.time.Instant now) {
    o.put("timestamp", now.toEpochMilli() / 1000.0);
    o.put("cpus_time_secs", u.cpuTime().toNanos() / 1e9);
    o.put("mem_total_bytes", u.memoryBytes());
    o.put("mem_peak_bytes", u.peakMemoryBytes());
    o.put("processes", u.processes());
  }

  private static void requireGet(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new Exchanges.HttpError(405, "use GET");
    }
  }

  /** The Prometheus text of an agent and its measured containers. */
  static String prometheus(AgentSnapshot s, List<Measured> containers) {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP agora_agent_registered 1 if the agent is registered with a master.\n")
        .append("# TYPE agora_agent_registered gauge\n")
        .append("agora_agent_registered ").append(s.registered() ? 1 : 0).append('\n');
    sb.append("# HELP agora_agent_tasks Tasks the agent runs or has not finished reporting.\n")
        .append("# TYPE agora_agent_tasks gauge\n")
        .append("agora_agent_tasks ").append(s.tasks().size()).append('\n');
    family(sb, "agora_container_cpu_seconds_total", "counter", "CPU time (user and system) of the container.",
        containers, u -> u.cpuTime().toNanos() / 1e9);
    family(sb, "agora_container_memory_bytes", "gauge", "Memory the container uses now.",
        containers, u -> (double) u.memoryBytes());
    family(sb, "agora_container_memory_peak_bytes", "gauge", "The most memory the container has used.",
        containers, u -> (double) u.peakMemoryBytes());
    family(sb, "agora_container_processes", "gauge", "Processes of the container now.",
        containers, u -> (double) u.processes());
    return sb.toString();
  }

  private static void family(StringBuilder sb, String name, String type, String help, List<Measured> containers,
      java.util.function.ToDoubleFunction<ResourceUsage> value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (Measured m : containers) {
      if (m.usage().isEmpty()) {
        continue;
      }
      sb.append(name).append("{framework_id=\"").append(label(m.task().frameworkId().value()))
          .append("\",task_id=\"").append(label(m.task().taskId().value()))
          .append("\",container_id=\"").append(label(m.task().containerId().value())).append("\"} ")
          .append(number(value.applyAsDouble(m.usage().get()))).append('\n');
    }
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  /** A label value escaped as the text format wants: backslash, double quote and newline. */
  static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
