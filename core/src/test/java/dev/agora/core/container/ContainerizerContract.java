package dev.agora.core.container;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of {@link Containerizer} for implementations that run real processes on Linux.
 * Extend it and implement {@link #newContainerizer()}.
 *
 * <p>Each test marks its processes with a unique environment variable ({@link #MARKER}) and finds
 * them through {@code /proc/<pid>/environ}, so it can check that none is left, orphans included.
 * The containerizer is closed after each test, and any marked process left is killed and fails
 * the test.
 */
public abstract class ContainerizerContract {
  /** The variable that marks the processes of a test. */
  protected static final String MARKER = "AGORA_TEST_MARKER";

  /** How long a test waits for a stage. */
  protected static final long TIMEOUT_SECONDS = 10;

  /** What each test's task requests: enough for a shell and a sleep under any containerizer. */
  protected static final Resources RESOURCES = Resources.parse("cpus:0.5;mem:128");

  protected Containerizer containerizer;
  /** This test's marker value. */
  protected String marker;
  @TempDir protected Path root;
  private int sandboxes;

  /** A new containerizer, used by one test and closed after it. */
  protected abstract Containerizer newContainerizer();

  @BeforeEach
  void setUpContainerizer() {
    marker = UUID.randomUUID().toString();
    containerizer = newContainerizer();
  }

  @AfterEach
  void closeContainerizer() {
    try {
      containerizer.close();
    } finally {
      List<Long> left = markedProcesses(marker);
      left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      assertThat(left).as("processes left after close").isEmpty();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** A config for a command, with a fresh sandbox and the test's marker in the environment. */
  protected ContainerConfig config(String id, CommandInfo command) {
    return config(id, command, Map.of());
  }

  protected ContainerConfig config(String id, CommandInfo command, Map<String, String> environment) {
    Path sandbox = root.resolve("sandbox-" + (++sandboxes));
    try {
      Files.createDirectories(sandbox);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.put(MARKER, marker);
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("agent-1"), RESOURCES, command);
    return new ContainerConfig(new ContainerId(id), task, sandbox, env, Optional.empty());
  }

  protected static <T> T done(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(TIMEOUT_SECONDS, SECONDS);
  }

  protected ContainerStatus launch(ContainerConfig config) throws Exception {
    return done(containerizer.launch(config));
  }

  protected ContainerTermination runToEnd(ContainerConfig config) throws Exception {
    launch(config);
    return done(containerizer.termination(config.containerId()));
  }

  /** The live (not zombie) processes whose environment holds {@code MARKER=value}. */
  protected static List<Long> markedProcesses(String value) {
    byte[] entry = (MARKER + "=" + value).getBytes(StandardCharsets.UTF_8);
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path dir : dirs) {
        try {
          String stat = Files.readString(dir.resolve("stat"));
          char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
          if (state != 'Z' && state != 'X' && hasEntry(Files.readAllBytes(dir.resolve("environ")), entry)) {
            found.add(Long.parseLong(dir.getFileName().toString()));
          }
        } catch (IOException | RuntimeException e) {
          // gone meanwhile, or not readable
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  private static boolean hasEntry(byte[] environ, byte[] entry) {
    int start = 0;
    for (int i = 0; i <= environ.length; i++) {
      if (i == environ.length || environ[i] == 0) {
        if (i - start == entry.length && java.util.Arrays.equals(environ, start, i, entry, 0, entry.length)) {
          return true;
        }
        start = i + 1;
      }
    }
    return false;
  }

  protected static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
        && Files.exists(Path.of("/proc", Long.toString(pid)))
        && !zombie(pid);
  }

  private static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).charAt(0) == 'Z';
    } catch (IOException e) {
      return true;
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  // ---- exit statuses -------------------------------------------------------------------------

  @Test
  void commandThatExitsZeroSucceeds() throws Exception {
    ContainerTermination t = runToEnd(config("ok", CommandInfo.shell("true")));

    assertThat(t.containerId()).isEqualTo(new ContainerId("ok"));
    assertThat(t.succeeded()).isTrue();
    assertThat(t.exitCode()).hasValue(0);
    assertThat(t.destroyed()).isFalse();
    assertThat(t.message()).isEqualTo("Command exited with status 0");
  }

  @Test
  void nonZeroExitIsReportedWithItsStatus() throws Exception {
    ContainerTermination t = runToEnd(config("three", CommandInfo.shell("exit 3")));

    assertThat(t.succeeded()).isFalse();
    assertThat(t.exitCode()).hasValue(3);
    assertThat(t.destroyed()).isFalse();
    assertThat(t.message()).contains("status 3");
  }

  // ---- sandbox, output and environment --------------------------------------------------------

  @Test
  void stdoutAndStderrLandInTheSandbox() throws Exception {
    ContainerConfig config = config("out", CommandInfo.shell("echo to-out; echo to-err >&2"));

    runToEnd(config);

    assertThat(read(config.sandbox().resolve("stdout"))).isEqualTo("to-out\n");
    assertThat(read(config.sandbox().resolve("stderr"))).isEqualTo("to-err\n");
  }

  @Test
  void workingDirectoryIsTheSandbox() throws Exception {
    ContainerConfig config = config("pwd", CommandInfo.shell("pwd -P"));

    runToEnd(config);

    assertThat(read(config.sandbox().resolve("stdout")).trim()).isEqualTo(config.sandbox().toRealPath().toString());
  }

  @Test
  void environmentArrivesAndTheCommandsWins() throws Exception {
    CommandInfo command = CommandInfo.shell("echo \"$FROM_AGENT $BOTH $FROM_COMMAND\"")
        .withEnvironment(Map.of("BOTH", "command", "FROM_COMMAND", "c"));
    ContainerConfig config = config("env", command, Map.of("FROM_AGENT", "a", "BOTH", "agent"));

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).isTrue();
    assertThat(read(config.sandbox().resolve("stdout"))).isEqualTo("a command c\n");
  }

  @Test
  void inheritedEnvironmentArrives() throws Exception {
    ContainerConfig config = config("path", CommandInfo.shell("printf %s \"$PATH\""));

    runToEnd(config);

    assertThat(read(config.sandbox().resolve("stdout"))).isEqualTo(System.getenv("PATH"));
  }

  // ---- destroy --------------------------------------------------------------------------------

  @Test
  void destroyEndsDestroyedAndThePidIsGone() throws Exception {
    ContainerConfig config = config("sleeper", CommandInfo.shell("sleep 1000"));
    ContainerStatus status = launch(config);
    assertThat(status.pid()).isPositive();
    assertThat(alive(status.pid())).isTrue();
    assertThat(containerizer.containers()).containsExactly(config.containerId());

    Optional<ContainerTermination> t = done(containerizer.destroy(config.containerId(), Duration.ofSeconds(5)));

    assertThat(t).hasValueSatisfying(term -> {
      assertThat(term.destroyed()).isTrue();
      assertThat(term.succeeded()).isFalse();
    });
    assertThat(alive(status.pid())).isFalse();
    assertThat(markedProcesses(marker)).isEmpty();
    assertThat(containerizer.containers()).isEmpty();
  }

  @Test
  void destroyIsIdempotent() throws Exception {
    ContainerConfig config = config("twice", CommandInfo.shell("sleep 1000"));
    launch(config);

    var first = containerizer.destroy(config.containerId(), Duration.ofSeconds(5));
    var second = containerizer.destroy(config.containerId(), Duration.ofSeconds(5));

    assertThat(done(first)).isPresent();
    assertThat(done(second)).isEqualTo(done(first));
    assertThat(done(containerizer.destroy(config.containerId(), Duration.ZERO))).isEqualTo(done(first));
    assertThat(done(containerizer.termination(config.containerId()))).isEqualTo(done(first).get());
  }

  @Test
  void destroyOfAnUnknownIdCompletesEmpty() throws Exception {
    assertThat(done(containerizer.destroy(new ContainerId("never-launched"), Duration.ZERO))).isEmpty();
  }

  @Test
  void destroyAfterTheEndAnswersTheTerminationNotDestroyed() throws Exception {
    ContainerConfig config = config("done", CommandInfo.shell("exit 0"));
    ContainerTermination t = runToEnd(config);

    Optional<ContainerTermination> after = done(containerizer.destroy(config.containerId(), Duration.ZERO));

    assertThat(after).contains(t);
    assertThat(after.get().destroyed()).isFalse();
  }

  @Test
  void destroyKillsBackgroundGrandchildren() throws Exception {
    ContainerConfig config = config("bg", CommandInfo.shell("sleep 1000 & sleep 1000 & wait"));
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 3);

    done(containerizer.destroy(config.containerId(), Duration.ofSeconds(5)));

    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void destroyKillsOrphansReparentedToInit() throws Exception {
    // The subshell exits at once; its sleep is orphaned and reparented.
    ContainerConfig config = config("orphan", CommandInfo.shell("(sleep 1000 &) ; sleep 1000"));
    launch(config);
    // Reparented: to a process outside the container (init, a subreaper), or, in a pid namespace,
    // to its init, the shell that runs the other sleep.
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> {
      List<Long> marked = markedProcesses(marker);
      List<Long> parents = marked.stream()
          .filter(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("").endsWith("sleep"))
          .map(pid -> ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L))
          .toList();
      return parents.size() >= 2
          && (parents.stream().distinct().count() == 1 || parents.stream().anyMatch(p -> !marked.contains(p)));
    });

    done(containerizer.destroy(config.containerId(), Duration.ofSeconds(5)));

    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void commandThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    ContainerConfig config = config("stubborn", CommandInfo.shell("trap '' TERM; touch trapped; sleep 1000"));
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> Files.exists(config.sandbox().resolve("trapped")) && markedProcesses(marker).size() >= 2);
    Duration grace = Duration.ofMillis(500);

    long start = System.nanoTime();
    Optional<ContainerTermination> t = done(containerizer.destroy(config.containerId(), grace));
    long elapsed = System.nanoTime() - start;

    assertThat(elapsed).isGreaterThanOrEqualTo(grace.toNanos());
    assertThat(t).hasValueSatisfying(term -> assertThat(term.destroyed()).isTrue());
    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void commandThatHonoursSigtermEndsBeforeTheGracePeriod() throws Exception {
    ContainerConfig config = config("polite", CommandInfo.shell("sleep 1000"));
    launch(config);

    long start = System.nanoTime();
    done(containerizer.destroy(config.containerId(), Duration.ofSeconds(60)));

    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(TIMEOUT_SECONDS).toNanos());
    assertThat(markedProcesses(marker)).isEmpty();
  }

  @Test
  void closeKillsEverything() throws Exception {
    ContainerConfig a = config("a", CommandInfo.shell("sleep 1000 & (sleep 1000 &) ; sleep 1000"));
    ContainerConfig b = config("b", CommandInfo.shell("trap '' TERM; sleep 1000"));
    launch(a);
    launch(b);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 5);
    var endA = containerizer.termination(a.containerId());
    var endB = containerizer.termination(b.containerId());

    containerizer.close();

    assertThat(markedProcesses(marker)).isEmpty();
    assertThat(done(endA).destroyed()).isTrue();
    assertThat(done(endB).destroyed()).isTrue();
    containerizer.close(); // idempotent
  }

  @Test
  void usageOfARunningContainerCountsItsProcesses() throws Exception {
    ContainerConfig config = config("used", CommandInfo.shell("sleep 1000 & sleep 1000"));
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 2);

    Optional<ResourceUsage> usage = containerizer.usage(config.containerId());

    assertThat(usage).hasValueSatisfying(u -> {
      assertThat(u.processes()).isGreaterThanOrEqualTo(2);
      assertThat(u.memoryBytes()).isPositive();
      assertThat(u.peakMemoryBytes()).isGreaterThanOrEqualTo(u.memoryBytes());
    });
    done(containerizer.destroy(config.containerId(), Duration.ZERO));
    assertThat(containerizer.usage(config.containerId())).isEmpty();
    assertThat(containerizer.usage(new ContainerId("never-launched"))).isEmpty();
  }

  // ---- termination and containers() ----------------------------------------------------------

  @Test
  void terminationAnswersBeforeAndAfterTheEnd() throws Exception {
    ContainerConfig config = config("waited", CommandInfo.shell("exit 7"));
    var before = containerizer.termination(launchAndReturnId(config));

    ContainerTermination t = done(before);

    assertThat(t.exitCode()).hasValue(7);
    assertThat(done(containerizer.termination(config.containerId()))).isEqualTo(t);
    assertThat(containerizer.containers()).doesNotContain(config.containerId());
  }

  private ContainerId launchAndReturnId(ContainerConfig config) throws Exception {
    launch(config);
    return config.containerId();
  }

  @Test
  void terminationOfAnUnknownIdFails() {
    assertThatThrownBy(() -> done(containerizer.termination(new ContainerId("unknown"))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown");
  }

  // ---- launch failures and caller mistakes ---------------------------------------------------

  @Test
  void launchOfAMissingProgramFails() {
    ContainerConfig config = config("missing", CommandInfo.exec("/nonexistent/agora-no-such-program",
        List.of("agora-no-such-program")));

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("/nonexistent/agora-no-such-program");
    assertThat(containerizer.containers()).doesNotContain(config.containerId());
  }

  @Test
  void launchIntoAMissingSandboxFails() {
    ContainerConfig good = config("nosandbox", CommandInfo.shell("true"));
    Path missing = root.resolve("no-such-sandbox");
    ContainerConfig config = new ContainerConfig(
        good.containerId(), good.task(), missing, good.environment(), Optional.empty());

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void duplicateContainerIdIsRejected() throws Exception {
    ContainerConfig config = config("dup", CommandInfo.shell("sleep 1000"));
    launch(config);

    assertThatThrownBy(() -> containerizer.launch(config("dup", CommandInfo.shell("true"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dup");
  }

  @Test
  void nullArgumentsAreRejected() {
    assertThatThrownBy(() -> containerizer.launch(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> containerizer.termination(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> containerizer.destroy(null, Duration.ZERO)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void negativeGracePeriodIsRejected() throws Exception {
    ContainerConfig config = config("neg", CommandInfo.shell("sleep 1000"));
    launch(config);

    assertThatThrownBy(() -> containerizer.destroy(config.containerId(), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-0.001");
    assertThat(containerizer.containers()).contains(config.containerId());
  }
}
