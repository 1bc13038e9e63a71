package dev.agora.containers;

import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cgroup v1: a directory per controller, {@code <mount>/<controller>/<parent>/<name>}, for cpu,
 * cpuacct, memory, pids and freezer. Controllers mounted together (e.g. {@code cpu,cpuacct}) share
 * one directory. Memory is limited with swap ({@code memory.memsw.limit_in_bytes}) where the
 * kernel accounts swap.
 *
 * <p>Concurrency: immutable; safe from any thread.
 */
final class CgroupsV1 implements Cgroups {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupsV1.class);

  static final List<String> CONTROLLERS = List.of("cpu", "cpuacct", "memory", "pids", "freezer");

  /** The CFS period; the quota is this times the cpus. */
  static final long CFS_PERIOD_MICROS = 100_000;

  /** The smallest quota the kernel takes. */
  static final long CFS_MIN_QUOTA_MICROS = 1_000;

  private final Path cpu;
  private final Path cpuacct;
  private final Path memory;
  private final Path pids;
  private final Path freezer;
  /** The distinct controller parents, in creation order. */
  private final List<Path> parents;

  private CgroupsV1(Path mount, String parent) {
    this.cpu = mount.resolve("cpu").resolve(parent);
    this.cpuacct = mount.resolve("cpuacct").resolve(parent);
    this.memory = mount.resolve("memory").resolve(parent);
    this.pids = mount.resolve("pids").resolve(parent);
    this.freezer = mount.resolve("freezer").resolve(parent);
    Set<Path> distinct = new LinkedHashSet<>();
    for (Path p : List.of(cpu, cpuacct, memory, pids, freezer)) {
      distinct.add(real(p));
    }
    this.parents = List.copyOf(distinct);
  }

  private static Path real(Path p) {
    try {
      return p.getParent().toRealPath().resolve(p.getFileName());
    } catch (IOException e) {
      return p;
    }
  }

  /**
   * The v1 hierarchy under {@code mount} (e.g. {@code /sys/fs/cgroup}) if every controller is
   * mounted there and writable; the parent is created.
   *
   * @return empty, with the reason logged at debug, if v1 cannot be used
   */
  static Optional<CgroupsV1> open(Path mount, String parent, List<String> whyNot) {
    for (String c : CONTROLLERS) {
      Path dir = mount.resolve(c);
      if (!Files.isDirectory(dir) || !Files.exists(dir.resolve("cgroup.procs"))) {
        whyNot.add("cgroup v1 controller " + c + " is not mounted at " + dir);
        return Optional.empty();
      }
    }
    CgroupsV1 v1 = new CgroupsV1(mount, parent);
    try {
      for (Path p : v1.parents) {
        Files.createDirectories(p);
      }
      // Children of the memory parent inherit hierarchical accounting where the kernel asks.
      return Optional.of(v1);
    } catch (IOException e) {
      whyNot.add("cannot create cgroups under " + mount + ": " + e);
      return Optional.empty();
    }
  }

  @Override
  public String version() {
    return "v1";
  }

  @Override
  public Cgroup create(String name, Limits limits) throws IOException {
    V1Cgroup cg = new V1Cgroup(name);
    try {
      for (Path parent : parents) {
        Files.createDirectory(parent.resolve(name));
      }
      Path cpuDir = cpu.resolve(name);
      CgroupFiles.write(cpuDir.resolve("cpu.shares"), Long.toString(Math.max(2, limits.cpuShares())));
      if (limits.cpuQuota().isPresent()) {
        long quota = Math.max(CFS_MIN_QUOTA_MICROS, Math.round(limits.cpuQuota().getAsDouble() * CFS_PERIOD_MICROS));
        CgroupFiles.write(cpuDir.resolve("cpu.cfs_period_us"), Long.toString(CFS_PERIOD_MICROS));
        CgroupFiles.write(cpuDir.resolve("cpu.cfs_quota_us"), Long.toString(quota));
      }
      Path mem = memory.resolve(name);
      if (limits.memoryBytes() != Long.MAX_VALUE) { // else unlimited, as a new cgroup is
        CgroupFiles.write(mem.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
        if (Files.exists(mem.resolve("memory.memsw.limit_in_bytes"))) {
          CgroupFiles.write(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
        }
      }
      CgroupFiles.write(pids.resolve(name).resolve("pids.max"), Long.toString(limits.pids()));
    } catch (IOException | RuntimeException e) {
      cg.remove();
      throw e;
    }
    return cg;
  }

  @Override
  public Set<String> existing() {
    Set<String> names = new LinkedHashSet<>();
    for (Path parent : parents) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, Files::isDirectory)) {
        dirs.forEach(d -> names.add(d.getFileName().toString()));
      } catch (IOException e) {
        LOG.warn("cannot list {}: {}", parent, e.toString());
      }
    }
    return names;
  }

  @Override
  public Cgroup open(String name) {
    return new V1Cgroup(name);
  }

  private final class V1Cgroup implements Cgroup {
    private final String name;

    V1Cgroup(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<Path> procsFiles() {
      List<Path> files = new ArrayList<>();
      for (Path parent : parents) {
        files.add(parent.resolve(name).resolve("cgroup.procs"));
      }
      return files;
    }

    @Override
    public void add(long pid) throws IOException {
      for (Path procs : procsFiles()) {
        CgroupFiles.write(procs, Long.toString(pid));
      }
    }

    @Override
    public List<Long> pids() {
      return CgroupFiles.pids(freezer.resolve(name).resolve("cgroup.procs"));
    }

    @Override
    public void killAll() {
      if (pids().stream().allMatch(NamespaceInit::zombie)) {
        return; // nothing alive can fork: no freeze needed (a v1 freezer write costs milliseconds)
      }
      Path state = freezer.resolve(name).resolve("freezer.state");
      boolean frozen = false;
      try {
        CgroupFiles.write(state, "FROZEN");
        frozen = CgroupFiles.await(state, "FROZEN");
      } catch (IOException e) {
        LOG.debug("cgroup {}: cannot freeze: {}", name, e.getMessage());
      }
      CgroupFiles.kill(pids(), true);
      try {
        if (frozen || Files.exists(state)) {
          CgroupFiles.write(state, "THAWED");
        }
      } catch (IOException e) {
        LOG.debug("cgroup {}: cannot thaw: {}", name, e.getMessage());
      }
    }

    @Override
    public Optional<ContainerTermination.Limitation> limitation() {
      Path mem = memory.resolve(name);
      if (CgroupFiles.keyed(mem.resolve("memory.oom_control"), "oom_kill", 0) > 0) {
        long limit = CgroupFiles.number(mem.resolve("memory.limit_in_bytes"), 0);
        return Optional.of(new ContainerTermination.Limitation("mem",
            "Memory limit " + Cgroups.megabytes(limit) + " exceeded: the kernel killed a process of the task"
                + " out of memory (peak " + Cgroups.megabytes(
                    CgroupFiles.number(mem.resolve("memory.max_usage_in_bytes"), 0)) + ")"));
      }
      Path p = pids.resolve(name);
      if (CgroupFiles.keyed(p.resolve("pids.events"), "max", 0) > 0) {
        return Optional.of(new ContainerTermination.Limitation("pids",
            "Process limit " + CgroupFiles.number(p.resolve("pids.max"), 0)
                + " reached: the task tried to start more processes"));
      }
      return Optional.empty();
    }

    @Override
    public ResourceUsage usage() {
      Path mem = memory.resolve(name);
      long nanos = CgroupFiles.number(cpuacct.resolve(name).resolve("cpuacct.usage"), 0);
      long now = CgroupFiles.number(mem.resolve("memory.usage_in_bytes"), 0);
      long peak = Math.max(now, CgroupFiles.number(mem.resolve("memory.max_usage_in_bytes"), 0));
      return new ResourceUsage(Duration.ofNanos(nanos), now, peak, pids().size());
    }

    @Override
    public boolean remove() {
      boolean gone = true;
      for (Path parent : parents) {
        Path dir = parent.resolve(name);
        if (Files.exists(dir) && !CgroupFiles.rmdir(dir)) {
          LOG.debug("cgroup {}: cannot remove {} yet", name, dir);
          gone = false;
        }
      }
      return gone;
    }
  }
}
