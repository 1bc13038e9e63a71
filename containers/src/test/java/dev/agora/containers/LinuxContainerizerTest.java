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
import dev.agora.core.container.ResourceUsage;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Linux containerizer against real cgroups and namespaces: the shared contract, then the
 * issue's acceptance tests. Skipped, saying why, where the host cannot run it (not root, cgroup v1
 * controllers not writable, util-linux missing).
 */
class LinuxContainerizerTest extends ContainerizerContract {
  private static final Path CGROUP = Path.of("/sys/fs/cgroup");

  /** Each test's own parent cgroup, so that orphan cleanup never touches another's. */
  private final String hierarchy = "agora-test-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void needsLinuxContainers() {
    Optional<String> why = LinuxContainerizer.unavailableBecause();
    assumeTrue(why.isEmpty(), () -> "Linux containerizer tests skipped: " + why.orElse(""));
  }

  @Override
  protected Containerizer newContainerizer() {
    return builder().hierarchy(hierarchy).build();
  }

  /**
   * A builder of the containerizer under test: the native launch path where this host can build
   * it ({@link LinuxContainerizerShellPathTest} runs the same tests on the shell chain).
   */
  protected LinuxContainerizer.Builder builder() {
    return LinuxContainerizer.builder();
  }

  /** The launch path the tests expect: {@code native} where a C compiler is on PATH. */
  protected String expectedLaunchPath() {
    return Launcher.onPath("cc", System.getenv().getOrDefault("PATH", "")).isPresent() ? "native" : "shell";
  }

  @AfterEach
  void removeTheHierarchy() throws Exception {
    containerizer.close(); // before the contract's own @AfterEach, which runs after this one
    for (String c : CgroupsV1.CONTROLLERS) {
      Path dir = CGROUP.resolve(c).resolve(hierarchy);
      if (Files.isDirectory(dir)) {
        try (var children = Files.list(dir)) {
          assertThat(children.filter(Files::isDirectory).toList()).as("cgroups left under " + dir).isEmpty();
        }
        Files.deleteIfExists(dir);
      }
    }
  }

  private LinuxContainerizer linux() {
    return (LinuxContainerizer) containerizer;
  }

  private void replaceContainerizer(LinuxContainerizer.Builder builder) {
    containerizer.close();
    containerizer = builder.hierarchy(hierarchy).build();
  }

  private ContainerConfig config(String id, CommandInfo command, Resources resources) {
    ContainerConfig base = config(id, command);
    TaskInfo task = TaskInfo.of(base.task().taskId(), base.task().agentId(), resources, command);
    return new ContainerConfig(base.containerId(), task, base.sandbox(), base.environment(), base.user());
  }

  private boolean cgroupExists(String controller, ContainerId id) {
    return Files.exists(CGROUP.resolve(controller).resolve(hierarchy).resolve(id.value()));
  }

  private static String stdout(ContainerConfig config) throws Exception {
    return Files.readString(config.sandbox().resolve("stdout"));
  }

  @Test
  void nameAndVersion() {
    assertThat(containerizer.name()).isEqualTo("linux");
    assertThat(linux().cgroupVersion()).isEqualTo("v1");
    assertThat(linux().launchPath()).isEqualTo(expectedLaunchPath());
  }

  // ---- acceptance: memory ---------------------------------------------------------------------

  @Test
  void aTaskOverItsMemoryLimitIsKilledWithinASecondAndItsNeighbourRuns() throws Exception {
    ContainerConfig neighbour = config("neighbour", CommandInfo.shell("sleep 1000"), Resources.parse("cpus:0.1;mem:64"));
    ContainerStatus neighbourStatus = launch(neighbour);
    // dd allocates and fills a 300 MB buffer, once the test says go (so that the time measured
    // is the allocation's and the kill's, not the start of a shell).
    ContainerConfig hog = config("hog", CommandInfo.shell(
        "while [ ! -e go ]; do sleep 0.01; done; dd if=/dev/zero of=/dev/null bs=300M count=1; sleep 1000"),
        Resources.parse("cpus:1;mem:64"));
    launch(hog);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> Files.exists(hog.sandbox().resolve("stdout"))
        && containerizer.usage(hog.containerId()).map(u -> u.processes() >= 2).orElse(false));

    Path oomControl = CGROUP.resolve("memory").resolve(hierarchy).resolve("hog").resolve("memory.oom_control");
    long start = System.nanoTime();
    Files.createFile(hog.sandbox().resolve("go"));
    // The kernel's part (reclaim, then the OOM kill) takes from 0.25 s idle to over a second on a
    // loaded machine; the containerizer's part, from the OOM kill to the termination, is timed.
    await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> !Files.exists(oomControl) || Files.readString(oomControl).contains("oom_kill 1"));
    long killed = System.nanoTime();
    ContainerTermination t = done(containerizer.termination(hog.containerId()));
    long ended = System.nanoTime();

    assertThat(Duration.ofNanos(ended - killed)).as("from the OOM kill to the termination").isLessThan(Duration.ofSeconds(1));
    assertThat(Duration.ofNanos(ended - start)).as("from the allocation to the termination").isLessThan(Duration.ofSeconds(5));
    assertThat(t.limitation()).hasValueSatisfying(l -> {
      assertThat(l.resource()).isEqualTo("mem");
      assertThat(l.message()).contains("Memory limit 64 MB exceeded");
    });
    assertThat(t.succeeded()).isFalse();
    assertThat(t.destroyed()).isFalse();
    await().atMost(Duration.ofSeconds(2)).until(() -> !cgroupExists("memory", hog.containerId()));
    assertThat(alive(neighbourStatus.pid())).isTrue();
    assertThat(containerizer.containers()).containsExactly(neighbour.containerId());
  }

  // ---- acceptance: cpu ------------------------------------------------------------------------

  @Test
  void aBusyLoopHeldToAHardLimitOfATenthOfTwoCpusUsesThatMuch() throws Exception {
    replaceContainerizer(builder().cpuHardLimit(true));
    // On a loaded machine the test's parent cgroup, at the default weight, may get less than 0.2
    // cpu; a high weight makes the quota, not the neighbours, what holds the loop back.
    Files.writeString(CGROUP.resolve("cpu").resolve(hierarchy).resolve("cpu.shares"), "262144");
    ContainerConfig busy = config("busy", CommandInfo.shell("while :; do :; done"), Resources.parse("cpus:0.2;mem:64"));
    launch(busy);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> containerizer.usage(busy.containerId()).map(u -> u.cpuTime().toMillis() > 20).orElse(false));

    ResourceUsage before = containerizer.usage(busy.containerId()).orElseThrow();
    long wallStart = System.nanoTime();
    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
    ResourceUsage after = containerizer.usage(busy.containerId()).orElseThrow();
    long wall = System.nanoTime() - wallStart;

    double cpus = (double) (after.cpuTime().toNanos() - before.cpuTime().toNanos()) / wall;
    assertThat(cpus).as("cpus used by a busy loop limited to 0.2").isBetween(0.15, 0.25);
  }

  @Test
  void limitsAboveTheRequestSetTheCgroupsAndTheRequestSetsTheShares() throws Exception {
    ContainerConfig base = config("limited", CommandInfo.shell("sleep 1000"), Resources.parse("cpus:0.5;mem:64"));
    TaskInfo task = base.task().withLimits(java.util.Map.of("cpus", 1.5, "mem", 256.0));
    launch(new ContainerConfig(base.containerId(), task, base.sandbox(), base.environment(), base.user()));
    Path cpu = CGROUP.resolve("cpu").resolve(hierarchy).resolve("limited");
    Path memory = CGROUP.resolve("memory").resolve(hierarchy).resolve("limited");

    assertThat(Files.readString(cpu.resolve("cpu.shares")).trim()).isEqualTo("512");
    assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).trim()).isEqualTo("150000");
    assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(256L << 20));

    ContainerConfig unlimited = config("unlimited", CommandInfo.shell("sleep 1000"), Resources.parse("cpus:0.5;mem:64"));
    TaskInfo none = unlimited.task().withLimits(java.util.Map.of("cpus", Double.POSITIVE_INFINITY));
    launch(new ContainerConfig(unlimited.containerId(), none, unlimited.sandbox(), unlimited.environment(), unlimited.user()));
    assertThat(Files.readString(CGROUP.resolve("cpu").resolve(hierarchy).resolve("unlimited").resolve("cpu.cfs_quota_us"))
        .trim()).isEqualTo("-1");
  }

  // ---- acceptance: pids -----------------------------------------------------------------------

  @Test
  void aForkBombStopsAtItsPidsLimitAndTheContainerizerStaysHealthy() throws Exception {
    replaceContainerizer(builder().pidsLimit(32));
    ContainerConfig bomb = config("bomb", CommandInfo.shell("bomb() { bomb & bomb; }; bomb"));

    ContainerTermination t = runToEnd(bomb);

    assertThat(t.limitation()).hasValueSatisfying(l -> {
      assertThat(l.resource()).isEqualTo("pids");
      assertThat(l.message()).contains("Process limit 32 reached");
    });
    assertThat(markedProcesses(marker)).isEmpty();
    await().atMost(Duration.ofSeconds(2)).until(() -> !cgroupExists("pids", bomb.containerId()));
    assertThat(runToEnd(config("after-bomb", CommandInfo.shell("true"))).succeeded()).isTrue();
  }

  // ---- acceptance: what a kill leaves ---------------------------------------------------------

  @Test
  void aKilledTaskLeavesNoProcessAndNoCgroup() throws Exception {
    ContainerConfig config = config("killed", CommandInfo.shell("sleep 1000 & (sleep 1000 &) ; sleep 1000"));
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 4);
    for (String c : CgroupsV1.CONTROLLERS) {
      assertThat(cgroupExists(c, config.containerId())).as(c).isTrue();
    }

    Optional<ContainerTermination> t = done(containerizer.destroy(config.containerId(), Duration.ofSeconds(5)));

    assertThat(t).hasValueSatisfying(term -> assertThat(term.destroyed()).isTrue());
    assertThat(markedProcesses(marker)).isEmpty();
    // Removed at the end, or retried within moments if the kernel still held on to one.
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
      for (String c : CgroupsV1.CONTROLLERS) {
        assertThat(cgroupExists(c, config.containerId())).as(c).isFalse();
      }
    });
  }

  @Test
  void aRestartedContainerizerRemovesTheCgroupsAndProcessesOfContainersItDoesNotKnowBeforeItsFirstLaunch()
      throws Exception {
    ContainerConfig config = config("orphan", CommandInfo.shell("trap '' TERM; sleep 1000 & sleep 1000"));
    launch(config);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> markedProcesses(marker).size() >= 3);
    Containerizer crashed = containerizer; // as if its agent died: it never cleans up

    containerizer = builder().hierarchy(hierarchy).build();
    assertThat(cgroupExists("memory", config.containerId())).as("kept until recovery or a launch").isTrue();
    assertThat(runToEnd(config("first", CommandInfo.shell("true"))).succeeded()).isTrue();

    assertThat(markedProcesses(marker)).isEmpty();
    for (String c : CgroupsV1.CONTROLLERS) {
      assertThat(cgroupExists(c, config.containerId())).as(c).isFalse();
    }
    assertThat(containerizer.containers()).isEmpty();
    crashed.close();
  }

  // ---- recovery after an agent restart --------------------------------------------------------

  @Test
  void aRestartedContainerizerReadoptsItsContainersWithTheirPidsAndLimitsAndRemovesTheOthers() throws Exception {
    ContainerConfig kept = config("kept", CommandInfo.shell("sleep 1000 & sleep 1000"),
        Resources.parse("cpus:0.25;mem:96"));
    ContainerConfig died = config("died", CommandInfo.shell("sleep 1000"));
    ContainerConfig unknown = config("unknown", CommandInfo.shell("trap '' TERM; sleep 1000 & sleep 1000"));
    long keptPid = launch(kept).pid();
    long diedPid = launch(died).pid();
    launch(unknown);
    // An agent restart comes long after launch: wait until both sleeps of "kept" run.
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> ProcessHandle.of(keptPid).orElseThrow()
        .descendants().filter(h -> h.info().command().orElse("").endsWith("sleep")).count() >= 2);
    List<Long> keptTree = ProcessHandle.of(keptPid).orElseThrow().descendants().map(ProcessHandle::pid).toList();
    ((LinuxContainerizer) containerizer).abandon(); // its agent died: it neither watches nor cleans up any more
    // "died" ends while the agent is down: its processes go, its cgroup stays behind.
    CgroupsV1.open(CGROUP, hierarchy, new java.util.ArrayList<>()).orElseThrow().open("died").killAll();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> !alive(diedPid));

    containerizer = builder().hierarchy(hierarchy).build();
    java.util.Set<ContainerId> found = done(containerizer.recover(List.of(
        new dev.agora.core.container.RecoverableContainer(kept, keptPid),
        new dev.agora.core.container.RecoverableContainer(died, diedPid),
        new dev.agora.core.container.RecoverableContainer(
            config("impostor", CommandInfo.shell("true")), ProcessHandle.current().pid()))));

    assertThat(found).containsExactly(kept.containerId());
    assertThat(containerizer.containers()).containsExactly(kept.containerId());
    // The re-adopted task keeps its pid, its processes and its cgroup's limits.
    assertThat(alive(keptPid)).isTrue();
    assertThat(keptTree).isNotEmpty().allMatch(LinuxContainerizerTest::alive);
    Path memory = CGROUP.resolve("memory").resolve(hierarchy).resolve("kept");
    assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(96L << 20));
    assertThat(Files.readString(CGROUP.resolve("cpu").resolve(hierarchy).resolve("kept").resolve("cpu.shares")).trim())
        .isEqualTo("256");
    assertThat(CgroupFiles.pids(memory.resolve("cgroup.procs"))).contains(keptPid).containsAll(keptTree);
    assertThat(containerizer.usage(kept.containerId())).hasValueSatisfying(u -> assertThat(u.processes()).isGreaterThanOrEqualTo(3));
    // The others' cgroups are gone, and so are the unknown one's processes.
    for (String c : CgroupsV1.CONTROLLERS) {
      assertThat(cgroupExists(c, died.containerId())).as(c).isFalse();
      assertThat(cgroupExists(c, unknown.containerId())).as(c).isFalse();
    }
    assertThat(markedProcesses(marker)).hasSize(1 + keptTree.size());

    ContainerTermination t = done(containerizer.destroy(kept.containerId(), Duration.ofMillis(200))).orElseThrow();

    assertThat(t.destroyed()).isTrue();
    assertThat(t.exitCode()).isEmpty();
    assertThat(markedProcesses(marker)).isEmpty();
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
      for (String c : CgroupsV1.CONTROLLERS) {
        assertThat(cgroupExists(c, kept.containerId())).as(c).isFalse();
      }
    });
    assertThat(containerizer.containers()).isEmpty();
  }

  @Test
  void aReadoptedContainerStillHitsItsMemoryLimit() throws Exception {
    ContainerConfig hungry = config("hungry", CommandInfo.shell(
        "while [ ! -e go ]; do sleep 0.02; done; dd if=/dev/zero of=/dev/null bs=200M count=1"),
        Resources.parse("cpus:0.1;mem:64"));
    Path go = hungry.sandbox().resolve("go"); // the task's /tmp is private: its sandbox is shared
    long pid = launch(hungry).pid();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(
        () -> Files.readString(Path.of("/proc/" + pid + "/cmdline")).matches("(?s).*(unshare|while).*"));
    ((LinuxContainerizer) containerizer).abandon();
    containerizer = builder().hierarchy(hierarchy).build();
    assertThat(done(containerizer.recover(List.of(new dev.agora.core.container.RecoverableContainer(hungry, pid)))))
        .containsExactly(hungry.containerId());

    Files.createFile(go);
    ContainerTermination t = done(containerizer.termination(hungry.containerId()));

    assertThat(t.limitation()).hasValueSatisfying(l -> assertThat(l.resource()).isEqualTo("mem"));
    assertThat(t.message()).contains("64 MB");
  }

  // ---- acceptance: namespaces -----------------------------------------------------------------

  @Test
  void theTaskIsPidOneSeesOnlyItsOwnProcessesAndHasAPrivateTmp() throws Exception {
    String file = "agora-private-" + UUID.randomUUID();
    ContainerConfig config = config("ns", CommandInfo.shell(
        "echo $$; ls /proc | grep -c '^[0-9]'; touch /tmp/" + file + "; ls /tmp; hostname agora-ns-test; hostname"));
    String hostBefore = java.net.InetAddress.getLocalHost().getHostName();

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).as(t.message()).isTrue();
    List<String> lines = List.of(stdout(config).split("\n"));
    assertThat(lines.get(0)).isEqualTo("1");
    assertThat(Integer.parseInt(lines.get(1))).as("processes visible in the container").isLessThanOrEqualTo(4);
    assertThat(lines).contains(file);
    assertThat(lines.get(lines.size() - 1)).isEqualTo("agora-ns-test");
    assertThat(java.net.InetAddress.getLocalHost().getHostName()).as("the host's name").isEqualTo(hostBefore);
    assertThat(Path.of("/tmp", file)).doesNotExist();
    assertThat(config.sandbox().resolve("tmp").resolve(file)).exists();
  }

  @Test
  void withANetworkNamespaceTheTaskSeesOnlyLoopback() throws Exception {
    replaceContainerizer(builder().network(true));
    ContainerConfig config = config("net", CommandInfo.shell("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"));

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).as(t.message()).isTrue();
    assertThat(stdout(config).trim()).isEqualTo("lo");
  }

  // ---- bad input ------------------------------------------------------------------------------

  @Test
  void aTaskWithoutMemFailsToLaunchSayingSo() {
    ContainerConfig config = config("nomem", CommandInfo.shell("true"), Resources.parse("cpus:1"));

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("requests no mem");
    assertThat(cgroupExists("memory", config.containerId())).isFalse();
  }

  @Test
  void aSandboxPathClimbingOutOfItsDirectoryIsRefused() {
    ContainerConfig base = config("escape", CommandInfo.shell("true"));
    Path escaping = Path.of(base.sandbox().toString(), "..", "..", "etc");
    ContainerConfig config = new ContainerConfig(base.containerId(), base.task(), escaping, base.environment(), base.user());

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("'..'");
  }

  @Test
  void anUnknownUserFailsTheLaunchNamingTheUser() {
    ContainerConfig base = config("ghost", CommandInfo.shell("true"));
    ContainerConfig config = new ContainerConfig(
        base.containerId(), base.task(), base.sandbox(), base.environment(), Optional.of("agora-no-such-user"));

    assertThatThrownBy(() -> launch(config))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("user 'agora-no-such-user' does not exist");
    assertThat(cgroupExists("memory", config.containerId())).isFalse();
  }

  @Test
  void runsAsTheGivenUser() throws Exception {
    ContainerConfig base = config("nobody", CommandInfo.shell("id -u; touch /tmp/x"));
    ContainerConfig config = new ContainerConfig(
        base.containerId(), base.task(), base.sandbox(), base.environment(), Optional.of("nobody"));

    ContainerTermination t = runToEnd(config);

    assertThat(t.succeeded()).as(t.message()).isTrue();
    assertThat(stdout(config).trim()).isEqualTo(Integer.toString(Launcher.lookUp("nobody").uid()));
  }

  @Test
  void builderRejectsBadValuesAtOnce() {
    assertThatThrownBy(() -> LinuxContainerizer.builder().hierarchy("../etc"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../etc");
    assertThatThrownBy(() -> LinuxContainerizer.builder().hierarchy("/abs"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/abs");
    assertThatThrownBy(() -> LinuxContainerizer.builder().pidsLimit(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    assertThatThrownBy(() -> LinuxContainerizer.builder().pidsLimit(5).pidsLimit(6))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already set");
  }
}
