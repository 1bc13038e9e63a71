package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native launcher on its own, without cgroups: how it is built and cached, falls back, starts
 * processes in their namespaces, reports exits and failures, and survives its server's death.
 * Launching needs root (namespaces) and a C compiler; those tests skip, saying so, elsewhere.
 */
class NativeLauncherTest {
  private static final String PATH = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");

  @TempDir Path dir;

  private static void assumeCanLaunch() {
    assumeTrue(Launcher.onPath("cc", PATH).or(() -> Launcher.onPath("gcc", PATH)).isPresent(),
        "native launcher tests skipped: no C compiler on PATH");
    assumeTrue(Launcher.runningAsRoot(Path.of("/proc")), "native launcher tests skipped: not root");
  }

  private NativeLauncher.Request request(Path sandbox, Optional<String> user, String... argv) throws Exception {
    Path tmp = Files.createDirectories(sandbox.resolve("tmp"));
    return new NativeLauncher.Request(user, false, sandbox, tmp, sandbox.resolve("stdout"), sandbox.resolve("stderr"),
        List.of(), List.of(argv), Map.of("PATH", PATH, "MARK", "x"));
  }

  @Test
  void withoutACompilerThereIsNoLauncherAndTheCallerFallsBack() {
    assertThat(NativeLauncher.create(dir.resolve("cache"), dir.resolve("nothing-here").toString())).isEmpty();
  }

  @Test
  void aDirectoryOthersMayWriteToIsRefused() throws Exception {
    assumeCanLaunch();
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertThat(NativeLauncher.create(open, PATH)).isEmpty();
  }

  @Test
  void theBinaryIsBuiltOnceAndReusedByTheHashOfItsSource() throws Exception {
    assumeCanLaunch();
    Path cache = dir.resolve("cache");
    Path first = NativeLauncher.binary(cache, PATH).orElseThrow();
    long built = Files.getLastModifiedTime(first).toMillis();

    Path second = NativeLauncher.binary(cache, PATH).orElseThrow();

    assertThat(second).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(second).toMillis()).isEqualTo(built);
    assertThat(first.getFileName().toString()).matches("agora-launch-[0-9a-f]{16}");
    try (var files = Files.list(cache)) {
      assertThat(files.toList()).containsExactly(first); // no source or temporary file left
    }
  }

  @Test
  void theTaskIsPidOneInTheSandboxWithAPrivateTmpAndItsExitStatusIsReported() throws Exception {
    assumeCanLaunch();
    Path sandbox = Files.createDirectory(dir.resolve("sandbox"));
    try (NativeLauncher launcher = NativeLauncher.create(dir.resolve("cache"), PATH).orElseThrow()) {
      NativeLauncher.Launched l = launcher.launch(request(sandbox, Optional.empty(),
          "/bin/sh", "-c", "echo $$ $MARK; pwd; touch /tmp/private; exit 7"));

      assertThat(l.exit().get()).isEqualTo(OptionalInt.of(7));
      assertThat(Files.readAllLines(sandbox.resolve("stdout"))).containsExactly("1 x", sandbox.toString());
      assertThat(sandbox.resolve("tmp").resolve("private")).exists();

      NativeLauncher.Launched killed = launcher.launch(request(sandbox, Optional.empty(), "sleep", "1000"));
      ProcessHandle.of(killed.pid()).orElseThrow().destroyForcibly();
      assertThat(killed.exit().get()).isEqualTo(OptionalInt.of(128 + 9));
    }
  }

  @Test
  void failuresBeforeTheCgroupsAreReportedAndNothingRunsAndLaterOnesEndTheTask() throws Exception {
    assumeCanLaunch();
    Path sandbox = Files.createDirectory(dir.resolve("sandbox"));
    try (NativeLauncher launcher = NativeLauncher.create(dir.resolve("cache"), PATH).orElseThrow()) {
      assertThatThrownBy(() -> launcher.launch(request(sandbox, Optional.of("agora-no-such-user"), "true")))
          .hasMessageContaining("user 'agora-no-such-user' does not exist");
      assertThatThrownBy(() -> launcher.launch(new NativeLauncher.Request(Optional.empty(), false, sandbox,
          sandbox.resolve("tmp"), sandbox.resolve("stdout"), sandbox.resolve("stderr"),
          List.of(dir.resolve("no-such-cgroup").resolve("cgroup.procs")), List.of("true"), Map.of())))
          .hasMessageContaining("cannot join cgroup");
      assertThatThrownBy(() -> NativeLauncher.encode(1, request(sandbox, Optional.empty(), "a\0b")))
          .hasMessageContaining("NUL");
      // Past its cgroups, a failed step (here the exec) ends the task with 125, saying why.
      NativeLauncher.Launched missing = launcher.launch(request(sandbox, Optional.empty(), "agora-no-such-program"));
      assertThat(missing.exit().get()).isEqualTo(OptionalInt.of(CgroupIsolation.SETUP_FAILED));
      assertThat(Files.readString(sandbox.resolve("stderr"))).contains("cannot execute 'agora-no-such-program'");
      // Still serving.
      assertThat(launcher.launch(request(sandbox, Optional.empty(), "true")).exit().get()).isEqualTo(OptionalInt.of(0));
    }
  }

  @Test
  void launchesFromManyThreadsAreAnsweredEachWithItsOwnPidAndExit() throws Exception {
    assumeCanLaunch();
    Path sandbox = Files.createDirectory(dir.resolve("sandbox"));
    try (NativeLauncher launcher = NativeLauncher.create(dir.resolve("cache"), PATH).orElseThrow()) {
      var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<NativeLauncher.Launched>> launches = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
          int code = i % 5;
          launches.add(pool.submit(() -> launcher.launch(request(sandbox, Optional.empty(),
              "/bin/sh", "-c", "exit " + code))));
        }
        java.util.Set<Long> pids = new java.util.HashSet<>();
        for (int i = 0; i < launches.size(); i++) {
          NativeLauncher.Launched l = launches.get(i).get();
          assertThat(l.exit().get()).isEqualTo(OptionalInt.of(i % 5));
          pids.add(l.pid());
        }
        assertThat(pids).hasSize(40);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void whenTheServerDiesRunningTasksAreWatchedByPidAndTheNextLaunchStartsANewOne() throws Exception {
    assumeCanLaunch();
    Path sandbox = Files.createDirectory(dir.resolve("sandbox"));
    try (NativeLauncher launcher = NativeLauncher.create(dir.resolve("cache"), PATH).orElseThrow()) {
      NativeLauncher.Launched running = launcher.launch(request(sandbox, Optional.empty(), "sleep", "1000"));
      int first = launcher.serverPid().orElseThrow();
      ProcessHandle.of(first).orElseThrow().destroyForcibly();
      await().atMost(Duration.ofSeconds(10)).until(() -> launcher.serverPid().isEmpty());

      assertThat(ProcessHandle.of(running.pid())).as("the task outlives the server").isPresent();
      NativeLauncher.Launched next = launcher.launch(request(sandbox, Optional.empty(), "true"));
      assertThat(next.exit().get()).isEqualTo(OptionalInt.of(0));
      assertThat(launcher.serverPid().orElseThrow()).isNotEqualTo(first);

      ProcessHandle.of(running.pid()).orElseThrow().destroyForcibly();
      assertThat(running.exit().get()).as("its status is unknown").isEqualTo(OptionalInt.empty());
    }
  }
}
