package dev.agora.examples.cluster;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.FaultInjectingTransport;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A whole cluster in one deterministic simulation with virtual time: a master, agents with
 * simulated containers, frameworks, and a fault-injecting transport between them all. The master
 * keeps its registry in an in-memory state store that outlives it, as a real master keeps it in
 * ZooKeeper or its work directory: a restarted master recovers it.
 */
final class SimCluster implements AutoCloseable {
  final Simulation sim;
  final FaultInjectingTransport transport;
  Master master;
  final AccountingAllocator accounting = new AccountingAllocator();
  /** The masters' durable registry, shared by every generation of master. */
  final InMemoryStateStore registry = new InMemoryStateStore();
  final List<Agent> agents = new ArrayList<>();
  final List<SimulatedContainerizer> containerizers = new ArrayList<>();
  final List<EventLoop> agentLoops = new ArrayList<>();
  private final Path workDir;
  private int frameworks;
  private int restarts;
  private final List<String> addresses = new ArrayList<>();
  private final List<AgentInfo> infos = new ArrayList<>();
  /** What agents get as their containerizer, from their simulated one (for example {@link SimExecutors#wrap}). */
  java.util.function.Function<SimulatedContainerizer, dev.agora.core.container.Containerizer> containerizerWrapper =
      c -> c;

  SimCluster(long seed, Path workDir, Master.Builder extra) {
    this.sim = new Simulation(seed);
    this.workDir = workDir;
    this.transport = new FaultInjectingTransport(new InProcessTransport(), sim.random());
    this.master = extra.transport(transport).allocator(accounting.wrap(HierarchicalAllocator.builder().build()))
        .loop(sim.newLoop("master")).id("sim").registry(registry).build().start();
    sim.runUntilIdle();
  }

  SimCluster(long seed, Path workDir) {
    this(seed, workDir, Master.builder());
  }

  Agent addAgent(String resources) {
    int n = agents.size();
    SimulatedContainerizer c = new SimulatedContainerizer();
    EventLoop loop = sim.newLoop("agent-" + n);
    AgentInfo info = new AgentInfo("host" + n, Resources.parse(resources));
    infos.add(info);
    addresses.add("agent-" + n);
    Agent agent = Agent.builder().transport(transport).address(Address.of("agent-" + n)).master(master.address())
        .info(info).containerizer(containerizerWrapper.apply(c))
        .workDir(workDir.resolve("agent-" + n)).loop(loop).random(sim.random()).build().start();
    agents.add(agent);
    containerizers.add(c);
    agentLoops.add(loop);
    sim.runUntilIdle();
    return agent;
  }

  /**
   * Stops the master and starts a new one at the same address, as a lone master restarts: it
   * reads the registry back (agents and their marks, frameworks, weights, quotas, what it told
   * frameworks was lost), agents re-register with their tasks and frameworks re-subscribe. The
   * allocator books restart too.
   */
  void restartMaster(int generation) {
    master.close();
    sim.runUntilIdle();
    master = Master.builder().transport(transport).allocator(accounting.wrap(HierarchicalAllocator.builder().build()))
        .loop(sim.newLoop("master-" + generation)).id("sim" + generation).registry(registry).build().start();
    sim.runUntilIdle();
  }

  /** The current address of agent {@code i} (a restarted agent has a new one). */
  String agentAddress(int i) {
    return addresses.get(i);
  }

  /**
   * Simulates a crash of agent {@code i}: its loop stops dead (no close, so its containers keep
   * running and its checkpoint stays as it was).
   */
  void crashAgent(int i) {
    agentLoops.get(i).shutdown();
  }

  /**
   * Starts a new agent process in place of agent {@code i}, on the same work directory and the
   * same (simulated) containers, at a new address as a restarted process would have.
   */
  Agent restartAgent(int i, java.util.function.UnaryOperator<Agent.Builder> extra) {
    restarts++;
    EventLoop loop = sim.newLoop("agent-" + i + "-r" + restarts);
    Agent agent = extra.apply(Agent.builder().transport(transport).address(Address.of("agent-" + i + "-r" + restarts))
        .master(master.address()).info(infos.get(i)).containerizer(containerizerWrapper.apply(containerizers.get(i)))
        .workDir(workDir.resolve("agent-" + i)).loop(loop).random(sim.random())).build().start();
    agents.set(i, agent);
    agentLoops.set(i, loop);
    addresses.set(i, "agent-" + i + "-r" + restarts);
    sim.runUntilIdle();
    return agent;
  }

  SchedulerDriver subscribe(FrameworkInfo info, dev.agora.core.framework.Scheduler scheduler) {
    SchedulerDriver driver = SchedulerDriver.builder().transport(transport)
        .address(Address.of("framework-" + frameworks++)).master(master.address()).framework(info)
        .scheduler(scheduler).loop(sim.newLoop("framework-" + frameworks)).start();
    sim.runUntilIdle();
    return driver;
  }

  MasterSnapshot masterSnapshot() {
    return await(master.snapshot());
  }

  AgentSnapshot agentSnapshot(int i) {
    return await(agents.get(i).snapshot());
  }

  <T> T await(CompletableFuture<T> f) {
    sim.runUntilIdle();
    return f.join();
  }

  @Override
  public void close() {
    agents.forEach(Agent::close);
    master.close();
    sim.runUntilIdle();
    if (!sim.failures().isEmpty()) {
      throw new AssertionError("tasks failed on simulated loops: " + sim.failures(), sim.failures().get(0));
    }
  }
}
