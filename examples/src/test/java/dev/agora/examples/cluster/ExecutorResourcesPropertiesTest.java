package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * An executor's own resources ({@link ExecutorInfo#resources()}) are allocated once per
 * (framework, executor, agent) while the executor lives, and come back when it ends. Random
 * launches (single tasks and groups, under three executors), task ends, kills, executor exits and
 * declines, in virtual time with simulated executors; after every step, on each agent, what is
 * offered plus what live tasks and live executors hold never exceeds the agent's total (nothing is
 * offered twice), and at the end, with everything ended, the offers add up to the total exactly
 * (nothing leaks).
 */
class ExecutorResourcesPropertiesTest {
  private static final String AGENT = "cpus:4;mem:1024";
  private static final Resources TASK = Resources.parse("cpus:0.5;mem:64");
  private static final Resources EXECUTOR = Resources.parse("cpus:1;mem:128");

  @Property(tries = 15)
  void executorResourcesAreNeverOfferedTwiceNorLeaked(
      @ForAll long seed, @ForAll @Size(min = 5, max = 30) List<@IntRange(min = 0, max = 99) Integer> steps)
      throws Exception {
    run(seed, steps);
  }

  /** The plainest case: one task under an executor; the executor outlives it, then exits. */
  @Test
  void executorResourcesAreHeldUntilTheExecutorExits() throws Exception {
    Path dir = Files.createTempDirectory("executor-resources");
    try (SimCluster cluster = new SimCluster(7, dir)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent(AGENT);
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      Offer offer = s.lastOffer();
      s.offersReceived.clear();
      d.accept(List.of(offer.id()), List.of(new Operation.Launch(List.of(task("t1", offer.agentId(), "e1")))),
          Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(s.states(TaskId.of("t1"))).containsExactly(TaskState.RUNNING);
      assertThat(offeredTotal(s)).as("the remainder offered after the launch")
          .isEqualTo(Resources.parse(AGENT).subtract(TASK).subtract(EXECUTOR));

      executors.live().get(0).update(TaskId.of("t1"), TaskState.FINISHED);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(offeredTotal(s)).as("offered while the executor outlives its task")
          .isEqualTo(Resources.parse(AGENT).subtract(EXECUTOR));

      executors.exit(executors.live().get(0), 0);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(offeredTotal(s)).as("offered once the executor exited")
          .isEqualTo(Resources.parse(AGENT));
      assertThat(cluster.accounting.violations()).isEmpty();
    }
  }

  /**
   * A new master (failover, empty books) learns of running executors from the agents'
   * re-registration and keeps their resources allocated until they exit.
   */
  @Test
  void aNewMasterCountsTheExecutorsAgentsReport() throws Exception {
    Path dir = Files.createTempDirectory("executor-resources");
    try (SimCluster cluster = new SimCluster(9, dir)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent(AGENT);
      RecordingScheduler s = new RecordingScheduler();
      FrameworkInfo info = FrameworkInfo.builder("f").user("nobody").failoverTimeout(Duration.ofHours(1)).build();
      SchedulerDriver d = cluster.subscribe(info, s);
      Offer offer = s.lastOffer();
      d.accept(List.of(offer.id()), List.of(new Operation.Launch(List.of(task("t1", offer.agentId(), "e1")))),
          Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(2));
      executors.live().get(0).update(TaskId.of("t1"), TaskState.FINISHED);
      cluster.sim.advance(Duration.ofSeconds(2));

      s.offersReceived.clear();
      cluster.restartMaster(1);
      RecordingScheduler s2 = s;
      cluster.sim.advance(Duration.ofSeconds(30));
      assertThat(s.subscriptions).as("the driver subscribed again").hasSize(2);
      assertThat(offeredTotal(s2)).as("offered by the new master while the executor runs")
          .isEqualTo(Resources.parse(AGENT).subtract(EXECUTOR));

      executors.exit(executors.live().get(0), 0);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(offeredTotal(s2)).isEqualTo(Resources.parse(AGENT));
      assertThat(cluster.accounting.violations()).isEmpty();
    }
  }

  /**
   * A framework torn down with a live executor: the executor's resources come back once (with
   * the framework's removal; the agent's later exit report changes nothing) and another framework
   * is offered the whole agent.
   */
  @Test
  void aTornDownFrameworksExecutorResourcesComeBackOnce() throws Exception {
    Path dir = Files.createTempDirectory("executor-resources");
    try (SimCluster cluster = new SimCluster(10, dir)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent(AGENT);
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      Offer offer = s.lastOffer();
      d.accept(List.of(offer.id()), List.of(new Operation.Launch(List.of(task("t1", offer.agentId(), "e1")))),
          Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(2));
      d.teardown();
      cluster.sim.advance(Duration.ofSeconds(10));
      assertThat(executors.live()).as("the executor was shut down").isEmpty();

      RecordingScheduler other = new RecordingScheduler();
      cluster.subscribe(FrameworkInfo.builder("g").user("nobody").build(), other);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(offeredTotal(other)).isEqualTo(Resources.parse(AGENT));
      assertThat(cluster.accounting.violations()).isEmpty();
    }
  }

  /** A second task under a running executor is not charged for the executor again. */
  @Test
  void aRunningExecutorIsChargedOnce() throws Exception {
    Path dir = Files.createTempDirectory("executor-resources");
    try (SimCluster cluster = new SimCluster(8, dir)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent(AGENT);
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      Offer offer = s.lastOffer();
      s.offersReceived.clear();
      d.accept(List.of(offer.id()), List.of(new Operation.Launch(
          List.of(task("t1", offer.agentId(), "e1"), task("t2", offer.agentId(), "e1")))), Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(2));
      offer = s.lastOffer();
      s.offersReceived.clear();
      d.accept(List.of(offer.id()), List.of(new Operation.Launch(List.of(task("t3", offer.agentId(), "e1")))),
          Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(executors.live()).hasSize(1);
      assertThat(offeredTotal(s))
          .isEqualTo(Resources.parse(AGENT).subtract(TASK).subtract(TASK).subtract(TASK).subtract(EXECUTOR));
    }
  }

  /** What the framework holds offered now (these tests use no offer). */
  private static Resources offeredTotal(RecordingScheduler s) {
    return s.liveOffers().stream().map(Offer::resources).reduce(Resources.EMPTY, Resources::add);
  }

  private static ExecutorInfo executor(String id) {
    return new ExecutorInfo(ExecutorId.of(id), id, CommandInfo.shell("executor"), EXECUTOR);
  }

  private static TaskInfo task(String id, AgentId agent, String executorId) {
    return TaskInfo.of(TaskId.of(id), agent, TASK, CommandInfo.shell("true")).withExecutor(executor(executorId));
  }

  static void run(long seed, List<Integer> steps) throws Exception {
    Path dir = Files.createTempDirectory("executor-resources");
    String replay = "run(" + seed + "L, List.of(" + String.join(", ", steps.stream().map(String::valueOf).toList())
        + "))";
    try (SimCluster cluster = new SimCluster(seed, dir)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent(AGENT);
      cluster.addAgent(AGENT);
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      Random random = new Random(seed);
      Set<OfferId> used = new HashSet<>();
      int next = 0;
      for (int step : steps) {
        List<Offer> offers = new ArrayList<>(s.liveOffers().stream().filter(o -> !used.contains(o.id())).toList());
        if (step < 40 && !offers.isEmpty()) {
          Offer o = offers.get(random.nextInt(offers.size()));
          used.add(o.id());
          String executorId = "e" + random.nextInt(3);
          List<TaskInfo> tasks = new ArrayList<>();
          int count = 1 + random.nextInt(3);
          for (int i = 0; i < count; i++) {
            tasks.add(task("t" + next++, o.agentId(), executorId));
          }
          Operation op = random.nextBoolean() ? new Operation.Launch(tasks)
              : new Operation.LaunchGroup(executor(executorId), tasks);
          d.accept(List.of(o.id()), List.of(op), Filters.NONE);
        } else if (step < 60) {
          List<SimExecutors.SimExecutor> live = executors.live();
          if (!live.isEmpty()) {
            SimExecutors.SimExecutor e = live.get(random.nextInt(live.size()));
            e.tasks.entrySet().stream().filter(t -> !t.getValue().isTerminal()).findFirst()
                .ifPresent(t -> e.update(t.getKey(), random.nextBoolean() ? TaskState.FINISHED : TaskState.FAILED));
          }
        } else if (step < 75) {
          liveTasks(cluster).stream().findFirst()
              .ifPresent(t -> d.kill(t.id(), Optional.of(t.agentId()), Optional.empty()));
        } else if (step < 90) {
          List<SimExecutors.SimExecutor> live = executors.live();
          if (!live.isEmpty()) {
            executors.exit(live.get(random.nextInt(live.size())), random.nextInt(2));
          }
        } else if (!offers.isEmpty()) {
          offers.forEach(o -> used.add(o.id()));
          d.decline(offers.stream().map(Offer::id).toList(), Filters.NONE);
        }
        cluster.sim.advance(Duration.ofSeconds(2));
        checkNothingOfferedTwice(cluster, executors, s, used, replay);
      }
      // Everything ends: every task, then every executor; the offers then add up to the totals.
      for (MasterSnapshot.TaskView t : liveTasks(cluster)) {
        d.kill(t.id(), Optional.of(t.agentId()), Optional.empty());
      }
      cluster.sim.advance(Duration.ofSeconds(2));
      for (SimExecutors.SimExecutor e : executors.live()) {
        executors.exit(e, 0);
      }
      List<OfferId> held = s.liveOffers().stream().map(Offer::id).filter(id -> !used.contains(id)).toList();
      used.addAll(held);
      d.decline(held, Filters.NONE);
      cluster.sim.advance(Duration.ofSeconds(3));
      checkNothingOfferedTwice(cluster, executors, s, used, replay);
      Map<AgentId, Resources> offered = offered(s, used);
      assertThat(liveTasks(cluster)).as(replay).isEmpty();
      assertThat(offered.values()).as(replay + ": offers once everything ended")
          .containsOnly(Resources.parse(AGENT)).hasSize(2);
      assertThat(cluster.accounting.violations()).as(replay).isEmpty();
    }
  }

  private static List<MasterSnapshot.TaskView> liveTasks(SimCluster cluster) {
    List<MasterSnapshot.TaskView> out = new ArrayList<>();
    for (MasterSnapshot.FrameworkView f : cluster.masterSnapshot().frameworks()) {
      f.tasks().stream().filter(t -> !t.state().isTerminal()).forEach(out::add);
    }
    return out;
  }

  private static Map<AgentId, Resources> offered(RecordingScheduler s, Set<OfferId> used) {
    Map<AgentId, Resources> out = new HashMap<>();
    for (Offer o : s.liveOffers()) {
      if (!used.contains(o.id())) {
        out.merge(o.agentId(), o.resources(), Resources::add);
      }
    }
    return out;
  }

  private static void checkNothingOfferedTwice(SimCluster cluster, SimExecutors executors, RecordingScheduler s,
      Set<OfferId> used, String replay) {
    Map<AgentId, Resources> held = offered(s, used);
    for (MasterSnapshot.TaskView t : liveTasks(cluster)) {
      held.merge(t.agentId(), t.resources(), Resources::add);
    }
    Map<String, AgentId> agentAt = new HashMap<>();
    for (int i = 0; i < cluster.agents.size(); i++) {
      agentAt.put(cluster.agentAddress(i), cluster.agentSnapshot(i).agentId().orElseThrow());
    }
    for (SimExecutors.SimExecutor e : executors.live()) {
      held.merge(agentAt.get(e.agent.value()), EXECUTOR, Resources::add);
    }
    held.forEach((agent, r) -> assertThat(Resources.parse(AGENT).contains(r))
        .as(replay + ": agent " + agent + " has " + r + " offered or in use, more than " + AGENT).isTrue());
    assertThat(cluster.accounting.violations()).as(replay).isEmpty();
  }
}
