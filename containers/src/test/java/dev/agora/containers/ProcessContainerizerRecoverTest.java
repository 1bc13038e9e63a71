package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.RecoverableContainer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A second containerizer (a restarted agent's) re-adopts the containers of the first by pid. */
class ProcessContainerizerRecoverTest {
  @TempDir Path root;

  private ContainerConfig config(String id, String command) throws Exception {
    Path sandbox = Files.createDirectories(root.resolve(id));
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("a"), Resources.parse("cpus:1"), CommandInfo.shell(command));
    return new ContainerConfig(new ContainerId(id), task, sandbox, Map.of(), Optional.empty());
  }

  @Test
  void readoptsRunningContainersByPidAndDestroysTheirWholeTree() throws Exception {
    try (ProcessContainerizer first = ProcessContainerizer.builder().build();
        ProcessContainerizer second = ProcessContainerizer.builder().build()) {
      ContainerConfig alive = config("alive", "sleep 1000 & sleep 1000");
      ContainerConfig ended = config("ended", "true");
      long alivePid = first.launch(alive).toCompletableFuture().get(10, TimeUnit.SECONDS).pid();
      long endedPid = first.launch(ended).toCompletableFuture().get(10, TimeUnit.SECONDS).pid();
      first.termination(ended.containerId()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      ContainerConfig impostor = config("impostor", "true");

      Set<ContainerId> found = second.recover(List.of(new RecoverableContainer(alive, alivePid),
          new RecoverableContainer(ended, endedPid),
          new RecoverableContainer(impostor, ProcessHandle.current().pid()))).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertThat(found).containsExactly(alive.containerId());
      assertThat(second.containers()).containsExactly(alive.containerId());
      List<ProcessHandle> tree = ProcessHandle.of(alivePid).orElseThrow().descendants().toList();
      assertThat(tree).isNotEmpty();

      ContainerTermination t = second.destroy(alive.containerId(), Duration.ofMillis(100)).toCompletableFuture()
          .get(20, TimeUnit.SECONDS).orElseThrow();
      assertThat(t.destroyed()).isTrue();
      assertThat(ProcessRecoveryCheck.running(alivePid)).isFalse();
      assertThat(tree).noneMatch(p -> ProcessRecoveryCheck.running(p.pid()));
      assertThat(second.containers()).isEmpty();
    }
  }

  @Test
  void aReadoptedContainerThatExitsEndsWithAnUnknownStatus() throws Exception {
    try (ProcessContainerizer first = ProcessContainerizer.builder().build();
        ProcessContainerizer second = ProcessContainerizer.builder().build()) {
      Path go = root.resolve("go");
      ContainerConfig c = config("short", "while [ ! -e " + go + " ]; do sleep 0.05; done");
      long pid = first.launch(c).toCompletableFuture().get(10, TimeUnit.SECONDS).pid();
      // An agent restart comes long after launch: wait, as it would, until the container runs its
      // command (the launch stage completes while setsid is still exec'ing into the shell).
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
          Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("while"));
      assertThat(second.recover(List.of(new RecoverableContainer(c, pid))).toCompletableFuture()
          .get(10, TimeUnit.SECONDS)).containsExactly(c.containerId());
      Files.createFile(go);
      ContainerTermination t = second.termination(c.containerId()).toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(t.destroyed()).isFalse();
      assertThat(t.exitCode()).isEmpty();
      assertThat(t.message()).contains("exit status is unknown");
    }
  }

  @Test
  void anIdInUseIsNotReadoptedAndCloseEndsReadoptedContainers() throws Exception {
    ContainerConfig c = config("twice", "sleep 1000 & sleep 1000");
    long pid;
    List<ProcessHandle> tree;
    try (ProcessContainerizer first = ProcessContainerizer.builder().build();
        ProcessContainerizer second = ProcessContainerizer.builder().build()) {
      pid = first.launch(c).toCompletableFuture().get(10, TimeUnit.SECONDS).pid();
      assertThat(first.recover(List.of(new RecoverableContainer(c, pid))).toCompletableFuture()
          .get(10, TimeUnit.SECONDS)).isEmpty(); // its own, running: the id is in use
      assertThat(first.termination(c.containerId()).toCompletableFuture().isDone()).isFalse();

      assertThat(second.recover(List.of(new RecoverableContainer(c, pid))).toCompletableFuture()
          .get(10, TimeUnit.SECONDS)).containsExactly(c.containerId());
      await().atMost(Duration.ofSeconds(10)).until(
          () -> second.usage(c.containerId()).orElseThrow().processes() >= 2); // the shell and its sleeps
      tree = ProcessHandle.of(pid).orElseThrow().descendants().toList();
      second.close();
      assertThat(ProcessRecoveryCheck.running(pid)).isFalse();
      assertThat(tree).isNotEmpty().noneMatch(p -> ProcessRecoveryCheck.running(p.pid()));
      ContainerTermination t = second.termination(c.containerId()).toCompletableFuture().get(1, TimeUnit.SECONDS);
      assertThat(t.destroyed()).isTrue();
      assertThat(t.exitCode()).isEmpty();
      assertThat(second.recover(List.of(new RecoverableContainer(c, pid))).toCompletableFuture())
          .failsWithin(Duration.ofSeconds(1));
    }
  }

  /** Liveness as /proc says it (a zombie does not run). */
  static final class ProcessRecoveryCheck {
    static boolean running(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
      } catch (java.io.IOException e) {
        return false;
      }
    }
  }
}
