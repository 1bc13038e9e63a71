package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
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

/**
 * Random interleavings of launches, task ends, kills, partitions, agent crashes and restarts,
 * framework failovers, lost acknowledgements and master restarts, in virtual time. After every
 * step and at the end: no actor failed, the allocator's books (kept independently by
 * {@link AccountingAllocator}) never hold more than an agent's total nor go negative, each task is
 * in exactly one place with one state, and at the frameworks terminal states are absorbing and
 * states never go back. After healing, the master's and the agents' books agree.
 *
 * <p>Replay: a failure's message starts with the {@code run(seed, steps)} call that replays it
 * (jqwik also prints the sample and its own run seed, for {@code @Property(seed = "...")}).
 *
 * <p>Known limits. A RunTask dropped on the wire leaves its task STAGING at the master until the
 * framework kills it (see {@code killStuckLaunches}). Master restarts keep the registry (see
 * {@link SimCluster#restartMaster}), but are still only generated while no agent is unreachable,
 * as when this property was written: a restart during a partition is not explored yet.
 */
class FaultSimulationPropertiesTest {
  private static final int AGENTS = 3;

  /**
   * The default run explores: a few new random scenarios each run (jqwik.tries.default in
   * src/test/resources/junit-platform.properties), so that CI keeps looking. A failure names the
   * sample to replay (see {@link #run}); once fixed, keep it below as its own regression.
   */
  @Property(tries = 12)
  void booksStayStraightUnderRandomFaults(
      @ForAll long seed, @ForAll @Size(min = 5, max = 30) List<@IntRange(min = 0, max = 99) Integer> steps)
      throws Exception {
    run(seed, steps);
  }

  /**
   * The soak: 10,000 scenarios; run with {@code mvn -Psoak -pl examples -am test
   * -Dtest='FaultSimulationPropertiesTest#booksStayStraightUnderRandomFaultsSoak'
   * -Dsurefire.failIfNoSpecifiedTests=false}. jqwik prints its run seed at the end; each failing
   * sample prints a {@code run(...)} call that replays it.
   */
  @Property(tries = 10_000)
  @net.jqwik.api.Tag("slow")
  void booksStayStraightUnderRandomFaultsSoak(
      @ForAll long seed, @ForAll @Size(min = 5, max = 40) List<@IntRange(min = 0, max = 99) Integer> steps)
      throws Exception {
    run(seed, steps);
  }

  /**
   * Regression, found by the soak: a task of a framework that is not partition-aware was reported
   * LOST when its agent was partitioned away; when the agent came back the master killed it there
   * and swallowed the TASK_KILLED, but with acknowledgements being dropped the agent retried that
   * update after the master had forgotten the kill, and the master forwarded it: the framework saw
   * LOST then KILLED.
   */
  @net.jqwik.api.Example
  void aRetriedKilledUpdateOfATaskAlreadyReportedLostIsNotForwarded() throws Exception {
    run(2, List.of(10, 15, 38, 4, 10, 29, 0, 0, 65, 8, 0, 20, 63, 24, 0, 86, 26, 28, 64, 8));
  }

  /**
   * Regression, found by the 10,000-try soak: a task of a framework that is not partition-aware
   * was reported LOST, and the master restarted; the new master did not know what its predecessor
   * had told the framework, so it forwarded the agent's later TASK_KILLED: LOST then KILLED. The
   * "reported LOST" memory is now in the durable registry.
   */
  @net.jqwik.api.Example
  void aTaskReportedLostStaysLostAcrossAMasterRestart() throws Exception {
    run(-35L, List.of(38, 25, 9, 50, 7, 99, 14, 5, 3, 19, 22, 26, 91, 1, 81, 1, 55, 8, 34, 33, 14, 11, 79, 4, 5, 48,
        9, 30, 9, 75, 31, 8));
  }

  /** Regression: the sample that found the missing reconcileKnownSlave (the old default seed's). */
  @Property(seed = "2068106635551911374", tries = 30)
  void theOldDefaultSeedStillPasses(
      @ForAll long seed, @ForAll @Size(min = 5, max = 30) List<@IntRange(min = 0, max = 99) Integer> steps)
      throws Exception {
    run(seed, steps);
  }

  /**
   * Plays one scenario; a failure names the call that replays it. Each sample's scenario depends
   * only on {@code seed} and {@code steps}.
   */
  private static final java.util.concurrent.atomic.AtomicLong SCENARIOS = new java.util.concurrent.atomic.AtomicLong();
  private static final long STARTED = System.nanoTime();

