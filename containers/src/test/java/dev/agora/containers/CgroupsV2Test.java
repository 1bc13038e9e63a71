package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroup v2 backend. Its controller files (cpu, memory, pids) are checked against a temporary
 * directory laid out like cgroup2, since this host binds those controllers to cgroup v1; the paths
 * that need no controller run on a real cgroup2 mount (here {@code /sys/fs/cgroup/unified}), in a
 * test cgroup of their own, and skip, saying why, where there is none writable.
 */
class CgroupsV2Test {
  @TempDir Path fake;
  private final List<Process> started = new ArrayList<>();
  private Path realParent;

  @AfterEach
  void cleanUp() throws Exception {
    started.forEach(Process::destroyForcibly);
    for (Process p : started) {
      p.waitFor();
    }
    if (realParent != null && Files.isDirectory(realParent)) {
      try (var children = Files.list(realParent)) {
        for (Path c : children.filter(Files::isDirectory).toList()) {
          Files.deleteIfExists(c);
        }
      }
      Files.deleteIfExists(realParent);
    }
  }

  // ---- controller files, on a directory laid out like cgroup2 ---------------------------------

  private Path fakeMount(String controllers) throws IOException {
    Files.writeString(fake.resolve("cgroup.controllers"), controllers + "\n");
    Files.writeString(fake.resolve("cgroup.procs"), "");
    Files.writeString(fake.resolve("cgroup.subtree_control"), "");
    return fake;
  }

