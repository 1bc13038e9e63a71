package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A master, simulated agents and the apps service in one deterministic simulation (virtual time). */
final class AppsSim implements AutoCloseable {
  static final ObjectMapper MAPPER = new ObjectMapper();
  final Simulation sim;
  final InProcessTransport transport = new InProcessTransport();
  final Master master;
  final List<Agent> agents = new ArrayList<>();
  final List<SimulatedContainerizer> containers = new ArrayList<>();
  final AppsService apps;
  /** host:port -> status code the readiness probe answers (default 503: not ready). */
  final Map<String, Integer> readiness = new java.util.concurrent.ConcurrentHashMap<>();
  private final Path workDir;

  AppsSim(long seed, Path workDir) {
    this(seed, workDir, new dev.agora.core.coordination.InMemoryStateStore());
  }

  AppsSim(long seed, Path workDir, dev.agora.core.coordination.StateStore store) {
    this(seed, workDir, store, null);
  }

  /** With the store's calls run on {@code storeExecutor} (null: on the simulated apps loop). */
  AppsSim(long seed, Path workDir, dev.agora.core.coordination.StateStore store,
      java.util.concurrent.Executor storeExecutor) {
    this.sim = new Simulation(seed);
    this.workDir = workDir;
    this.master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build())
        .loop(sim.newLoop("master")).id("sim").build().start();
    sim.runUntilIdle();
    AppsService.Builder b = AppsService.builder().transport(transport).master(master.address())
        .loop(sim.newLoop("apps")).random(sim.random()).stateStore(store)
        .readinessProbe((uri, timeout) -> java.util.concurrent.CompletableFuture.completedFuture(
            readiness.getOrDefault(uri.getHost() + ":" + uri.getPort(), 503)));
    if (storeExecutor != null) {
      b.storeExecutor(storeExecutor);
    }
    this.apps = b.build();
  }

  AppsSim addAgent(String resources, String attributes) {
    int n = agents.size();
    SimulatedContainerizer c = new SimulatedContainerizer();
    agents.add(Agent.builder().transport(transport).address(Address.of("agent-" + n)).master(master.address())
        .info(new AgentInfo("host" + n, Resources.parse(resources), Attributes.parse(attributes))).containerizer(c)
        .workDir(workDir.resolve("agent-" + n)).loop(sim.newLoop("agent-" + n)).random(sim.random()).build().start());
    containers.add(c);
    sim.runUntilIdle();
    return this;
  }

  /** The directory under which each simulated agent has its work dir ({@code agent-N}). */
  Path workDir() {
    return workDir;
  }

  AppsSim start() {
    apps.start();
    sim.advance(Duration.ofSeconds(2));
    return this;
  }

  /** A call to the API, run to completion in the simulation. */
  AppsApi.Response call(String method, String path, String body) {
    return call(method, path, Map.of(), body);
  }

  AppsApi.Response call(String method, String path, Map<String, List<String>> query, String body) {
    var f = apps.api().handle(method, path, query, body);
    sim.runUntilIdle();
    return f.join();
  }

  JsonNode json(String method, String path, String body) {
    try {
      return MAPPER.readTree(call(method, path, body).body());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode app(String id) {
    return json("GET", "/v2/apps" + id, "").get("app");
  }

  /** Task id -> state of an app's tasks. */
  Map<String, String> tasks(String id) {
    Map<String, String> out = new LinkedHashMap<>();
    json("GET", "/v2/apps" + id + "/tasks", "").get("tasks").forEach(t -> out.put(t.get("id").asText(),
        t.get("state").asText()));
    return out;
  }

  long running(String id) {
    return tasks(id).values().stream().filter("TASK_RUNNING"::equals).count();
  }

  /** Ends a task's simulated process with an exit code; returns whether it ran. */
  boolean finish(String taskId, int exitCode) {
    for (SimulatedContainerizer c : containers) {
      if (c.finish(TaskId.of(taskId), exitCode)) {
        sim.runUntilIdle();
        return true;
      }
    }
    return false;
  }

  /** Makes a task's health checks pass or fail on its (simulated) agent. */
  void health(String taskId, boolean healthy) {
    containers.forEach(c -> c.health(TaskId.of(taskId), healthy ? java.util.Optional.empty()
        : java.util.Optional.of("simulated failure")));
  }

  /** Runs the scheduler's invariant checks on its loop; throws what they throw. */
  void checkInvariants() {
    var f = apps.checkInvariants();
    sim.runUntilIdle();
    f.join();
  }

  void advanceUntil(java.util.function.BooleanSupplier condition, Duration limit) {
    if (!sim.advanceUntil(condition, limit)) {
      throw new AssertionError("condition not met within " + limit + " of virtual time");
    }
  }

  @Override
  public void close() {
    apps.close();
    agents.forEach(Agent::close);
    master.close();
    sim.runUntilIdle();
  }
}
