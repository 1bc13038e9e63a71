package dev.agora.containers;

import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cgroup v2: one unified directory per container, {@code <mount>/<parent>/<name>}, with the cpu,
 * memory and pids controllers enabled down the parent's {@code cgroup.subtree_control}; cpu time
 * from {@code cpu.stat}, the freezer is {@code cgroup.freeze}, and {@code cgroup.kill} (Linux 5.14)
 * kills atomically where it exists. Swap is limited to none ({@code memory.swap.max 0}), so the
 * memory limit holds for memory and swap together.
 *
 * <p>Tested in part: the development host binds cpu, memory and pids to cgroup v1, so its v2 mount
 * ({@code /sys/fs/cgroup/unified}) offers none of them. {@code CgroupsV2Test} runs the paths that
 * need no controller (cgroup.procs, cgroup.kill, cgroup.freeze, cpu.stat, removal) on that real
 * cgroup2 mount, and checks the controller files against a directory laid out like cgroup2; the
 * whole containerizer on v2 is untested.
 *
 * <p>Concurrency: immutable; safe from any thread.
 */
final class CgroupsV2 implements Cgroups {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupsV2.class);

  static final List<String> CONTROLLERS = List.of("cpu", "memory", "pids");

  private final Path parent;

  private CgroupsV2(Path parent) {
    this.parent = parent;
  }

  /** The v2 hierarchy at {@code mount} if it offers the controllers; enables them down to the parent. */
  static Optional<CgroupsV2> open(Path mount, String parent, List<String> whyNot) {
    try {
      Set<String> offered = Set.of(CgroupFiles.read(mount.resolve("cgroup.controllers")).trim().split("\\s+"));
      if (!offered.containsAll(CONTROLLERS)) {
        whyNot.add("cgroup v2 at " + mount + " offers controllers " + offered + ", not all of " + CONTROLLERS);
        return Optional.empty();
      }
      Path dir = mount;
      for (String part : parent.split("/")) {
        CgroupFiles.write(dir.resolve("cgroup.subtree_control"), "+cpu +memory +pids");
        dir = dir.resolve(part);
        Files.createDirectories(dir);
      }
      CgroupFiles.write(dir.resolve("cgroup.subtree_control"), "+cpu +memory +pids");
      return Optional.of(new CgroupsV2(dir));
    } catch (IOException | RuntimeException e) {
      whyNot.add("cannot use cgroup v2 at " + mount + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The containers' parent {@code parent}, an existing cgroup2 directory, as it is: no controller
   * is checked or enabled. For tests on a v2 mount without controllers; {@link #open} otherwise.
   */
  static CgroupsV2 at(Path parent) {
    return new CgroupsV2(parent);
  }

  /** v1 shares (2..262144) as a v2 weight (1..10000), as runc maps them: 2 -> 1, 1024 -> 39, 262144 -> 10000. */
  static long weight(long shares) {
    long s = Math.max(2, Math.min(262_144, shares));
    return 1 + ((s - 2) * 9_999) / 262_142;
  }

  @Override
  public String version() {
    return "v2";
  }

  @Override
  public Cgroup create(String name, Limits limits) throws IOException {
    V2Cgroup cg = new V2Cgroup(name);
    Path dir = parent.resolve(name);
    try {
      Files.createDirectory(dir);
      CgroupFiles.write(dir.resolve("cpu.weight"), Long.toString(weight(limits.cpuShares())));
      if (limits.cpuQuota().isPresent()) {
        long quota = Math.max(CgroupsV1.CFS_MIN_QUOTA_MICROS,
            Math.round(limits.cpuQuota().getAsDouble() * CgroupsV1.CFS_PERIOD_MICROS));
        CgroupFiles.write(dir.resolve("cpu.max"), quota + " " + CgroupsV1.CFS_PERIOD_MICROS);
      }
      if (limits.memoryBytes() != Long.MAX_VALUE) {
        CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        if (Files.exists(dir.resolve("memory.swap.max"))) {
          CgroupFiles.write(dir.resolve("memory.swap.max"), "0");
        }
      }
      CgroupFiles.write(dir.resolve("pids.max"), Long.toString(limits.pids()));
    } catch (IOException | RuntimeException e) {
      cg.remove();
      throw e;
    }
    return cg;
  }

  @Override
  public Set<String> existing() {
    Set<String> names = new LinkedHashSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, Files::isDirectory)) {
      dirs.forEach(d -> names.add(d.getFileName().toString()));
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", parent, e.toString());
    }
    return names;
  }

  @Override
  public Cgroup open(String name) {
    return new V2Cgroup(name);
  }

  final class V2Cgroup implements Cgroup {
    private final String name;
    private final Path dir;

    V2Cgroup(String name) {
      this.name = name;
      this.dir = parent.resolve(name);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<Path> procsFiles() {
      return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    public void add(long pid) throws IOException {
      CgroupFiles.write(dir.resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public List<Long> pids() {
      return CgroupFiles.pids(dir.resolve("cgroup.procs"));
    }

    @Override
    public void killAll() {
      if (pids().stream().allMatch(NamespaceInit::zombie)) {
        return; // nothing alive can fork
      }
      if (Files.exists(dir.resolve("cgroup.kill"))) {
        try {
          CgroupFiles.write(dir.resolve("cgroup.kill"), "1");
          return;
        } catch (IOException e) {
          LOG.debug("cgroup {}: cgroup.kill failed: {}", name, e.getMessage());
        }
      }
      freezeKillThaw();
    }

    /**
     * Before Linux 5.14 (no {@code cgroup.kill}): freeze ({@code cgroup.freeze}, until
     * {@code cgroup.events} says {@code frozen 1}), SIGKILL every process, thaw.
     */
    void freezeKillThaw() {
      try {
        CgroupFiles.write(dir.resolve("cgroup.freeze"), "1");
        awaitFrozen();
      } catch (IOException e) {
        LOG.debug("cgroup {}: cannot freeze: {}", name, e.getMessage());
      }
      CgroupFiles.kill(pids(), true);
      try {
        CgroupFiles.write(dir.resolve("cgroup.freeze"), "0");
      } catch (IOException e) {
        LOG.debug("cgroup {}: cannot thaw: {}", name, e.getMessage());
      }
    }

    private boolean awaitFrozen() {
      for (int round = 0; round < CgroupFiles.FREEZE_WAIT_ROUNDS; round++) {
        if (CgroupFiles.keyed(dir.resolve("cgroup.events"), "frozen", 0) == 1) {
          return true;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
      }
      return false;
    }

    @Override
    public Optional<ContainerTermination.Limitation> limitation() {
      if (CgroupFiles.keyed(dir.resolve("memory.events"), "oom_kill", 0) > 0) {
        return Optional.of(new ContainerTermination.Limitation("mem",
            "Memory limit " + Cgroups.megabytes(CgroupFiles.number(dir.resolve("memory.max"), 0))
                + " exceeded: the kernel killed a process of the task out of memory"));
      }
      if (CgroupFiles.keyed(dir.resolve("pids.events"), "max", 0) > 0) {
        return Optional.of(new ContainerTermination.Limitation("pids",
            "Process limit " + CgroupFiles.number(dir.resolve("pids.max"), 0)
                + " reached: the task tried to start more processes"));
      }
      return Optional.empty();
    }

    @Override
    public ResourceUsage usage() {
      long micros = CgroupFiles.keyed(dir.resolve("cpu.stat"), "usage_usec", 0);
      long now = CgroupFiles.number(dir.resolve("memory.current"), 0);
      long peak = Math.max(now, CgroupFiles.number(dir.resolve("memory.peak"), 0));
      return new ResourceUsage(Duration.ofNanos(micros * 1000), now, peak, pids().size());
    }

    @Override
    public boolean remove() {
      if (Files.exists(dir) && !CgroupFiles.rmdir(dir)) {
        LOG.debug("cgroup {}: cannot remove {} yet", name, dir);
        return false;
      }
      return true;
    }
  }
}
