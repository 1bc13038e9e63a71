package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the runtime keeps of ended containers: their terminations only, the last N of them. (A
 * 30-minute soak found each agent holding ~1.3 MB more at the end: 1,024 ended containers kept
 * whole, with their process handles, tasks and configurations.)
 */
class ContainerRuntimeRetentionTest {
  @TempDir Path dir;
  private ContainerRuntime runtime;

  @AfterEach
  void close() {
    if (runtime != null) {
      runtime.close();
    }
  }

  private ContainerRuntime runtime(int retained) {
    Path proc = Path.of("/proc");
    Launcher launcher = new Launcher(Optional.empty(), Launcher.runningAsRoot(proc));
    Path setsid = Launcher.onPath("setsid", System.getenv("PATH")).orElseThrow();
    runtime = new ContainerRuntime("AGORA_TEST_CONTAINER", new SessionIsolation(launcher, new ProcessTable(proc), setsid),
        ContainerRuntime.daemonThreads("retention-test"), Optional.empty(), retained);
    return runtime;
  }

  private ContainerTermination run(String id, String command) throws Exception {
    Path sandbox = Files.createDirectories(dir.resolve(id));
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("a"), Resources.parse("cpus:0.1;mem:32"),
        CommandInfo.shell(command));
    runtime.launch(new ContainerConfig(new ContainerId(id), task, sandbox, Map.of(), Optional.empty()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    return runtime.termination(new ContainerId(id)).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void anEndedContainerIsRememberedByItsTerminationOnly() throws Exception {
    runtime(2);
    ContainerTermination first = run("c1", "exit 3");
    assertThat(first.exitCode()).hasValue(3);
    // Once ended, the container itself is let go ...
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> runtime.heldContainers() == 0);
    // ... and its end is still answered, by termination and by destroy alike.
    assertThat(runtime.termination(new ContainerId("c1")).toCompletableFuture().get()).isEqualTo(first);
    assertThat(runtime.destroy(new ContainerId("c1"), Duration.ZERO).toCompletableFuture().get()).contains(first);
    assertThat(runtime.usage(new ContainerId("c1"))).isEmpty();
    assertThat(runtime.containers()).isEmpty();
  }

  @Test
  void onlyTheLastNEndsAreRememberedAndAReusedIdAnswersItsLatestEnd() throws Exception {
    runtime(2);
    run("a", "exit 1");
    run("b", "exit 2");
    ContainerTermination again = run("a", "exit 4"); // the id is reused: its latest end counts
    run("c", "exit 5"); // the 4th end: the oldest (a's first, then b) are forgotten
    // (the runtime files an end just after completing it: wait for c's filing)
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> runtime.heldContainers() == 0);
    assertThat(runtime.termination(new ContainerId("a")).toCompletableFuture().get()).isEqualTo(again);
    assertThat(runtime.termination(new ContainerId("c")).toCompletableFuture().get().exitCode()).hasValue(5);
    assertThatThrownBy(() -> runtime.termination(new ContainerId("b")).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class).hasMessageContaining("unknown container id 'b'");
    assertThat(runtime.destroy(new ContainerId("b"), Duration.ZERO).toCompletableFuture().get()).isEmpty();
  }
}
