package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's durability promise with batched checkpoints: every status update of a
 * checkpointing framework is in the checkpoint on disk at the moment the agent sends it.
 */
class AgentCheckpointOrderTest {
  @TempDir
  Path dir;

  /**
   * With the default journal (no fold), and with a journal of 2 entries folded at nearly every flush,
   * on the agent's loop (the default with a given loop) or on a thread of its own.
   */
  @ParameterizedTest
  @ValueSource(strings = {"no fold", "fold on the loop", "fold on a thread"})
  void everyUpdateIsOnDiskWhenItIsSent(String folds) throws InterruptedException {
    ExecutorService folder = Executors.newSingleThreadExecutor();
    // A copy of the work directory is not a snapshot: folds and copies take turns (crash images in the
    // middle of a fold are CheckpointFoldPropertiesTest's).
    Object diskLock = new Object();
    Simulation sim = new Simulation(7);
    InProcessTransport network = new InProcessTransport();
    Path work = dir.resolve("agent");
    List<String> seen = new ArrayList<>();
    // What the agent sends passes here, on its loop, as it sends: read its checkpoint right then.
    Transport watched = (address, loop, handler) -> {
      Endpoint inner = network.bind(address, loop, handler);
      return new Endpoint() {
        @Override
        public Address address() {
          return inner.address();
        }

        @Override
        public void send(Address to, Message message) {
          if (message instanceof AgentMessage.StatusUpdate u) {
            TaskStatus s = u.status();
            List<CheckpointCodec.TaskRecord> image;
            synchronized (diskLock) {
              image = CheckpointStoreTest.readCopy(work, dir);
            }
            boolean onDisk = image.stream()
                .filter(r -> r.task().taskId().equals(s.taskId()))
                .anyMatch(r -> r.pending().stream().anyMatch(p -> p.uuid().equals(s.uuid())));
            seen.add(s.taskId().value() + " " + s.state() + (onDisk ? " on disk" : " NOT on disk"));
          }
          inner.send(to, message);
        }

        @Override
        public void link(Address peer) {
          inner.link(peer);
        }

        @Override
        public void close() {
          inner.close();
        }
      };
    };
    Address masterAddress = Address.of("master");
    FrameworkInfo framework = FrameworkInfo.builder("fw").id(FrameworkId.of("fw")).user("nobody").checkpoint(true)
        .build();
    EventLoop masterLoop = sim.newLoop("master");
    Endpoint[] master = new Endpoint[1];
    master[0] = network.bind(masterAddress, masterLoop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        if (message instanceof AgentMessage.RegisterAgent) {
          master[0].send(from, new AgentMessage.AgentRegistered(AgentId.of("a1"), Duration.ofSeconds(10)));
          for (int i = 0; i < 3; i++) {
            TaskInfo t = new TaskInfo(TaskId.of("t" + i), "t" + i, AgentId.of("a1"), Resources.parse("cpus:0.1"),
                new CommandInfo(true, "sleep 10", List.of(), Map.of(), Optional.empty()), Map.of(), Optional.empty());
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
    Agent.Builder builder = Agent.builder().transport(watched).address(Address.of("agent-0")).master(masterAddress)
        .info(new AgentInfo("host0", Resources.parse("cpus:4;mem:1024"), Attributes.parse("")))
        .containerizer(new SimulatedContainerizer()).workDir(work).loop(sim.newLoop("agent-0")).random(sim.random());
    if (!folds.equals("no fold")) {
      builder.checkpointJournalEntries(2);
    }
    if (folds.equals("fold on a thread")) {
      builder.checkpointFolder(fold -> folder.execute(() -> {
        synchronized (diskLock) {
          fold.run();
        }
      }));
    }
    Agent agent = builder.build().start();
    sim.advance(Duration.ofSeconds(5));

    assertThat(seen).containsExactlyInAnyOrder("t0 STARTING on disk", "t1 STARTING on disk",
        "t2 STARTING on disk", "t0 RUNNING on disk", "t1 RUNNING on disk", "t2 RUNNING on disk");
    var snapshot = agent.snapshot();
    sim.runUntilIdle();
    assertThat(snapshot.join().pendingStatusUpdates()).as("all acknowledged").isZero();
    List<CheckpointCodec.TaskRecord> now;
    synchronized (diskLock) {
      now = CheckpointStoreTest.readCopy(work, dir);
    }
    assertThat(now).as("a crash now (a fold may be waiting)")
        .extracting(r -> r.task().taskId().value() + " " + r.state() + " pending " + r.pending().size())
        .containsExactlyInAnyOrder("t0 RUNNING pending 0", "t1 RUNNING pending 0", "t2 RUNNING pending 0");

    agent.close(); // kills the tasks: their KILLED updates wait for a master
    sim.runUntilIdle();
    folder.shutdown();
    assertThat(folder.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new CheckpointStore(work).recover(true).tasks())
        .extracting(r -> r.task().taskId().value() + " " + r.state() + " pending " + r.pending().size())
        .containsExactlyInAnyOrder("t0 KILLED pending 1", "t1 KILLED pending 1", "t2 KILLED pending 1");
  }
}