  static void run(long seed, List<Integer> steps) throws Exception {
    long n = SCENARIOS.incrementAndGet();
    if (n % 500 == 0) {
      System.err.printf("fault scenarios played: %d in %d s%n", n,
          java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - STARTED));
    }
    Path work = Files.createTempDirectory("agora-faults");
    try (SimCluster cluster = new SimCluster(seed, work)) {
      new Scenario(cluster, new Random(seed)).play(steps);
    } catch (AssertionError e) {
      throw new AssertionError("replay with FaultSimulationPropertiesTest.run(" + seed + "L, List.of("
          + steps.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")) + ")): "
          + e.getMessage(), e);
    } finally {
      deleteTree(work);
    }
  }

  private static final class Scenario {
    final SimCluster cluster;
    final Random random;
    final List<CheckingScheduler> schedulers = new ArrayList<>();
    final List<FrameworkInfo> infos = new ArrayList<>();
    final List<SchedulerDriver> drivers = new ArrayList<>();
    final Set<Integer> partitioned = new HashSet<>();
    int failovers;
    int masters;
    int launched;
    final List<String> log = new ArrayList<>();

    Scenario(SimCluster cluster, Random random) {
      this.cluster = cluster;
      this.random = random;
    }

    void play(List<Integer> steps) {
      for (int i = 0; i < AGENTS; i++) {
        cluster.addAgent("cpus:4;mem:1024");
      }
      subscribe(FrameworkInfo.builder("aware").user("nobody").checkpoint(true).failoverTimeout(Duration.ofHours(1))
          .capability(Capability.PARTITION_AWARE).build());
      subscribe(FrameworkInfo.builder("plain").user("nobody").failoverTimeout(Duration.ofHours(1)).build());
      for (int step : steps) {
        act(step);
        cluster.sim.advance(Duration.ofSeconds(random.nextInt(120)));
        checkSafety();
      }
      log.add("heal");
      cluster.transport.heal();
      partitioned.clear();
      cluster.sim.advance(Duration.ofMinutes(40));
      checkSafety();
      killStuckLaunches();
      cluster.sim.advance(Duration.ofMinutes(20));
      checkSafety();
      checkAgreement();
    }

    void subscribe(FrameworkInfo info) {
      CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
      schedulers.add(s);
      infos.add(info);
      drivers.add(cluster.subscribe(info, s));
    }

    void act(int step) {
      int kind = step % 10;
      int which = step / 10;
      switch (kind) {
        case 0, 1 -> {
          CheckingScheduler s = schedulers.get(which % 2);
          s.enqueue("l" + launched++, 1 + which % 3);
          s.driver.revive(Set.of());
          log.add("launch via " + infos.get(which % 2).name());
        }
        case 2 -> {
          List<TaskId> running = new ArrayList<>(cluster.containerizers.get(which % AGENTS).running());
          if (!running.isEmpty()) {
            TaskId t = running.get(which % running.size());
            cluster.containerizers.get(which % AGENTS).finish(t, which % 2);
            log.add("finish " + t);
          }
        }
        case 3 -> {
          CheckingScheduler s = schedulers.get(which % 2);
          List<TaskId> placed = new ArrayList<>(s.placed.keySet());
          if (!placed.isEmpty() && s.driver != null) {
            TaskId t = placed.get(which % placed.size());
            s.driver.kill(t, Optional.empty(), Optional.empty());
            log.add("kill " + t);
          }
        }
        case 4 -> {
          int agent = which % AGENTS;
          cluster.transport.add(MessageMatcher.between(Address.of("master"), agentAddress(agent)),
              Fault.DROP, 1.0, Duration.ZERO);
          partitioned.add(agent);
          log.add("partition agent " + agent);
        }
        case 5 -> {
          cluster.transport.heal();
          partitioned.clear();
          log.add("heal");
        }
        case 6 -> {
          int agent = which % AGENTS;
          if (!partitioned.contains(agent)) {
            cluster.crashAgent(agent);
            cluster.sim.advance(Duration.ofSeconds(random.nextInt(30)));
            cluster.restartAgent(agent, b -> b);
            log.add("crash and restart agent " + agent);
          }
        }
        case 7 -> {
          int f = which % 2;
          drivers.get(f).close();
          cluster.sim.advance(Duration.ofSeconds(random.nextInt(60)));
          FrameworkId id = schedulers.get(f).frameworkId;
          FrameworkInfo info = infos.get(f);
          FrameworkInfo again = FrameworkInfo.builder(info.name()).user("nobody").checkpoint(info.checkpoint())
              .failoverTimeout(info.failoverTimeout()).id(id).build();
          if (info.has(Capability.PARTITION_AWARE)) {
            again = FrameworkInfo.builder(info.name()).user("nobody").checkpoint(true).failoverTimeout(info.failoverTimeout())
                .capability(Capability.PARTITION_AWARE).id(id).build();
          }
          drivers.set(f, cluster.subscribe(again, schedulers.get(f)));
          failovers++;
          log.add("fail over " + info.name());
        }
        case 8 -> {
          cluster.transport.add(MessageMatcher.ofType(SchedulerCall.Acknowledge.class)
              .or(MessageMatcher.ofType(AgentMessage.StatusUpdateAcknowledgement.class)), Fault.DROP, 0.5, Duration.ZERO);
          log.add("drop half the acknowledgements");
        }
        default -> {
          if (partitioned.isEmpty() && cluster.await(cluster.master.unreachableAgents()).isEmpty()) {
            cluster.restartMaster(++masters);
            log.add("restart master");
          }
        }
      }
    }

    private Address agentAddress(int agent) {
      return Address.of(cluster.agentAddress(agent));
    }

    /** What must hold at every moment. */
    void checkSafety() {
      assertThat(cluster.sim.failures()).as("actor failures after %s", log).isEmpty();
      assertThat(cluster.accounting.violations()).as("allocator books after %s", log).isEmpty();
      for (CheckingScheduler s : schedulers) {
        assertThat(s.checker.violations()).as("framework view after %s", log).isEmpty();
      }
      MasterSnapshot m = cluster.masterSnapshot();
      Set<String> seen = new HashSet<>();
      Map<AgentId, Resources> used = new HashMap<>();
      for (MasterSnapshot.FrameworkView f : m.frameworks()) {
        for (MasterSnapshot.TaskView t : f.tasks()) {
          assertThat(seen.add(f.id() + "/" + t.id())).as("task %s listed once (%s)", t.id(), log).isTrue();
          if (!t.state().isTerminal()) {
            used.merge(t.agentId(), t.resources(), Resources::add);
          }
        }
      }
      for (MasterSnapshot.AgentView a : m.agents()) {
        assertThat(a.total().contains(used.getOrDefault(a.id(), Resources.EMPTY)))
            .as("live tasks on %s fit its total (%s)", a.id(), log).isTrue();
      }
      Map<TaskId, Integer> where = new HashMap<>();
      for (int i = 0; i < AGENTS; i++) {
        for (AgentSnapshot.TaskView t : cluster.agentSnapshot(i).tasks()) {
          Integer before = where.put(t.taskId(), i);
          assertThat(before).as("task %s on one agent only (%s)", t.taskId(), log).isNull();
        }
      }
    }

    /**
     * A launch whose RunTask was lost on the wire stays STAGING at the master (the simulated
     * network drops messages without breaking a connection, so nothing forces the agent to
     * re-register); as real frameworks do after a launch timeout, the framework kills it, and the
     * agent, which does not know it, answers LOST.
     */
    void killStuckLaunches() {
      for (MasterSnapshot.FrameworkView f : cluster.masterSnapshot().frameworks()) {
        for (MasterSnapshot.TaskView t : f.tasks()) {
          if (t.state() == dev.agora.core.model.TaskState.STAGING) {
            for (CheckingScheduler s : schedulers) {
              if (f.id().equals(s.frameworkId) && s.driver != null) {
                s.driver.kill(t.id(), Optional.of(t.agentId()), Optional.empty());
                log.add("framework kills stuck launch " + t.id());
              }
            }
          }
        }
      }
    }

    /** After healing and waiting: the master's live tasks are those the agents run, in the same state. */
    void checkAgreement() {
      Map<String, String> master = new HashMap<>();
      for (MasterSnapshot.FrameworkView f : cluster.masterSnapshot().frameworks()) {
        for (MasterSnapshot.TaskView t : f.tasks()) {
          if (!t.state().isTerminal()) {
            master.put(t.id().value(), t.state().name());
          }
        }
      }
      Map<String, String> agents = new HashMap<>();
      for (int i = 0; i < AGENTS; i++) {
        AgentSnapshot a = cluster.agentSnapshot(i);
        assertThat(a.registered()).as("agent %s registered after healing (%s)", i, log).isTrue();
        assertThat(a.pendingStatusUpdates()).as("agent %s has nothing pending (%s)", i, log).isZero();
        for (AgentSnapshot.TaskView t : a.tasks()) {
          agents.put(t.taskId().value(), t.state().name());
        }
      }
      assertThat(master).as("master and agents agree (%s)", log).isEqualTo(agents);
    }
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
