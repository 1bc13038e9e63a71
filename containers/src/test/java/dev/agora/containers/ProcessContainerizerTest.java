package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.ContainerizerContract;
import dev.agora.core.model.CommandInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProcessContainerizerTest extends ContainerizerContract {
  @Override
  protected Containerizer newContainerizer() {
    return ProcessContainerizer.builder().build();
  }

  private ProcessContainerizer process() {
    return (ProcessContainerizer) containerizer;
  }

  private static String stdout(ContainerConfig config) throws Exception {
    return Files.readString(config.sandbox().resolve("stdout"));
  }

  // ---- argv mode ------------------------------------------------------------------------------

  @Test
  void execModePassesArgumentsAfterArgvZeroUnsplit() throws Exception {
    ContainerConfig config = config("argv", CommandInfo.exec("/bin/sh",
        List.of("ignored-argv0", "-c", "echo \"$0|$1|$2\"", "zero", "a b", "c")));

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).isTrue();
    assertThat(stdout(config)).isEqualTo("zero|a b|c\n");
  }

  @Test
  void execModeLooksTheProgramUpOnPath() throws Exception {
    ContainerConfig config = config("echo", CommandInfo.exec("echo", List.of("echo", "hello", "world")));

    runToEnd(config);

    assertThat(stdout(config)).isEqualTo("hello world\n");
  }

  @Test
  void execModeWithoutArgumentsRunsTheProgramAlone() throws Exception {
    assertThat(runToEnd(config("bare", CommandInfo.exec("true", List.of()))).succeeded()).isTrue();
  }

  @Test
  void execModeResolvesARelativeProgramAgainstTheSandbox() throws Exception {
    ContainerConfig config = config("relative", CommandInfo.exec("./run.sh", List.of("run.sh")));
    Path script = config.sandbox().resolve("run.sh");
    Files.writeString(script, "#!/bin/sh\necho from-script\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

    runToEnd(config);

    assertThat(stdout(config)).isEqualTo("from-script\n");
  }

  @Test
  void execModeProgramNotOnPathFailsNamingItAndThePath() throws Exception {
    ContainerConfig config = config("nopath", CommandInfo.exec("agora-no-such-program", List.of("x")));

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("program 'agora-no-such-program' not found on PATH");
    ContainerTermination t = done(containerizer.termination(config.containerId()));
    assertThat(t.message()).startsWith("Container launch failed: ").contains("agora-no-such-program");
    assertThat(t.destroyed()).isFalse();
  }

  // ---- users ----------------------------------------------------------------------------------

  @Test
  void runsAsTheGivenUserWhenRoot() throws Exception {
    assumeTrue(Launcher.runningAsRoot(Path.of("/proc")), "needs root");
    ContainerConfig base = config("nobody", CommandInfo.shell("id -u; id -g; touch made-here"));
    ContainerConfig config = new ContainerConfig(
        base.containerId(), base.task(), base.sandbox(), base.environment(), Optional.of("nobody"));
    Launcher.Account nobody = Launcher.lookUp("nobody");

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).as(t.message()).isTrue();
    assertThat(stdout(config)).isEqualTo(nobody.uid() + "\n" + nobody.gid() + "\n");
    assertThat(Files.getAttribute(config.sandbox().resolve("made-here"), "unix:uid")).isEqualTo(nobody.uid());
  }

  @Test
  void anUnknownUserFailsTheLaunchNamingTheUser() throws Exception {
    assumeTrue(Launcher.runningAsRoot(Path.of("/proc")), "needs root");
    ContainerConfig base = config("ghost", CommandInfo.shell("true"));
    ContainerConfig config = new ContainerConfig(
        base.containerId(), base.task(), base.sandbox(), base.environment(), Optional.of("agora-no-such-user"));

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("user 'agora-no-such-user' does not exist");
  }

  // ---- exits, signals and what is left behind -------------------------------------------------

  @Test
  void deathBySignalIsReportedWithTheSignalName() throws Exception {
    ContainerTermination t = runToEnd(config("suicide", CommandInfo.shell("kill -KILL $$")));

    assertThat(t.signal()).hasValue(9);
    assertThat(t.exitCode()).isEmpty();
    assertThat(t.message()).isEqualTo("Command terminated by signal SIGKILL");
  }

  @Test
  void destroyOfAPoliteCommandReportsSigterm() throws Exception {
    ContainerConfig config = config("term", CommandInfo.exec("sleep", List.of("sleep", "1000")));
    launch(config);

    Optional<ContainerTermination> t = done(containerizer.destroy(config.containerId(), Duration.ofSeconds(30)));

    assertThat(t).hasValueSatisfying(term -> {
      assertThat(term.signal()).hasValue(15);
      assertThat(term.message()).isEqualTo("Command terminated by signal SIGTERM");
      assertThat(term.destroyed()).isTrue();
    });
  }

  @Test
  void orphansLeftByACommandThatExitsAreKilledBeforeItsTermination() throws Exception {
    ContainerConfig config = config("leaver", CommandInfo.shell("(sleep 1000 &) ; sleep 1000 & exit 0"));

    ContainerTermination t = runToEnd(config);

    assertThat(t.exitCode()).hasValue(0);
    assertThat(t.destroyed()).isFalse();
    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void aDescendantInASessionOfItsOwnIsFoundByTheMarker() throws Exception {
    ContainerConfig config = config("escaper", CommandInfo.shell("setsid sleep 1000 & sleep 1000"));
    ContainerStatus status = launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).stream()
        .anyMatch(pid -> new ProcessTable(Path.of("/proc")).stat(pid)
            .map(s -> s.session() != status.pid()).orElse(false)));

    done(containerizer.destroy(config.containerId(), Duration.ofSeconds(5)));

    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void destroyRightAfterLaunchLeavesNothing() throws Exception {
    for (int i = 0; i < 5; i++) {
      ContainerConfig config = config("race-" + i, CommandInfo.shell("sleep 1000 & sleep 1000"));
      var launched = containerizer.launch(config).toCompletableFuture();

      Optional<ContainerTermination> t = done(containerizer.destroy(config.containerId(), Duration.ofSeconds(30)));

      assertThat(t).hasValueSatisfying(term -> assertThat(term.destroyed()).isTrue());
      assertThat(launched).isDone();
      assertThat(markedProcesses(marker)).isEmpty();
    }
  }

  @Test
  void destroyWithoutGraceUsesTheTasksGracePeriod() throws Exception {
    ContainerConfig base = config("task-grace", CommandInfo.shell("trap '' TERM; sleep 1000"));
    ContainerConfig config = new ContainerConfig(base.containerId(),
        base.task().withKillGracePeriod(Duration.ofMillis(200)), base.sandbox(), base.environment(), Optional.empty());
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 2); // trap set

    Optional<ContainerTermination> t = done(process().destroy(config.containerId()));

    assertThat(t).hasValueSatisfying(term -> assertThat(term.signal()).hasValue(9));
    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void anEndedContainersIdMayBeLaunchedAgain() throws Exception {
    runToEnd(config("again", CommandInfo.shell("exit 1")));

    ContainerTermination second = runToEnd(config("again", CommandInfo.shell("exit 2")));

    assertThat(second.exitCode()).hasValue(2);
    assertThat(done(containerizer.termination(new ContainerId("again")))).isEqualTo(second);
  }

  @Test
  void launchAfterCloseFails() {
    containerizer.close();

    assertThatThrownBy(() -> launch(config("late", CommandInfo.shell("true"))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void containersListsOnlyLiveOnes() throws Exception {
    ContainerConfig live = config("live", CommandInfo.shell("sleep 1000"));
    launch(live);
    runToEnd(config("gone", CommandInfo.shell("true")));

    assertThat(containerizer.containers()).containsExactly(live.containerId());
  }

  // ---- builder --------------------------------------------------------------------------------

  @Test
  void usesTheGivenThreadFactoryAndStopsItsThreadsOnClose() throws Exception {
    AtomicInteger made = new AtomicInteger();
    List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    ThreadFactory factory = r -> {
      made.incrementAndGet();
      Thread t = java.util.concurrent.Executors.defaultThreadFactory().newThread(r);
      t.setDaemon(true);
      threads.add(t);
      return t;
    };
    ProcessContainerizer own = ProcessContainerizer.builder()
        .threadFactory(factory)
        .defaultKillGracePeriod(Duration.ofMillis(100))
        .build();
    try {
      assertThat(own.defaultKillGracePeriod()).isEqualTo(Duration.ofMillis(100));
      done(own.launch(config("own", CommandInfo.shell("true"))));
      done(own.termination(new ContainerId("own")));
      assertThat(made.get()).isPositive();
    } finally {
      own.close();
    }
    // A pool's worker may still be on its way out when awaitTermination returns: give each a deadline.
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertThat(threads).noneMatch(Thread::isAlive);
  }

  @Test
  void builderRejectsBadValuesAtOnce() {
    assertThatThrownBy(() -> ProcessContainerizer.builder().defaultKillGracePeriod(Duration.ofSeconds(-2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-2S");
    assertThatThrownBy(() -> ProcessContainerizer.builder().defaultKillGracePeriod(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ProcessContainerizer.builder().threadFactory(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ProcessContainerizer.builder()
        .defaultKillGracePeriod(Duration.ZERO).defaultKillGracePeriod(Duration.ZERO))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set");
  }

  @Test
  void buildFailsWithoutProcOrSetsid() {
    assertThatThrownBy(() -> ProcessContainerizer.builder().build(root.resolve("no-proc"), "/usr/bin:/bin"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no-proc");
    assertThatThrownBy(() -> ProcessContainerizer.builder().build(Path.of("/proc"), root.toString()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("setsid");
  }

  @Test
  void nameIsProcess() {
    assertThat(containerizer.name()).isEqualTo("process");
  }
}