  @Test
  void openEnablesTheControllersDownToTheParentAndCreateWritesTheLimits() throws Exception {
    List<String> why = new ArrayList<>();
    CgroupsV2 v2 = CgroupsV2.open(fakeMount("cpuset cpu io memory hugetlb pids rdma misc"), "agora/a1", why)
        .orElseThrow(() -> new AssertionError(why));
    assertThat(v2.version()).isEqualTo("v2");
    for (Path level : List.of(fake, fake.resolve("agora"), fake.resolve("agora/a1"))) {
      assertThat(Files.readString(level.resolve("cgroup.subtree_control"))).as(level.toString())
          .isEqualTo("+cpu +memory +pids");
    }

    Cgroups.Cgroup cg = v2.create("c1", new Cgroups.Limits(1024, OptionalDouble.of(0.2), 64L << 20, 100));

    Path dir = fake.resolve("agora/a1/c1");
    assertThat(Files.readString(dir.resolve("cpu.weight"))).isEqualTo("39");
    assertThat(Files.readString(dir.resolve("cpu.max"))).isEqualTo("20000 100000");
    assertThat(Files.readString(dir.resolve("memory.max"))).isEqualTo(Long.toString(64L << 20));
    assertThat(Files.readString(dir.resolve("pids.max"))).isEqualTo("100");
    assertThat(cg.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
    assertThat(v2.existing()).containsExactly("c1");

    Cgroups.Cgroup unlimited = v2.create("c2", new Cgroups.Limits(2, OptionalDouble.empty(), Long.MAX_VALUE, 5));
    Path dir2 = fake.resolve("agora/a1/c2");
    assertThat(Files.readString(dir2.resolve("cpu.weight"))).isEqualTo("1");
    assertThat(dir2.resolve("cpu.max")).doesNotExist();
    assertThat(dir2.resolve("memory.max")).doesNotExist();
    assertThat(unlimited.name()).isEqualTo("c2");
  }

  @Test
  void aMountWithoutTheControllersIsRefusedSayingWhich() throws Exception {
    List<String> why = new ArrayList<>();

    assertThat(CgroupsV2.open(fakeMount("hugetlb"), "agora", why)).isEmpty();

    assertThat(why).singleElement().asString().contains("hugetlb").contains("[cpu, memory, pids]");
    assertThat(LinuxContainerizer.v2Mount(fake)).isEmpty();
  }

  @Test
  void usageAndLimitationsAreReadFromTheV2Files() throws Exception {
    CgroupsV2 v2 = CgroupsV2.open(fakeMount("cpu memory pids"), "agora", new ArrayList<>()).orElseThrow();
    Cgroups.Cgroup cg = v2.create("c", new Cgroups.Limits(1024, OptionalDouble.empty(), 64L << 20, 10));
    Path dir = fake.resolve("agora/c");
    Files.writeString(dir.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
    Files.writeString(dir.resolve("memory.current"), "1048576\n");
    Files.writeString(dir.resolve("memory.peak"), "4194304\n");
    Files.writeString(dir.resolve("cgroup.procs"), "101\n102\n");

    assertThat(cg.usage()).isEqualTo(new ResourceUsage(Duration.ofMillis(2500), 1 << 20, 4 << 20, 2));
    assertThat(cg.limitation()).isEmpty();

    Files.writeString(dir.resolve("pids.events"), "max 3\n");
    assertThat(cg.limitation()).hasValueSatisfying(l -> {
      assertThat(l.resource()).isEqualTo("pids");
      assertThat(l.message()).contains("Process limit 10");
    });
    Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
    Optional<ContainerTermination.Limitation> oom = cg.limitation();
    assertThat(oom).hasValueSatisfying(l -> {
      assertThat(l.resource()).isEqualTo("mem");
      assertThat(l.message()).contains("Memory limit 64 MB exceeded");
    });
  }

  // ---- a real cgroup2 mount, without controllers ----------------------------------------------

  /** A writable cgroup2 mount from /proc/mounts, if any. */
  private static Optional<Path> cgroup2Mount() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 3 && f[2].equals("cgroup2") && f[3].startsWith("rw")) {
        Path mount = Path.of(f[1]);
        if (Files.isWritable(mount.resolve("cgroup.procs"))) {
          return Optional.of(mount);
        }
      }
    }
    return Optional.empty();
  }

  private CgroupsV2 realV2() throws IOException {
    Optional<Path> mount = cgroup2Mount();
    assumeTrue(mount.isPresent(), "cgroup v2 tests on a real mount skipped: no writable cgroup2 mount in /proc/mounts");
    realParent = mount.get().resolve("agora-v2-test-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectory(realParent);
    return CgroupsV2.at(realParent);
  }

  /** Runs {@code script} in {@code cg} once it is there: the shell waits for a line on its stdin. */
  private Process startIn(Cgroups.Cgroup cg, String script) throws IOException {
    Process p = new ProcessBuilder("/bin/sh", "-c", "read go; " + script).redirectErrorStream(true).start();
    started.add(p);
    cg.add(p.pid());
    p.getOutputStream().write("go\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    p.getOutputStream().flush();
    return p;
  }

  @Test
  void onARealCgroup2MountProcessesAreAddedCountedKilledAtOnceAndTheCgroupRemoved() throws Exception {
    CgroupsV2 v2 = realV2();
    Files.createDirectory(realParent.resolve("c"));
    Cgroups.Cgroup cg = v2.open("c");
    Process p = startIn(cg, "sleep 1000 & sleep 1000 & while :; do :; done");
    await().atMost(Duration.ofSeconds(10)).until(() -> cg.pids().size() >= 3);
    assertThat(cg.pids()).contains(p.pid());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cg.usage().cpuTime().toMillis())
        .as("%s, cpu.stat: %s", cg.usage(), Files.readString(realParent.resolve("c/cpu.stat"))).isGreaterThan(20));
    assertThat(cg.usage().processes()).isGreaterThanOrEqualTo(3);
    assertThat(v2.existing()).containsExactly("c");
    assertThat(cg.remove()).as("a cgroup with processes is not removed").isFalse();

    cg.killAll(); // cgroup.kill, where the kernel has it

    await().atMost(Duration.ofSeconds(10)).until(() -> !p.isAlive());
    await().atMost(Duration.ofSeconds(10)).until(() -> cg.pids().isEmpty());
    await().atMost(Duration.ofSeconds(10)).until(cg::remove);
    assertThat(realParent.resolve("c")).doesNotExist();
    assertThat(cg.remove()).as("idempotent").isTrue();
  }

  @Test
  void onARealCgroup2MountTheFreezerKillsAForkingTaskWithoutLosingAChild() throws Exception {
    CgroupsV2 v2 = realV2();
    Files.createDirectory(realParent.resolve("f"));
    CgroupsV2.V2Cgroup cg = (CgroupsV2.V2Cgroup) v2.open("f");
    Process p = startIn(cg, "while :; do sleep 1000 & sleep 0.005; done");
    await().atMost(Duration.ofSeconds(10)).until(() -> cg.pids().size() >= 5);

    cg.freezeKillThaw();

    await().atMost(Duration.ofSeconds(10)).until(() -> !p.isAlive());
    await().atMost(Duration.ofSeconds(10)).until(() -> cg.pids().isEmpty());
    assertThat(Files.readString(realParent.resolve("f/cgroup.freeze")).trim()).as("thawed").isEqualTo("0");
    await().atMost(Duration.ofSeconds(10)).until(cg::remove);
  }

  @Test
  void onARealCgroup2MountWithoutControllersCreateFailsNamingTheFileAndLeavesNothing() throws Exception {
    CgroupsV2 v2 = realV2();

    assertThatThrownBy(() -> v2.create("nocpu", new Cgroups.Limits(1024, OptionalDouble.empty(), 64L << 20, 10)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cpu.weight");

    assertThat(realParent.resolve("nocpu")).doesNotExist();
    assertThat(v2.existing()).isEmpty();
  }
}
