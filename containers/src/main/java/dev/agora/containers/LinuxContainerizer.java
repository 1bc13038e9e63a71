package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import dev.agora.core.container.ResourceUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux containerizer: each task in its own cgroup and namespaces, held to its resources. Needs
 * root, cgroup v1 controllers cpu, cpuacct, memory, pids and freezer mounted read-write (under
 * {@code /sys/fs/cgroup}; else a cgroup v2 mount offering cpu, memory and pids, there or at
 * {@code /sys/fs/cgroup/unified}), and util-linux's {@code unshare}, {@code setsid}, {@code mount} (and
 * {@code setpriv} to run tasks as their users) for the fallback launch path. {@link #available()} says whether this host has
 * them; {@link Containerizers} falls back to the {@link ProcessContainerizer} where not.
 *
 * <p>Isolation. A container's cgroup is {@code <controller>/<hierarchy>/<container id>}:
 * {@code cpu.shares} is 1024 per requested cpu; with {@link Builder#cpuHardLimit} a CFS quota holds
 * it to its cpus; memory is limited to its {@code mem} (at least 32 MB, as Mesos), swap included;
 * {@code pids.max} bounds its processes and threads ({@link Builder#pidsLimit}); cpuacct measures
 * its cpu time; the freezer makes kills atomic. A task that requests no {@code mem} fails to
 * launch. Namespaces: pid (the task is pid 1 of its tree and sees only its own processes), mount
 * (a private {@code /tmp}, bind-mounted from {@code <sandbox>/tmp}; the sandbox is the working
 * directory), uts (the task may set its own host name), ipc, and net with {@link Builder#network}. The
 * command, environment, user and output files are as in {@link ProcessContainerizer}.
 *
 * <p>Limits become terminations. An OOM kill in the container, or a fork refused at its pids
 * limit, ends the whole container at once (SIGKILL) with a {@link ContainerTermination.Limitation}
 * of resource {@code mem} or {@code pids} whose message names the limit. Checked every
 * {@link #LIMIT_CHECK_INTERVAL} and when the container ends.
 *
 * <p>Ends. {@link #destroy} sends SIGTERM to every process of the cgroup and after the grace
 * period freezes the cgroup, SIGKILLs everything in it and thaws it; once nothing is left the
 * cgroups are removed.
 *
 * <p>Restarts. The containers outlive the agent (their top processes are re-parented). A restarted
 * agent's containerizer re-adopts them with {@link #recover}: by pid, cgroup and marker, with the
 * limits their cgroups still hold. Once recovery has said which containers are known (or, without
 * a recovery, before the first launch), every other cgroup under the hierarchy is an orphan of an
 * earlier run (a crashed agent's task that the agent no longer knows): its processes are killed
 * and it is removed. Give each agent on a host its own {@link Builder#hierarchy}.
 *
 * <p>Launch paths. By default containers are started by the native launcher
 * ({@link Builder#nativeLauncher}): a small C program, built once with the host's C compiler
 * and run as one long-lived child of the agent, that forks each task straight into its cgroups
 * and namespaces and execs it; the task is the container's top process (pid 1 of its namespace)
 * and its exit status is the task's own (a task killed by a signal ends "terminated by signal").
 * Where no compiler is found, or with {@code nativeLauncher(false)}, the containerizer falls back,
 * with a logged warning, to a chain of util-linux tools; there the top process is
 * {@code unshare}, which passes on the task's exit status, except that util-linux 2.38's
 * {@code unshare} reports a task killed by SIGKILL as status 1, so a destroyed or limited
 * container may say "exited with status 1". {@link #launchPath()} says which is in use.
 *
 * <p>Concurrency: every method may be called from any thread; {@link #close()} and
 * {@link Builder#build()} block ({@code build} may compile the native launcher, once per host).
 * The containerizer's threads launch, signal, watch and complete the returned stages.
 *
 * <p>Arguments are non-null: a null one throws {@link NullPointerException}.
 */
public final class LinuxContainerizer implements Containerizer {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxContainerizer.class);

  /** The default parent cgroup of the containers. */
  public static final String DEFAULT_HIERARCHY = "agora";

  /** The default bound on a container's processes and threads. */
  public static final long DEFAULT_PIDS_LIMIT = 4096;

  /** How often running containers are checked for a limit they hit. */
  public static final Duration LIMIT_CHECK_INTERVAL = Duration.ofMillis(100);

  private final Duration defaultKillGracePeriod;
  private final Cgroups cgroups;
  private final Optional<NativeLauncher> nativeLauncher;
  private final ContainerRuntime runtime;

  private LinuxContainerizer(Builder b, Cgroups cgroups, Isolation isolation, Optional<NativeLauncher> nativeLauncher) {
    this.defaultKillGracePeriod = b.defaultKillGracePeriod;
    this.cgroups = cgroups;
    this.nativeLauncher = nativeLauncher;
    this.runtime = new ContainerRuntime(ProcessContainerizer.MARKER, isolation, b.threadFactory,
        Optional.of(LIMIT_CHECK_INTERVAL));
  }

  /** A builder; every setting is optional. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether this host can run the Linux containerizer: Linux, root, the cgroup controllers
   * writable and the tools on {@code PATH}.
   *
   * @return empty if it can, otherwise why not
   */
  public static Optional<String> unavailableBecause() {
    List<String> why = new ArrayList<>();
    probe(Path.of("/proc"), Path.of("/sys/fs/cgroup"), System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), why);
    return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
  }

  /** Whether {@link #unavailableBecause()} is empty. */
  public static boolean available() {
    return unavailableBecause().isEmpty();
  }

  private static void probe(Path proc, Path mount, String path, List<String> why) {
    if (!Files.isDirectory(proc.resolve("self"))) {
      why.add("no Linux " + proc);
      return;
    }
    if (!Launcher.runningAsRoot(proc)) {
      why.add("not running as root");
    }
    for (String tool : List.of("setsid", "unshare", "mount")) {
      if (Launcher.onPath(tool, path).isEmpty()) {
        why.add(tool + " (util-linux) is not on PATH " + path);
      }
    }
    List<String> v1 = new ArrayList<>();
    for (String c : CgroupsV1.CONTROLLERS) {
      Path dir = mount.resolve(c);
      if (!Files.isWritable(dir.resolve("cgroup.procs"))) {
        v1.add("cgroup v1 controller " + c + " is not mounted writable at " + dir);
      }
    }
    if (!v1.isEmpty() && v2Mount(mount).isEmpty()) {
      why.add(v1.get(0) + ", and no cgroup v2 mount offers " + CgroupsV2.CONTROLLERS);
    }
  }

  /** The cgroup v2 mount that offers the controllers: {@code mount} itself, or its {@code unified}. */
  static Optional<Path> v2Mount(Path mount) {
    for (Path candidate : List.of(mount, mount.resolve("unified"))) {
      try {
        String offered = Files.readString(candidate.resolve("cgroup.controllers"));
        if (List.of(offered.trim().split("\\s+")).containsAll(CgroupsV2.CONTROLLERS)
            && Files.isWritable(candidate.resolve("cgroup.procs"))) {
          return Optional.of(candidate);
        }
      } catch (java.io.IOException e) {
        // not a v2 mount
      }
    }
    return Optional.empty();
  }

  @Override
  public String name() {
    return "linux";
  }

  /** The cgroup version in use, {@code v1} or {@code v2}. */
  public String cgroupVersion() {
    return cgroups.version();
  }

  /**
   * How containers are launched: {@code native} (the launch server built from C, see
   * {@link Builder#nativeLauncher}) or {@code shell} (the {@code sh}/{@code setsid}/{@code unshare}
   * chain).
   */
  public String launchPath() {
    return nativeLauncher.isPresent() ? "native" : "shell";
  }

  /** The default time between SIGTERM and SIGKILL for {@link #destroy(ContainerId)}. */
  public Duration defaultKillGracePeriod() {
    return defaultKillGracePeriod;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The stage completes once the top process runs in the container's cgroups; namespaces are
   * set up by then or just after, before the command runs. A task without {@code mem}, a bad
   * sandbox, a missing program or an unknown user fail the stage with an
   * {@link java.io.IOException} naming the problem.
   *
   * @throws IllegalArgumentException if a container with this id has not ended
   */
  @Override
  public CompletionStage<ContainerStatus> launch(ContainerConfig config) {
    return runtime.launch(config);
  }

  @Override
  public CompletionStage<ContainerTermination> termination(ContainerId id) {
    return runtime.termination(id);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code gracePeriod} is negative
   */
  @Override
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
    return runtime.destroy(id, gracePeriod);
  }

  /** Destroys with the task's kill grace period, or {@link #defaultKillGracePeriod()}. */
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id) {
    return destroy(id, runtime.taskGracePeriod(id).orElse(defaultKillGracePeriod));
  }

  /**
   * {@inheritDoc}
   *
   * <p>From the container's cgroups: cpu time since launch (cpuacct), memory in use and its peak
   * (page cache included), and its processes.
   */
  @Override
  public Optional<ResourceUsage> usage(ContainerId id) {
    return runtime.usage(id);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A container is re-adopted if its recorded pid is alive, in the container's cgroup, and
   * carries the marker variable naming this container id (so a reused pid is never taken for it);
   * it keeps the limits its cgroup holds and is watched, limit checks included, as if launched
   * here. Then every cgroup under the hierarchy of a container not re-adopted is removed, its
   * processes killed: those of the containers that are left out, and those the agent no longer
   * knows. After {@link #close()}, completes exceptionally with {@link IllegalStateException}.
   */
  @Override
  public CompletionStage<Set<ContainerId>> recover(List<RecoverableContainer> containers) {
    return runtime.recover(containers);
  }

  /** Stops without ending the containers, as a crashed agent would; for tests of {@link #recover}. */
  void abandon() {
    runtime.abandon();
    nativeLauncher.ifPresent(NativeLauncher::close); // as a dead agent's: it reads end-of-file and exits
  }

  @Override
  public Set<ContainerId> containers() {
    return runtime.containers();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Blocks until every container has ended and its cgroups are removed, for at most 30
   * seconds. Later launches fail with {@link IllegalStateException}.
   */
  @Override
  public void close() {
    runtime.close();
    nativeLauncher.ifPresent(NativeLauncher::close);
  }

  /**
   * Builds a {@link LinuxContainerizer}. Each setter checks its value at once and may be called
   * once. Not thread-safe; use from one thread.
   */
  public static final class Builder {
    private ThreadFactory threadFactory;
    private Duration defaultKillGracePeriod;
    private String hierarchy;
    private Boolean cpuHardLimit;
    private Long pidsLimit;
    private Boolean network;
    private Boolean nativeLauncher;
    private Path launcherDirectory;

    private Builder() {}

    /** Where the containerizer's threads (four: two launch, two watch) come from; it owns and stops them. */
    public Builder threadFactory(ThreadFactory threadFactory) {
      Objects.requireNonNull(threadFactory, "threadFactory");
      requireUnset(this.threadFactory, "threadFactory");
      this.threadFactory = threadFactory;
      return this;
    }

    /**
     * The time between SIGTERM and SIGKILL for {@link LinuxContainerizer#destroy(ContainerId)}
     * when the task sets none. Default {@link ProcessContainerizer#DEFAULT_KILL_GRACE_PERIOD}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder defaultKillGracePeriod(Duration gracePeriod) {
      Objects.requireNonNull(gracePeriod, "gracePeriod");
      if (gracePeriod.isNegative()) {
        throw new IllegalArgumentException("default kill grace period must be >= 0 but was " + gracePeriod);
      }
      requireUnset(this.defaultKillGracePeriod, "defaultKillGracePeriod");
      this.defaultKillGracePeriod = gracePeriod;
      return this;
    }

    /**
     * The parent cgroup of the containers, e.g. {@code agora/agent-1}: one per agent on a host,
     * since its containerizer removes every cgroup under it that it does not know. Default {@value #DEFAULT_HIERARCHY}.
     *
     * @throws IllegalArgumentException if empty, absolute, or with {@code .}, {@code ..} or empty
     *     segments, or characters other than letters, digits, '.', '_', '-' and '/'
     */
    public Builder hierarchy(String hierarchy) {
      Objects.requireNonNull(hierarchy, "hierarchy");
      if (!hierarchy.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
          || List.of(hierarchy.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
        throw new IllegalArgumentException("cgroup hierarchy must be a relative path of plain names but was '"
            + hierarchy + "'");
      }
      requireUnset(this.hierarchy, "hierarchy");
      this.hierarchy = hierarchy;
      return this;
    }

    /** Whether to hold each container to its cpus with a CFS quota (a hard limit). Default false. */
    public Builder cpuHardLimit(boolean enabled) {
      requireUnset(this.cpuHardLimit, "cpuHardLimit");
      this.cpuHardLimit = enabled;
      return this;
    }

    /**
     * The most processes and threads a container may have. Default {@value #DEFAULT_PIDS_LIMIT}.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder pidsLimit(long limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("pids limit must be >= 1 but was " + limit);
      }
      requireUnset(this.pidsLimit, "pidsLimit");
      this.pidsLimit = limit;
      return this;
    }

    /** Whether each container gets a network namespace of its own (loopback only). Default false. */
    public Builder network(boolean enabled) {
      requireUnset(this.network, "network");
      this.network = enabled;
      return this;
    }

    /**
     * Whether to launch containers through the native launcher: a small C program, compiled on
     * first use with the host's {@code cc} or {@code gcc} into {@link #launcherDirectory} and
     * run as one long-lived child, that forks each container straight into its cgroups and
     * namespaces (its top process is then the task itself, pid 1 of its namespace). Where no
     * compiler is found or the build fails, the containerizer logs a warning and launches through
     * the {@code sh}/{@code setsid}/{@code unshare} chain, as with {@code false}. Default true.
     */
    public Builder nativeLauncher(boolean enabled) {
      requireUnset(this.nativeLauncher, "nativeLauncher");
      this.nativeLauncher = enabled;
      return this;
    }

    /**
     * Where the native launcher is built and cached (by the hash of its source), e.g. the agent's
     * work directory; made if missing, and refused (falling back to the shell chain) if another
     * user owns it or others may write to it. Default {@code <java.io.tmpdir>/agora-launch-<user>}.
     */
    public Builder launcherDirectory(Path directory) {
      Objects.requireNonNull(directory, "directory");
      if (!directory.isAbsolute()) {
        throw new IllegalArgumentException("launcher directory must be absolute but was '" + directory + "'");
      }
      requireUnset(this.launcherDirectory, "launcherDirectory");
      this.launcherDirectory = directory;
      return this;
    }

    /**
     * A new containerizer. The orphaned cgroups of earlier runs under its hierarchy are removed
     * after {@link LinuxContainerizer#recover} (or before the first launch).
     *
     * @throws IllegalStateException if this host cannot run it, saying why
     */
    public LinuxContainerizer build() {
      return build(Path.of("/proc"), Path.of("/sys/fs/cgroup"), System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    LinuxContainerizer build(Path proc, Path mount, String path) {
      List<String> why = new ArrayList<>();
      probe(proc, mount, path, why);
      String parent = hierarchy == null ? DEFAULT_HIERARCHY : hierarchy;
      Optional<Cgroups> chosen = Optional.empty();
      if (why.isEmpty()) {
        chosen = CgroupsV1.open(mount, parent, why).map(Cgroups.class::cast);
        if (chosen.isEmpty()) {
          chosen = v2Mount(mount).flatMap(v2 -> CgroupsV2.open(v2, parent, why));
        }
      }
      if (chosen.isEmpty()) {
        throw new IllegalStateException("the Linux containerizer cannot run here: " + String.join("; ", why));
      }
      Cgroups cgroups = chosen.get();
      Launcher launcher = new Launcher(Launcher.onPath("setpriv", path), Launcher.runningAsRoot(proc));
      CgroupIsolation.Settings settings = new CgroupIsolation.Settings(
          Boolean.TRUE.equals(cpuHardLimit), pidsLimit == null ? DEFAULT_PIDS_LIMIT : pidsLimit,
          Boolean.TRUE.equals(network));
      Optional<NativeLauncher> fast = Boolean.FALSE.equals(nativeLauncher) ? Optional.empty()
          : NativeLauncher.create(launcherDirectory == null ? NativeLauncher.defaultDirectory() : launcherDirectory, path);
      Isolation isolation = new CgroupIsolation(launcher, cgroups, settings,
          Launcher.onPath("setsid", path).orElseThrow(), Launcher.onPath("unshare", path).orElseThrow(),
          Launcher.onPath("mount", path).orElseThrow(), fast);
      if (threadFactory == null) {
        threadFactory = ContainerRuntime.daemonThreads("agora-linux-containerizer");
      }
      if (defaultKillGracePeriod == null) {
        defaultKillGracePeriod = ProcessContainerizer.DEFAULT_KILL_GRACE_PERIOD;
      }
      LOG.info("Linux containerizer: cgroup {} under {}/<controller>/{}, cpu hard limit {}, pids limit {}, {} launcher",
          cgroups.version(), mount, parent, settings.cpuHardLimit(), settings.pidsLimit(),
          fast.isPresent() ? "native" : "shell");
      return new LinuxContainerizer(this, cgroups, isolation, fast);
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }
}
