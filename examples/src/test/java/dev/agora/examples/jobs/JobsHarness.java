package dev.agora.examples.jobs;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Clock;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.examples.jobs.JobRun.State;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A master, agents with simulated containers and the jobs service, all in one {@link Simulation}.
 * Wall time is virtual time plus an offset the test can move ({@link #jump}), to start on a given
 * date and to make the clock jump. Tasks end as {@link #outcome} says: after a duration with an
 * exit code, or never.
 */
final class JobsHarness implements AutoCloseable {
  /** How a job's task ends: after {@code after} with {@code exitCode}; null after: never ends by itself. */
  record Outcome(Duration after, int exitCode) {}

  final Simulation sim = new Simulation(7);
  final InProcessTransport transport = new InProcessTransport();
  final Master master;
  final List<SimulatedContainerizer> containerizers = new ArrayList<>();
  final List<Agent> agents = new ArrayList<>();
  final StateStore store;
  final JumpClock clock;
  /** Every task launched, in order. */
  final List<String> launched = new ArrayList<>();
  Function<String, Outcome> outcome = job -> new Outcome(Duration.ofSeconds(20), 0);
  JobsService service;
  private final Map<String, Instant> seen = new HashMap<>();
  private int instances;
  private final EventLoop runner;

  /** The wall clock: the simulation's time plus a movable offset. */
  static final class JumpClock implements Clock {
    private final Simulation sim;
    volatile Duration offset;

    JumpClock(Simulation sim, Duration offset) {
      this.sim = sim;
      this.offset = offset;
    }

    @Override
    public Instant instant() {
      return sim.instant().plus(offset);
    }

    @Override
    public long nanoTime() {
      return sim.nanoTime();
    }
  }

  JobsHarness(Path workDir, Instant wallStart, StateStore store) {
    this.store = store;
    this.clock = new JumpClock(sim, Duration.between(Simulation.EPOCH, wallStart));
    master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build())
        .loop(sim.newLoop("master")).id("sim").build().start();
    for (int i = 0; i < 2; i++) {
      SimulatedContainerizer c = new SimulatedContainerizer();
      containerizers.add(c);
      agents.add(Agent.builder().transport(transport).address(Address.of("agent-" + i)).master(master.address())
          .info(new AgentInfo("host" + i, Resources.parse("cpus:4;mem:4096;disk:4096"),
              Attributes.parse("rack:r" + i)))
          .containerizer(c).workDir(workDir.resolve("agent-" + i)).loop(sim.newLoop("agent-" + i))
          .random(sim.random()).build().start());
    }
    runner = sim.newLoop("task-runner");
    runner.schedule(Duration.ofSeconds(1), this::runTasks);
    sim.runUntilIdle();
  }

  JobsHarness(Path workDir, Instant wallStart) {
    this(workDir, wallStart, new InMemoryStateStore());
  }

  /** Starts a jobs service instance on this store. */
  JobsService startService(JobsService.CatchUp catchUp, int disableAfterFailures) {
    return startService(b -> b.catchUp(catchUp).disableAfterFailures(disableAfterFailures));
  }

  /** Starts a jobs service instance on this store, with more settings. */
  JobsService startService(java.util.function.Consumer<JobsService.Builder> settings) {
    JobsService.Builder b = JobsService.builder().transport(transport).master(master.address())
        .address(Address.of("jobs-" + instances)).loop(sim.newLoop("jobs-" + instances++)).clock(clock)
        .stateStore(store).retryBackoff(Duration.ofSeconds(10));
    settings.accept(b);
    service = b.start();
    sim.runUntilIdle();
    return service;
  }

  JobsService startService() {
    return startService(JobsService.CatchUp.RUN_ONCE, 0);
  }

  /** Ends tasks as {@link #outcome} says; polls every second of virtual time. */
  private void runTasks() {
    Instant now = sim.instant();
    for (SimulatedContainerizer c : containerizers) {
      for (TaskId t : c.running()) {
        Instant first = seen.get(t.value());
        if (first == null) {
          seen.put(t.value(), now);
          launched.add(t.value());
          first = now;
        }
        Outcome o = outcome.apply(jobOf(t.value()));
        if (o.after() != null && !now.isBefore(first.plus(o.after()))) {
          c.finish(t, o.exitCode());
        }
      }
    }
    runner.schedule(Duration.ofSeconds(1), this::runTasks);
  }

  /** The job name in a task id {@code ct:<millis>:<attempt>:<job>}. */
  static String jobOf(String taskId) {
    return taskId.substring(taskId.indexOf(':', taskId.indexOf(':', 3) + 1) + 1);
  }

  JobsService.Response call(String method, String path, String body) {
    var f = service.request(method, path, body);
    sim.runUntilIdle();
    return f.join();
  }

  JobsService.Response post(String json) {
    boolean dependent = json.contains("\"parents\"");
    return call("POST", "/v1/scheduler/" + (dependent ? "dependency" : "iso8601"), json);
  }

  void advance(Duration d) {
    sim.advance(d);
  }

  /** Moves the wall clock (not virtual time) by {@code d}. */
  void jump(Duration d) {
    clock.offset = clock.offset.plus(d);
  }

  Instant wall() {
    return clock.instant();
  }

  List<JobRun> runs(String job) {
    sim.runUntilIdle();
    return service.engine().orElseThrow().history(job);
  }

  List<JobRun> runs(String job, State state) {
    return runs(job).stream().filter(r -> r.state() == state).toList();
  }

  List<Instant> scheduled(String job, State state) {
    return runs(job, state).stream().map(JobRun::scheduled).toList();
  }

  long launches(String job) {
    return launched.stream().filter(t -> jobOf(t).equals(job)).count();
  }

  @Override
  public void close() {
    if (service != null) {
      service.close();
    }
    agents.forEach(Agent::close);
    master.close();
    sim.runUntilIdle();
    if (!sim.failures().isEmpty()) {
      throw new AssertionError("tasks failed on simulated loops: " + sim.failures(), sim.failures().get(0));
    }
  }
}
