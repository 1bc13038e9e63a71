package dev.agora.containers;

import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A cgroup hierarchy for containers, one cgroup (per controller) each, under one parent named by
 * the containerizer (e.g. {@code agora}): cgroup v1 ({@link CgroupsV1}, a directory per
 * controller) or v2 ({@link CgroupsV2}, one unified directory), chosen by what the host mounts.
 *
 * <p>Concurrency: safe from any thread; every call reads or writes the cgroup files afresh.
 */
interface Cgroups {
  /** {@code v1} or {@code v2}. */
  String version();

  /**
   * Creates a container's cgroup and sets its limits.
   *
   * @throws IOException naming the file, if the cgroup cannot be made or a limit not set; what was
   *     made is removed again
   */
  Cgroup create(String name, Limits limits) throws IOException;

  /** The names of the container cgroups that exist now under the parent (for orphan cleanup). */
  Set<String> existing();

  /** An existing container cgroup, to clean it up. */
  Cgroup open(String name);

  /**
   * What a container is held to.
   *
   * @param cpuShares the relative cpu weight (v1 shares: 1024 per cpu)
   * @param cpuQuota the hard cpu limit in cpus (a CFS quota), if any
   * @param memoryBytes the memory limit, swap included
   * @param pids the most processes (and threads) it may have
   */
  record Limits(long cpuShares, OptionalDouble cpuQuota, long memoryBytes, long pids) {}

  /** One container's cgroup. */
  interface Cgroup {
    String name();

    /** The {@code cgroup.procs} files a process must be written to, to be contained. */
    List<Path> procsFiles();

    /** Moves a process into the cgroup. */
    void add(long pid) throws IOException;

    /** The pids in the cgroup now (zombies may linger; callers treat them as gone). */
    List<Long> pids();

    /** Freezes the cgroup, SIGKILLs every process in it, thaws it: nothing forks meanwhile. Does nothing if no live process is left. */
    void killAll();

    /** A limit the container has hit: an OOM kill, or a fork refused at the pids limit. */
    Optional<ContainerTermination.Limitation> limitation();

    /** Usage: cpu time since creation, memory now and its peak, processes now. */
    ResourceUsage usage();

    /** Removes the cgroup; true if it is gone (or was). Idempotent. */
    boolean remove();
  }

  /** "64 MB", "1.5 GB": a size in the units Mesos prints. */
  static String megabytes(long bytes) {
    long mb = bytes / (1024 * 1024);
    return mb >= 1024 && mb % 1024 == 0 ? (mb / 1024) + " GB" : mb + " MB";
  }
}
