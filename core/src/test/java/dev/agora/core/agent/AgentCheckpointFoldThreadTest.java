package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.MessageHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent that owns its loop folds its checkpoint journal on a thread of its own, and stops it on close. */
class AgentCheckpointFoldThreadTest {
  @TempDir
  Path dir;

  @Test
  void theAgentsFoldThreadEndsWithTheAgentAndItsStateIsRecovered() {
    InProcessTransport network = new InProcessTransport();
    Path work = dir.resolve("agent");
    Address masterAddress = Address.of("master");
    FrameworkInfo framework = FrameworkInfo.builder("fw").id(FrameworkId.of("fw")).user("nobody").checkpoint(true)
        .build();
    ThreadEventLoop masterLoop = ThreadEventLoop.start("fold-test-master");
    Agent agent = null;
    try {
      Endpoint[] master = new Endpoint[1];
      master[0] = network.bind(masterAddress, masterLoop, new MessageHandler() {
        @Override
        public void onMessage(Address from, Message message) {
          if (message instanceof AgentMessage.RegisterAgent) {
            master[0].send(from, new AgentMessage.AgentRegistered(AgentId.of("a1"), Duration.ofSeconds(10)));
            for (int i = 0; i < 20; i++) {
              TaskInfo t = new TaskInfo(TaskId.of("t" + i), "t" + i, AgentId.of("a1"), Resources.parse("cpus:0.1"),
                  new CommandInfo(true, "sleep 10", List.of(), Map.of(), Optional.empty()), Map.of(),
                  Optional.empty());
              master[0].send(from, new AgentMessage.RunTask(FrameworkId.of("fw"), framework, t));
            }
          } else if (message instanceof AgentMessage.StatusUpdate u) {
            master[0].send(from, new AgentMessage.StatusUpdateAcknowledgement(AgentId.of("a1"), u.frameworkId(),
                u.status().taskId(), u.status().uuid().orElseThrow()));
          }
        }

        @Override
        public void onExited(Address peer) {}
      });
      agent = Agent.builder().transport(network).address(Address.of("fold-agent")).master(masterAddress)
          .info(new AgentInfo("host0", Resources.parse("cpus:4;mem:1024"), Attributes.parse("")))
          .containerizer(new SimulatedContainerizer()).workDir(work).checkpointJournalEntries(3).build().start();
      Agent running = agent;
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        AgentSnapshot s = running.snapshot().join();
        return s.pendingStatusUpdates() == 0 && s.tasks().size() == 20
            && s.tasks().stream().allMatch(t -> t.state() == TaskState.RUNNING);
      });
      assertThat(foldThreads()).as("folds ran on the agent's own thread").isNotEmpty();
      // Nothing is written any more once the last fold is done (a copy of the directory is not a snapshot).
      running.snapshot().join(); // a round trip of the loop: the last acknowledgement's flush has run
      Path rotated = work.resolve("meta").resolve(CheckpointStore.ROTATED);
      await().atMost(Duration.ofSeconds(30)).until(() -> !java.nio.file.Files.exists(rotated));
      assertThat(CheckpointStoreTest.readCopy(work, dir)).as("a crash now")
          .hasSize(20).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo(TaskState.RUNNING);
            assertThat(r.pending()).isEmpty();
          });

      agent.close();
      agent = null;

      // Shut down and awaited by close (the thread itself may take a moment more to exit).
      await().atMost(Duration.ofSeconds(5)).until(() -> foldThreads().isEmpty());
      // The loop stopped before the containerizer killed the tasks: their last checkpoint is RUNNING.
      assertThat(new CheckpointStore(work).recover(true).tasks()).hasSize(20)
          .allSatisfy(r -> assertThat(r.state()).isEqualTo(TaskState.RUNNING));
    } finally {
      if (agent != null) {
        agent.close();
      }
      masterLoop.shutdown();
    }
  }

  private static List<Thread> foldThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("agora-fold-agent-disk") && t.isAlive()).toList();
  }
}
