package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.agent.Agent;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.MessageHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Epoch fencing of master-to-agent commands: the master stamps its leadership epoch on everything
 * it sends to agents, and an agent refuses, without effect, a command stamped with an epoch older
 * than the highest it has seen (a deposed leader that still sends cannot launch or kill).
 */
class EpochFencingTest {
  @TempDir Path work;
  private final Simulation sim = new Simulation(5);
  private final InProcessTransport transport = new InProcessTransport();
  private final List<AgentMessage> toMaster = new CopyOnWriteArrayList<>();
  private final FrameworkId framework = FrameworkId.of("fw");
  private final FrameworkInfo frameworkInfo = FrameworkInfo.builder("fw").user("nobody").build().withId(framework);

  /** The epoch the test double acknowledges updates under. */
  private volatile long ackEpoch = 5;
  private Endpoint fakeMasterEndpoint;

  /** A test double at the master's address that records what agents send it and acknowledges updates. */
  private Endpoint fakeMaster() {
    fakeMasterEndpoint = transport.bind(Address.of("master"), sim.newLoop("fake-master"), new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        toMaster.add((AgentMessage) message);
        if (message instanceof AgentMessage.StatusUpdate u && u.status().uuid().isPresent()) {
          fakeMasterEndpoint.send(from, new AgentMessage.Stamped(ackEpoch, new AgentMessage.StatusUpdateAcknowledgement(
              AgentId.of("S0"), u.frameworkId(), u.status().taskId(), u.status().uuid().get())));
        }
      }

      @Override
      public void onExited(Address peer) {}
    });
    return fakeMasterEndpoint;
  }

  private TaskInfo task(String id, AgentId agent) {
    return TaskInfo.of(TaskId.of(id), agent, Resources.parse("cpus:1;mem:32"), CommandInfo.shell("sleep 1000"));
  }

  private dev.agora.core.agent.AgentSnapshot snapshot(Agent agent) {
    java.util.concurrent.CompletableFuture<dev.agora.core.agent.AgentSnapshot> f = agent.snapshot();
    sim.runUntilIdle();
    return f.join();
  }

  private List<TaskState> updatesOf(String task) {
    return toMaster.stream().filter(m -> m instanceof AgentMessage.StatusUpdate u && u.status().taskId().value().equals(task))
        .map(m -> ((AgentMessage.StatusUpdate) m).status().state()).toList();
  }

  @Test
  void anAgentRefusesCommandsStampedWithAnOlderEpochAndTheyHaveNoEffect() {
    Endpoint master = fakeMaster();
    SimulatedContainerizer containers = new SimulatedContainerizer();
    Agent agent = Agent.builder().transport(transport).address(Address.of("agent-0")).master(Address.of("master"))
        .info(new AgentInfo("host0", Resources.parse("cpus:4;mem:1024"))).containerizer(containers)
        .workDir(work.resolve("agent-0")).loop(sim.newLoop("agent-0")).random(sim.random()).build().start();
    sim.runUntilIdle();
    assertThat(toMaster).first().isInstanceOf(AgentMessage.RegisterAgent.class);
    AgentId id = AgentId.of("S0");
    Address to = Address.of("agent-0");
    master.send(to, new AgentMessage.Stamped(5, new AgentMessage.AgentRegistered(id, Duration.ofSeconds(15))));
    sim.runUntilIdle();
    assertThat(snapshot(agent).registered()).isTrue();

    // A deposed leader (epoch 4) launches: refused, nothing runs, nothing is reported.
    master.send(to, new AgentMessage.Stamped(4, new AgentMessage.RunTask(framework, frameworkInfo, task("old", id))));
    // Nor may an unstamped command pass once the agent has seen an epoch.
    master.send(to, new AgentMessage.RunTask(framework, frameworkInfo, task("unstamped", id)));
    sim.runUntilIdle();
    assertThat(containers.running()).isEmpty();
    assertThat(snapshot(agent).tasks()).isEmpty();
    assertThat(updatesOf("old")).isEmpty();
    assertThat(updatesOf("unstamped")).isEmpty();

    // The current leader (epoch 5) launches: it runs.
    master.send(to, new AgentMessage.Stamped(5, new AgentMessage.RunTask(framework, frameworkInfo, task("t", id))));
    sim.runUntilIdle();
    assertThat(containers.running()).containsExactly(TaskId.of("t"));
    assertThat(updatesOf("t")).contains(TaskState.RUNNING);

    // The deposed leader kills it: refused, it keeps running.
    master.send(to, new AgentMessage.Stamped(4, new AgentMessage.KillTask(framework, TaskId.of("t"), Optional.empty())));
    master.send(to, new AgentMessage.Stamped(4, new AgentMessage.ShutdownFramework(framework)));
    sim.advance(Duration.ofSeconds(30));
    assertThat(containers.running()).containsExactly(TaskId.of("t"));
    assertThat(updatesOf("t")).doesNotContain(TaskState.KILLED);

    ackEpoch = 6;
    // A newer leader (epoch 6) kills it: it ends, and from now on epoch 5 is refused too.
    master.send(to, new AgentMessage.Stamped(6, new AgentMessage.KillTask(framework, TaskId.of("t"), Optional.empty())));
    master.send(to, new AgentMessage.Stamped(5, new AgentMessage.RunTask(framework, frameworkInfo, task("late", id))));
    sim.advance(Duration.ofSeconds(30));
    assertThat(containers.running()).isEmpty();
    assertThat(updatesOf("t")).contains(TaskState.KILLED);
    assertThat(updatesOf("late")).isEmpty();
    agent.close();
    master.close();
    sim.runUntilIdle();
    assertThat(sim.failures()).isEmpty();
  }

  @Test
  void theMasterStampsItsEpochOnEveryMessageToAnAgent() {
    Endpoint agentEnd = transport.bind(Address.of("agent-x"), sim.newLoop("fake-agent"), new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        toMaster.add((AgentMessage) message); // here: what the master sent to the agent
      }

      @Override
      public void onExited(Address peer) {}
    });
    LeaderElector epochSeven = new LeaderElector() {
      @Override
      public void start(Listener listener, Executor executor) {
        executor.execute(() -> listener.isLeader(7));
      }

      @Override
      public void close() {}
    };
    Master master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build())
        .loop(sim.newLoop("master")).elector(epochSeven).agentPingInterval(Duration.ofSeconds(1)).build().start();
    sim.runUntilIdle();
    agentEnd.send(Address.of("master"), new AgentMessage.RegisterAgent(new AgentInfo("x", Resources.parse("cpus:1"))));
    sim.advance(Duration.ofSeconds(3));
    assertThat(toMaster).hasSizeGreaterThanOrEqualTo(2); // registered, then pings
    assertThat(toMaster).allSatisfy(m -> {
      assertThat(m).isInstanceOf(AgentMessage.Stamped.class);
      assertThat(((AgentMessage.Stamped) m).epoch()).isEqualTo(7);
    });
    assertThat(((AgentMessage.Stamped) toMaster.get(0)).message()).isInstanceOf(AgentMessage.AgentRegistered.class);
    master.close();
    agentEnd.close();
    sim.runUntilIdle();
  }
}
