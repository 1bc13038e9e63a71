package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.MessageHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent makes each task's sandbox off its loop, then launches: the sandbox exists when the
 * containerizer is asked to launch, a task killed while its sandbox is made is reported KILLED and
 * never launched, and a sandbox that cannot be made fails the task, naming it.
 */
class AgentSandboxTest {
  @TempDir
  Path dir;

  private final Simulation sim = new Simulation(11);
  private final InProcessTransport network = new InProcessTransport();
  /** What the master heard, "task STATE [message]", in order. */
  private final List<String> updates = new ArrayList<>();
  /** Per launch: "task sandbox-exists|sandbox-missing". */
  private final List<String> launches = new ArrayList<>();

  @Test
  void theSandboxExistsAtLaunchAndAKillWhileItIsMadeEndsTheTaskUnlaunched() {
    Path work = dir.resolve("agent");
    startMaster(work, List.of(run("t0"), kill("t0"), run("t1")));

    sim.advance(Duration.ofSeconds(5));

    assertThat(launches).as("only t1 reached the containerizer, with its sandbox made")
        .containsExactly("t1 sandbox-exists");
    assertThat(updates).contains("t0 KILLED Killed before it was launched", "t1 STARTING", "t1 RUNNING")
        .noneMatch(u -> u.startsWith("t0 STARTING") || u.startsWith("t0 RUNNING"));
  }

  @Test
  void aSandboxThatCannotBeMadeFailsTheTaskNamingIt() throws IOException {
    Path work = dir.resolve("agent");
    // A file where the framework's directory goes: no sandbox can be made under it.
    Files.createDirectories(work);
    Files.writeString(work.resolve("frameworks"), "in the way");
    startMaster(work, List.of(run("t0")));

    sim.advance(Duration.ofSeconds(5));

    assertThat(launches).isEmpty();
    assertThat(updates).singleElement().asString()
        .startsWith("t0 FAILED Cannot create sandbox " + work.resolve("frameworks"));
  }

  private void startMaster(Path work, List<AgentMessage> onRegister) {
    Address masterAddress = Address.of("master");
    Endpoint[] master = new Endpoint[1];
    master[0] = network.bind(masterAddress, sim.newLoop("master"), new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        if (message instanceof AgentMessage.RegisterAgent) {
          master[0].send(from, new AgentMessage.AgentRegistered(AgentId.of("a1"), Duration.ofSeconds(10)));
          onRegister.forEach(m -> master[0].send(from, m));
        } else if (message instanceof AgentMessage.StatusUpdate u) {
          updates.add(u.status().taskId().value() + " " + u.status().state()
              + u.status().message().map(m -> " " + m).orElse(""));
          master[0].send(from, new AgentMessage.StatusUpdateAcknowledgement(AgentId.of("a1"), u.frameworkId(),
              u.status().taskId(), u.status().uuid().orElseThrow()));
        }
      }

      @Override
      public void onExited(Address peer) {}
    });
    Agent.builder().transport(network).address(Address.of("agent-0")).master(masterAddress)
        .info(new AgentInfo("host0", Resources.parse("cpus:4;mem:1024"), Attributes.parse("")))
        .containerizer(new Watching(new SimulatedContainerizer())).workDir(work).loop(sim.newLoop("agent-0"))
        .random(sim.random()).build().start();
  }

  private static final FrameworkInfo FRAMEWORK =
      FrameworkInfo.builder("fw").id(FrameworkId.of("fw")).user("nobody").build();

  private static AgentMessage run(String id) {
    TaskInfo t = new TaskInfo(TaskId.of(id), id, AgentId.of("a1"), Resources.parse("cpus:0.1"),
        new CommandInfo(true, "sleep 10", List.of(), Map.of(), Optional.empty()), Map.of(), Optional.empty());
    return new AgentMessage.RunTask(FrameworkId.of("fw"), FRAMEWORK, t);
  }

  private static AgentMessage kill(String id) {
    return new AgentMessage.KillTask(FrameworkId.of("fw"), TaskId.of(id), Optional.empty());
  }

  /** Notes each launch and whether its sandbox was there, then delegates. */
  private final class Watching implements Containerizer {
    private final Containerizer inner;

    Watching(Containerizer inner) {
      this.inner = inner;
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public CompletionStage<ContainerStatus> launch(ContainerConfig config) {
      launches.add(config.task().taskId().value() + " "
          + (Files.isDirectory(config.sandbox()) ? "sandbox-exists" : "sandbox-missing"));
      return inner.launch(config);
    }

    @Override
    public CompletionStage<ContainerTermination> termination(ContainerId id) {
      return inner.termination(id);
    }

    @Override
    public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
      return inner.destroy(id, gracePeriod);
    }

    @Override
    public Set<ContainerId> containers() {
      return inner.containers();
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
