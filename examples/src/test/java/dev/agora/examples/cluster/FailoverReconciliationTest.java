package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.FaultInjectingTransport;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconciliation right after a leader change, in virtual time, as the fault soak does it: the new
 * leader (with the shared registry, as {@code agora master --zk}) does not know the tasks yet, the
 * agent's re-registration is slow, and both frameworks (partition-aware or not) reconcile their
 * running tasks meanwhile and then hear them finish. Nothing terminal may be answered before the
 * truth arrives: in the soak, masters without a registry answered TASK_LOST / TASK_UNKNOWN in that
 * window and the tasks' TASK_FINISHED followed (LOST then FINISHED).
 */
class FailoverReconciliationTest {
  @TempDir Path work;
  private final Simulation sim = new Simulation(33);
  private final FaultInjectingTransport transport = new FaultInjectingTransport(new InProcessTransport(), sim.random());
  private final StateStore store = new InMemoryStateStore();
  private final RegistryFailoverTest.SwitchingDetector detector = new RegistryFailoverTest.SwitchingDetector();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    sim.runUntilIdle();
    assertThat(sim.failures()).isEmpty();
  }

  private Master master(String name, RegistryFailoverTest.TestElector elector) {
    Master m = Master.builder().transport(transport).address(Address.of(name)).id(name)
        .allocator(HierarchicalAllocator.builder().build()).loop(sim.newLoop(name)).elector(elector)
        .registry(store).agentReregistrationTimeout(Duration.ofMinutes(2)).build().start();
    toClose.add(m);
    return m;
  }

  private CheckingScheduler framework(String name, boolean partitionAware) {
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:64"));
    s.enqueue(name, 2);
    FrameworkInfo.Builder info = FrameworkInfo.builder(name).user("nobody").failoverTimeout(Duration.ofHours(1));
    if (partitionAware) {
      info.capability(FrameworkInfo.Capability.PARTITION_AWARE);
    }
    SchedulerDriver d = SchedulerDriver.builder().transport(transport).address(Address.of(name))
        .masterDetector(detector).framework(info.build()).scheduler(s).loop(sim.newLoop(name)).start();
    toClose.add(d::close);
    return s;
  }

  @Test
  void aNewLeaderAnswersNothingTerminalBeforeTheAgentReregistersAndTheTasksFinishCleanly() {
    RegistryFailoverTest.TestElector electorA = new RegistryFailoverTest.TestElector();
    RegistryFailoverTest.TestElector electorB = new RegistryFailoverTest.TestElector();
    master("master-a", electorA);
    Master b = master("master-b", electorB);
    electorA.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    SimulatedContainerizer containers = new SimulatedContainerizer();
    Agent agent = Agent.builder().transport(transport).address(Address.of("agent-0")).masterDetector(detector)
        .info(new AgentInfo("host0", Resources.parse("cpus:8;mem:1024"))).containerizer(containers)
        .workDir(work.resolve("agent-0")).loop(sim.newLoop("agent-0")).random(sim.random()).build().start();
    toClose.add(agent);
    sim.advance(Duration.ofSeconds(2));
    CheckingScheduler aware = framework("aware", true);
    CheckingScheduler plain = framework("plain", false);
    sim.advanceUntil(() -> aware.waiting() == 0 && plain.waiting() == 0, Duration.ofMinutes(1));
    sim.advance(Duration.ofSeconds(5));
    for (CheckingScheduler s : List.of(aware, plain)) {
      for (TaskId t : s.placed.keySet()) {
        assertThat(s.checker.latest(t)).contains(TaskState.RUNNING);
      }
    }

    // Failover; the agent's re-registration with the new leader takes 40 s (slow network).
    transport.add(MessageMatcher.ofType(AgentMessage.ReregisterAgent.class).and(MessageMatcher.to(Address.of("master-b"))),
        Fault.DELAY, 1.0, Duration.ofSeconds(40));
    electorA.depose();
    sim.runUntilIdle();
    electorB.lead(2);
    detector.set(Optional.of(Address.of("master-b")));
    sim.advance(Duration.ofSeconds(5));
    assertThat(await(b.snapshot()).leading()).isTrue();
    assertThat(await(b.snapshot()).agents()).as("the agent has not re-registered yet").isEmpty();

    // Both frameworks reconcile what they run, with and without the agent's id; tasks finish.
    Map<CheckingScheduler, Integer> seen = new java.util.HashMap<>();
    for (CheckingScheduler s : List.of(aware, plain)) {
      seen.put(s, s.all.size());
      List<TaskId> ids = new ArrayList<>(s.placed.keySet());
      s.driver.reconcile(List.of(new ReconcileTask(ids.get(0), Optional.of(s.placed.get(ids.get(0)))),
          new ReconcileTask(ids.get(1), Optional.empty())));
      ids.forEach(t -> containers.finish(t, 0));
    }
    sim.advance(Duration.ofSeconds(20));
    for (CheckingScheduler s : List.of(aware, plain)) {
      List<TaskStatus> meanwhile = s.all.subList(seen.get(s), s.all.size());
      assertThat(meanwhile).as("no answer while the agent may still re-register").isEmpty();
    }

    sim.advance(Duration.ofSeconds(60));
    for (CheckingScheduler s : List.of(aware, plain)) {
      for (TaskId t : s.placed.keySet()) {
        assertThat(s.checker.latest(t)).as("%s", t).contains(TaskState.FINISHED);
      }
      assertThat(s.all).noneMatch(st -> st.state() == TaskState.LOST || st.state() == TaskState.UNKNOWN
          || st.state() == TaskState.GONE);
      assertThat(s.checker.violations()).isEmpty();
    }
  }

  /** Runs registry writes on a simulation loop while open; holds them while closed. */
  private static final class Gate implements java.util.concurrent.Executor {
    private final dev.agora.core.runtime.EventLoop loop;
    private final List<Runnable> held = new ArrayList<>();
    private boolean closed;

    Gate(dev.agora.core.runtime.EventLoop loop) {
      this.loop = loop;
    }

    @Override
    public synchronized void execute(Runnable r) {
      if (closed) {
        held.add(r);
      } else {
        loop.execute(r);
      }
    }

    synchronized void close() {
      closed = true;
    }

    synchronized void open() {
      closed = false;
      held.forEach(loop::execute);
      held.clear();
    }
  }

  @Test
  void frameworksHearOfALostAgentOnlyOnceItsUnreachableMarkIsDurable() {
    Gate gate = new Gate(sim.newLoop("registry-io"));
    RegistryFailoverTest.TestElector elector = new RegistryFailoverTest.TestElector();
    Master m = Master.builder().transport(transport).address(Address.of("master-a")).id("master-a")
        .allocator(HierarchicalAllocator.builder().build()).loop(sim.newLoop("master-a")).elector(elector)
        .registry(store).registryExecutor(gate).agentPingInterval(Duration.ofSeconds(1)).maxAgentPingMisses(3)
        .build().start();
    toClose.add(m);
    elector.lead(1);
    detector.set(Optional.of(Address.of("master-a")));
    sim.runUntilIdle();
    dev.agora.core.runtime.EventLoop agentLoop = sim.newLoop("agent-0");
    Agent agent = Agent.builder().transport(transport).address(Address.of("agent-0")).masterDetector(detector)
        .info(new AgentInfo("host0", Resources.parse("cpus:8;mem:1024"))).containerizer(new SimulatedContainerizer())
        .workDir(work.resolve("agent-0")).loop(agentLoop).random(sim.random()).build().start();
    toClose.add(agent);
    sim.advance(Duration.ofSeconds(2));
    CheckingScheduler plain = framework("plain", false);
    sim.advanceUntil(() -> plain.waiting() == 0, Duration.ofMinutes(1));
    sim.advance(Duration.ofSeconds(5));
    TaskId task = plain.placed.keySet().iterator().next();
    assertThat(plain.checker.latest(task)).contains(TaskState.RUNNING);

    gate.close(); // the registry's writes stall
    agentLoop.shutdown(); // the agent dies: it misses its pings
    sim.advance(Duration.ofSeconds(10));
    assertThat(await(m.unreachableAgents())).as("the master took the agent for unreachable").hasSize(1);
    assertThat(plain.checker.latest(task)).as("not told before the mark is durable").contains(TaskState.RUNNING);

    gate.open();
    sim.advance(Duration.ofSeconds(2));
    assertThat(plain.checker.latest(task)).as("told once it is").contains(TaskState.LOST);
    assertThat(plain.checker.violations()).isEmpty();
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> f) {
    sim.runUntilIdle();
    return f.join();
  }
}
