package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.allocation.Quota;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.coordination.CountingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.MachineId;
import dev.agora.core.model.MaintenanceSchedule;
import dev.agora.core.model.MaintenanceWindow;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master's durable registry across a failover, in virtual time: two masters share a store;
 * the first leads, is deposed, and the second recovers weights, quotas, frameworks and the
 * agents' marks from the store, rebuilds tasks from the agents' re-registrations, holds back
 * reconciliation answers for agents that may still come back, marks those that do not
 * unreachable after the re-registration timeout, and writes a handful of times throughout.
 */
class RegistryFailoverTest {
  private static final Duration REREGISTRATION_TIMEOUT = Duration.ofSeconds(60);
  @TempDir Path work;
  private final Simulation sim = new Simulation(21);
  private final InProcessTransport transport = new InProcessTransport();
  private final CountingStateStore store = new CountingStateStore(new InMemoryStateStore());
  private final SwitchingDetector detector = new SwitchingDetector();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    sim.runUntilIdle();
    assertThat(sim.failures()).isEmpty();
  }

  /** Where agents and frameworks find the leader; the test moves it. */
  static final class SwitchingDetector implements MasterDetector {
    private volatile Optional<Address> leader = Optional.empty();
    private final List<Map.Entry<Executor, Consumer<Optional<Address>>>> watchers = new CopyOnWriteArrayList<>();

    void set(Optional<Address> value) {
      leader = value;
      watchers.forEach(w -> w.getKey().execute(() -> w.getValue().accept(value)));
    }

    @Override
    public Optional<Address> leader() {
      return leader;
    }

    @Override
    public void watch(Executor executor, Consumer<Optional<Address>> listener) {
      watchers.add(Map.entry(executor, listener));
      Optional<Address> now = leader;
      executor.execute(() -> listener.accept(now));
    }
  }

  /** An elector the test drives. */
  static class TestElector implements LeaderElector {
    private Listener listener;
    private Executor executor;

    @Override
    public void start(Listener l, Executor e) {
      listener = l;
      executor = e;
    }

    void lead(long epoch) {
      executor.execute(() -> listener.isLeader(epoch));
    }

    void depose() {
      executor.execute(listener::notLeader);
    }

    @Override
    public void close() {}
  }

  private Master master(String name, TestElector elector) {
    Master m = Master.builder().transport(transport).address(Address.of(name)).id(name)
        .allocator(HierarchicalAllocator.builder().build()).loop(sim.newLoop(name)).elector(elector)
        .registry(store).agentReregistrationTimeout(REREGISTRATION_TIMEOUT).build().start();
    toClose.add(m);
    return m;
  }

  private final List<EventLoop> agentLoops = new ArrayList<>();
  private final List<Agent> agentList = new ArrayList<>();

  private Agent agent(int i) {
    EventLoop loop = sim.newLoop("agent-" + i);
    agentLoops.add(loop);
    Agent a = Agent.builder().transport(transport).address(Address.of("agent-" + i)).masterDetector(detector)
        .info(new AgentInfo("host" + i, Resources.parse("cpus:4;mem:1024"))).containerizer(new SimulatedContainerizer())
        .workDir(work.resolve("agent-" + i)).loop(loop).random(sim.random()).build().start();
    toClose.add(a);
    agentList.add(a);
    return a;
  }

  private <T> T await(CompletableFuture<T> f) {
    sim.runUntilIdle();
    return f.join();
  }

  private long runningTasks(Master m) {
    MasterSnapshot s = await(m.snapshot());
    return s.frameworks().stream().flatMap(f -> f.tasks().stream()).filter(t -> t.state() == TaskState.RUNNING).count();
  }

  @Test
  void aNewLeaderRecoversTheRegistryRebuildsTasksAndMarksMissingAgentsUnreachable() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    Master a = master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();

    long beforeAgents = store.writes.get();
    for (int i = 0; i < 3; i++) {
      agent(i);
    }
    sim.advance(Duration.ofSeconds(2));
    long admissionWrites = store.writes.get() - beforeAgents;
    assertThat(await(a.snapshot()).agents()).hasSize(3);
    assertThat(admissionWrites).as("writes for 3 admissions").isBetween(1L, 3L);

    await(a.updateWeights(Map.of("eng", 2.0)));
    await(a.updateQuota("eng", Quota.of(Resources.parse("cpus:1;mem:64"))));

    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
    s.enqueue("t", 9);
    FrameworkInfo info = FrameworkInfo.builder("fw").user("nobody").failoverTimeout(Duration.ofHours(1)).build();
    SchedulerDriver driver = SchedulerDriver.builder().transport(transport).address(Address.of("framework"))
        .masterDetector(detector).framework(info).scheduler(s).loop(sim.newLoop("framework")).start();
    toClose.add(driver::close);
    long beforeTasks = store.writes.get();
    sim.advanceUntil(() -> s.waiting() == 0, Duration.ofMinutes(1));
    sim.advance(Duration.ofSeconds(5));
    assertThat(runningTasks(a)).isEqualTo(9);
    assertThat(store.writes.get() - beforeTasks).as("9 launches and updates: only the framework's subscription")
        .isEqualTo(1);

    // A fourth agent is admitted and then marked gone by the operator.
    agent(3);
    sim.advance(Duration.ofSeconds(2));
    AgentId fourth = agentId(3);
    assertThat(await(a.markAgentGone(fourth))).isTrue();
    sim.advance(Duration.ofSeconds(2));

    // Agent 2 dies with the old leader, holding tasks; failover to b.
    AgentId second = agentId(2);
    List<TaskId> onAgent2 = s.placed.entrySet().stream().filter(e -> e.getValue().equals(second))
        .map(Map.Entry::getKey).toList();
    assertThat(onAgent2).isNotEmpty();
    agentLoops.get(2).shutdown();
    electorA.depose();
    sim.runUntilIdle();
    long beforeFailover = store.writes.get();
    electorB.lead(2);
    detector.set(Optional.of(Address.of("master-b")));
    sim.advance(Duration.ofSeconds(10));

    // b knows the weights, quota, framework and gone agent; the tasks of agents 0 and 1 are back.
    assertThat(await(b.weights())).containsEntry("eng", 2.0);
    assertThat(await(b.quotas())).containsKey("eng");
    MasterSnapshot snap = await(b.snapshot());
    assertThat(snap.leading()).isTrue();
    assertThat(snap.agents()).hasSize(2);
    assertThat(snap.frameworks()).hasSize(1);
    assertThat(snap.frameworks().get(0).id()).isEqualTo(s.frameworkId);
    assertThat(snap.frameworks().get(0).connected()).isTrue();
    assertThat(runningTasks(b)).isEqualTo(9 - onAgent2.size());
    assertThat(await(b.markAgentGone(fourth))).as("already gone").isFalse();
    assertThat(store.writes.get() - beforeFailover).as("writes for the failover (epoch, nothing else)")
        .isLessThanOrEqualTo(2);

    // Reconciliation during recovery: no answer for agent 2's tasks, which may still come back.
    int seen = s.all.size();
    s.driver.reconcile(onAgent2.stream().map(t -> new ReconcileTask(t, Optional.of(second))).toList());
    s.driver.reconcile(List.of(new ReconcileTask(TaskId.of("unknown"), Optional.empty())));
    sim.advance(Duration.ofSeconds(5));
    assertThat(s.all.subList(seen, s.all.size())).isEmpty();
    for (TaskId t : onAgent2) {
      assertThat(s.checker.latest(t)).contains(TaskState.RUNNING);
    }

    // After the re-registration timeout, agent 2 is unreachable and reconciliation answers LOST.
    long beforeTimeout = store.writes.get();
    sim.advance(REREGISTRATION_TIMEOUT);
    assertThat(await(b.unreachableAgents())).containsExactly(second);
    assertThat(store.writes.get() - beforeTimeout).as("one batched mark").isEqualTo(1);
    s.driver.reconcile(onAgent2.stream().map(t -> new ReconcileTask(t, Optional.of(second))).toList());
    sim.advance(Duration.ofSeconds(5));
    for (TaskId t : onAgent2) {
      assertThat(s.checker.latest(t)).contains(TaskState.LOST);
    }
    assertThat(s.checker.violations()).isEmpty();
    assertThat(s.errors).isEmpty();

    // The old leader's epoch is fenced: a write through it is refused.
    assertThat(store.inner().fenced(1).compareAndSet("registry/weights", new byte[0], 0)).isEmpty();
  }

  @Test
  void aStandbyMasterReadsTheRegistryEveryRefreshThroughItsClockUntilItLeads() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    master("master-a", electorA);
    Master b = master("master-b", electorB);
    sim.runUntilIdle();
    assertThat(store.stampCalls.get()).as("each standby reads at start").isEqualTo(2);
    electorA.lead(1);
    sim.runUntilIdle();
    assertThat(store.stampCalls.get()).as("a's recovery").isEqualTo(3);
    sim.advance(Duration.ofSeconds(61));
    assertThat(store.stampCalls.get()).as("b, every 30 s (the default)").isEqualTo(5);
    electorA.depose();
    electorB.lead(2);
    sim.runUntilIdle();
    assertThat(store.stampCalls.get()).as("b's recovery").isEqualTo(6);
    sim.advance(Duration.ofMinutes(5));
    assertThat(store.stampCalls.get()).as("neither leader nor deposed master reads again").isEqualTo(6);
    assertThat(await(b.snapshot()).leading()).isTrue();
  }

  @Test
  void operatorCallsMadeWhileANewLeaderReadsItsRegistryBackSeeAndChangeTheRecoveredBooks() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    Master a = master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    sim.runUntilIdle();
    await(a.updateWeights(Map.of("eng", 2.0, "ops", 3.0)));
    electorA.depose();
    sim.runUntilIdle();

    // The calls reach b's loop after its election and before its registry read is back.
    electorB.lead(2);
    CompletableFuture<Map<String, Double>> during = b.weights();
    CompletableFuture<Void> update = b.updateWeights(Map.of("ops", 5.0));
    CompletableFuture<Map<String, Double>> after = b.weights();
    sim.runUntilIdle();

    assertThat(during.join()).containsEntry("eng", 2.0).containsEntry("ops", 3.0);
    update.join();
    assertThat(after.join()).containsEntry("eng", 2.0).containsEntry("ops", 5.0);
    sim.advance(Duration.ofSeconds(1));
    assertThat(await(b.weights())).as("the update was not overwritten by the recovery").containsEntry("ops", 5.0);
  }

  @Test
  void reservationsByTheOperatorAndByAFrameworkSurviveAFailover() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    Master a = master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    agent(0);
    agent(1);
    sim.advance(Duration.ofSeconds(2));
    AgentId first = agentId(0);
    AgentId second = agentId(1);

    long before = store.writes.get();
    await(a.reserve(first, Resources.parse("cpus(eng):2;mem(eng):512")));
    sim.advance(Duration.ofSeconds(1));
    assertThat(store.writes.get() - before).as("an operator reservation: one write").isEqualTo(1);

    // A framework of role db reserves part of an offer on the second agent.
    Resources dbReservation = Resources.parse("cpus(db):1;mem(db):256");
    boolean[] reserved = new boolean[1];
    RecordingScheduler s = new RecordingScheduler().onOffers((d, offers) -> {
      for (dev.agora.core.model.Offer o : offers) {
        if (!reserved[0] && o.agentId().equals(second)) {
          reserved[0] = true;
          d.accept(List.of(o.id()), List.of(new dev.agora.core.model.Operation.Reserve(dbReservation)),
              dev.agora.core.model.Filters.NONE);
        }
      }
    });
    FrameworkInfo info = FrameworkInfo.builder("db").user("nobody").role("db").failoverTimeout(Duration.ofHours(1))
        .build();
    SchedulerDriver driver = SchedulerDriver.builder().transport(transport).address(Address.of("framework"))
        .masterDetector(detector).framework(info).scheduler(s).loop(sim.newLoop("framework")).start();
    toClose.add(driver::close);
    sim.advanceUntil(() -> reserved[0], Duration.ofMinutes(1));
    sim.advance(Duration.ofSeconds(2));
    assertThat(reservedTo(a, "db")).isEqualTo(dbReservation);
    int seen = s.offersReceived.size();

    electorA.depose();
    sim.runUntilIdle();
    electorB.lead(2);
    detector.set(Optional.of(Address.of("master-b")));
    sim.advance(Duration.ofSeconds(10));

    assertThat(await(b.snapshot()).agents()).hasSize(2);
    assertThat(reservedTo(b, "eng")).isEqualTo(Resources.parse("cpus(eng):2;mem(eng):512"));
    assertThat(reservedTo(b, "db")).isEqualTo(dbReservation);
    // And the new leader offers the framework's reservation to it again.
    assertThat(s.offersReceived.subList(seen, s.offersReceived.size()))
        .anySatisfy(o -> assertThat(o.agentId().equals(second) && o.resources().contains(dbReservation)).isTrue());

    // An unreservation on the new leader is durable too: a third leader sees the agent whole.
    await(b.unreserve(first, Resources.parse("cpus(eng):2;mem(eng):512")));
    sim.advance(Duration.ofSeconds(1));
    TestElector electorC = new TestElector();
    Master c = master("master-c", electorC);
    electorB.depose();
    sim.runUntilIdle();
    electorC.lead(3);
    detector.set(Optional.of(Address.of("master-c")));
    sim.advance(Duration.ofSeconds(10));
    assertThat(await(c.snapshot()).agents()).hasSize(2);
    assertThat(reservedTo(c, "eng")).isEqualTo(Resources.EMPTY);
    assertThat(reservedTo(c, "db")).isEqualTo(dbReservation);
  }

  @Test
  void anAgentLostWithItsTasksCostsOneWriteAndTheNewLeaderKnowsWhatWasReportedLost() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    Master a = master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    agent(0);
    sim.advance(Duration.ofSeconds(2));
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:0.5;mem:32"));
    s.enqueue("t", 6);
    FrameworkInfo info = FrameworkInfo.builder("fw").user("nobody").failoverTimeout(Duration.ofHours(1)).build();
    SchedulerDriver driver = SchedulerDriver.builder().transport(transport).address(Address.of("framework"))
        .masterDetector(detector).framework(info).scheduler(s).loop(sim.newLoop("framework")).start();
    toClose.add(driver::close);
    sim.advanceUntil(() -> s.waiting() == 0, Duration.ofMinutes(1));
    sim.advance(Duration.ofSeconds(5));
    assertThat(runningTasks(a)).isEqualTo(6);

    // The agent stops answering: it is marked unreachable and its 6 tasks reported LOST, in one write.
    agentLoops.get(0).shutdown();
    long before = store.writes.get();
    sim.advance(Duration.ofMinutes(3));
    assertThat(await(a.unreachableAgents())).hasSize(1);
    assertThat(s.placed.keySet()).allSatisfy(t -> assertThat(s.checker.latest(t)).contains(TaskState.LOST));
    assertThat(store.writes.get() - before).as("the mark and the 6 tasks reported LOST").isEqualTo(1);

    electorA.depose();
    sim.runUntilIdle();
    long beforeFailover = store.writes.get();
    electorB.lead(2);
    detector.set(Optional.of(Address.of("master-b")));
    sim.advance(Duration.ofSeconds(10));
    assertThat(store.writes.get() - beforeFailover).as("writes for the failover").isLessThanOrEqualTo(2);
    assertThat(await(b.unreachableAgents())).hasSize(1);
    String bucket = store.inner().keys("registry/agents/").get(0);
    assertThat(new String(store.inner().get(bucket).orElseThrow().value(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"lost\"").contains(s.placed.keySet().iterator().next().value());
  }

  private Resources reservedTo(Master m, String role) {
    return await(m.roles()).stream().filter(r -> r.role().equals(role)).findFirst()
        .map(dev.agora.core.allocation.RoleInfo::reserved).orElse(Resources.EMPTY);
  }

  @Test
  void aRefusedRegistryWriteStopsTheMasterActing() {
    TestElector electorA = new TestElector();
    Master a = master("master-a", electorA);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    // A newer leader began elsewhere: a's next write is refused by the fence, and a stops.
    store.inner().beginEpoch(2);
    await(a.updateWeights(Map.of("eng", 3.0)));
    sim.runUntilIdle();
    assertThat(await(a.snapshot()).leading()).isFalse();
    assertThat(store.inner().get("registry/weights")).isEmpty();
  }

  @Test
  void theMaintenanceScheduleAndDownMachinesSurviveAFailover() {
    TestElector electorA = new TestElector();
    TestElector electorB = new TestElector();
    Master a = master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    agent(0);
    agent(1);
    sim.advance(Duration.ofSeconds(2));

    java.time.Instant start = java.time.Instant.parse("2030-01-01T00:00:00Z");
    MaintenanceSchedule schedule = new MaintenanceSchedule(List.of(
        new MaintenanceWindow(List.of(MachineId.of("host0")), start, Duration.ofHours(1)),
        new MaintenanceWindow(List.of(MachineId.of("host1")), start.plusSeconds(7200), Duration.ofHours(2))));
    long before = store.writes.get();
    await(a.updateMaintenanceSchedule(schedule));
    await(a.startMaintenance(List.of(MachineId.of("host0"))));
    sim.advance(Duration.ofSeconds(2));
    assertThat(store.writes.get() - before).as("a schedule and a start: a write each").isEqualTo(2);

    electorA.depose();
    sim.runUntilIdle();
    electorB.lead(2);
    detector.set(Optional.of(Address.of("master-b")));
    sim.advance(Duration.ofSeconds(10));

    assertThat(await(b.maintenanceSchedule())).isEqualTo(schedule);
    assertThat(await(b.maintenanceStatus()).downMachines()).containsExactly(MachineId.of("host0"));
    // The machine that is down stays out: its agent may not register with the new leader either.
    assertThat(await(b.snapshot()).agents()).extracting(MasterSnapshot.AgentView::hostname).containsExactly("host1");
  }

  /** An elector the test drives that records whether the master gave the election up. */
  static final class ClosingElector extends TestElector {
    final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

    @Override
    public void close() {
      closed.countDown();
    }
  }

  @Test
  void aDeposedMasterElectedAgainGivesTheElectionUpInsteadOfLeadingOnOldBooks() throws Exception {
    ClosingElector elector = new ClosingElector();
    Master a = master("master-a", elector);
    elector.lead(1);
    sim.runUntilIdle();
    assertThat(a.isLeading()).isTrue();
    elector.depose();
    sim.runUntilIdle();
    elector.lead(3);
    sim.runUntilIdle();
    assertThat(a.isLeading()).isFalse();
    assertThat(await(a.snapshot()).leading()).isFalse();
    assertThat(elector.closed.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("election given up").isTrue();
  }

  private AgentId agentId(int i) {
    return await(agentList.get(i).snapshot()).agentId().orElseThrow();
  }
}
