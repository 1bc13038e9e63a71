package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import dev.agora.core.model.TaskInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux containerizer's isolation: a cgroup per container (cpu, cpuacct, memory, pids,
 * freezer) and namespaces (pid, mount, uts, ipc; net if asked).
 *
 * <p>The native launch path. With a {@link NativeLauncher}, its server clones the task straight
 * into its namespaces and puts it in its cgroups before it runs; the task sets its mounts up and
 * execs the command (a setup step that fails exits {@value #SETUP_FAILED}). The task is then the top process (pid 1 of its namespace), SIGTERM goes to every
 * process of the cgroup (as SIGKILL to a pid 1 without a handler, see below), and its exit status
 * comes from the launcher, which reaps it. Else, the shell chain below.
 *
 * <p>The command line. The top process is {@code /bin/sh -c OUTER}: OUTER writes its own pid into
 * every {@code cgroup.procs} of the container (so nothing it forks escapes), then execs
 * {@code setsid unshare --pid --fork --kill-child --mount-proc --mount --uts --ipc [--net] -- /bin/sh
 * -c INNER}; INNER, pid 1 of the new pid namespace, bind-mounts {@code <sandbox>/tmp} on
 * {@code /tmp} and execs the command (through
 * {@code setpriv} for another user): so the task is pid 1 of its tree, sees only its own processes
 * in {@code /proc}, and has a private {@code /tmp}. The JVM also writes the pid into the cgroups
 * right after the start, so the container is contained when its launch completes; a failure of a
 * setup step exits 125 before the command runs.
 *
 * <p>Signals. SIGTERM goes to every process of the cgroup but the top one, {@code unshare}, which
 * would die of it and SIGKILL the task at once. The kernel drops signals sent to a namespace's pid 1 unless it has a handler; so
 * SIGTERM goes as SIGKILL to a pid 1 that neither handles nor ignores SIGTERM (for which SIGTERM's
 * default, to terminate, is what SIGKILL does). SIGKILL is atomic: freeze, kill all, thaw.
 *
 * <p>Concurrency: immutable; safe from any thread.
 */
final class CgroupIsolation implements Isolation {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupIsolation.class);

  /** Exit status of a setup step of the wrapper that failed. */
  static final int SETUP_FAILED = 125;

  /** The smallest memory limit, as Mesos' {@code MIN_MEMORY}: less cannot start a shell. */
  static final long MIN_MEMORY_BYTES = 32L * 1024 * 1024;

  /** Settings of the isolation, from the containerizer's builder. */
  record Settings(boolean cpuHardLimit, long pidsLimit, boolean network) {}

  private final Launcher launcher;
  private final Cgroups cgroups;
  private final Settings settings;
  private final Path shell;
  private final Path setsid;
  private final Path unshare;
  private final Path mount;
  private final ProcessTable table;
  /** Cgroups of ended containers that the kernel would not remove yet. */
  private final java.util.concurrent.ConcurrentLinkedQueue<Cgroups.Cgroup> unremoved =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** The fast path, where the native launcher could be built; else the shell chain is used. */
  private final Optional<NativeLauncher> nativeLauncher;

  CgroupIsolation(Launcher launcher, Cgroups cgroups, Settings settings, Path setsid, Path unshare, Path mount,
      Optional<NativeLauncher> nativeLauncher) {
    this.nativeLauncher = nativeLauncher;
    this.launcher = launcher;
    this.cgroups = cgroups;
    this.settings = settings;
    this.shell = Path.of(Launcher.SHELL);
    this.setsid = setsid;
    this.unshare = unshare;
    this.mount = mount;
    this.table = new ProcessTable(Path.of("/proc"));
  }

  /**
   * The limits of a task: cpu shares from its cpus request; a CFS quota from its cpus limit, or
   * from its request with a hard cpu limit; memory from its mem limit, or else its request (mem
   * is required); an infinite limit means none.
   */
  Cgroups.Limits limits(TaskInfo task) throws IOException {
    double mem = task.resources().mem();
    if (!(mem > 0)) {
      throw new IOException("task '" + task.taskId() + "' requests no mem (resources "
          + task.resources() + "): the Linux containerizer needs a memory limit");
    }
    double cpus = task.resources().cpus();
    long shares = Math.round(Math.max(cpus, 0.01) * 1024);
    OptionalDouble cpuLimit = task.limit("cpus");
    OptionalDouble quota;
    if (cpuLimit.isPresent()) {
      quota = Double.isInfinite(cpuLimit.getAsDouble()) ? OptionalDouble.empty() : cpuLimit;
    } else {
      quota = settings.cpuHardLimit() && cpus > 0 ? OptionalDouble.of(cpus) : OptionalDouble.empty();
    }
    double memLimit = task.limit("mem").orElse(mem);
    long bytes = Double.isInfinite(memLimit) ? Long.MAX_VALUE : Math.max(MIN_MEMORY_BYTES, Math.round(memLimit * 1024 * 1024));
    return new Cgroups.Limits(shares, quota, bytes, settings.pidsLimit());
  }

  @Override
  public Processes start(ContainerConfig config, String markerName, String markerValue) throws IOException {
    Launcher.checkSandbox(config.sandbox());
    Cgroups.Limits limits = limits(config.task());
    String name = config.containerId().value();
    Path tmp = config.sandbox().resolve("tmp");
    Files.createDirectories(tmp);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Cgroups.Cgroup cgroup = cgroups.create(name, limits);
    if (nativeLauncher.isPresent()) {
      NativeLauncher.Launched launched;
      try {
        launched = nativeLauncher.get().launch(launcher.nativeRequest(
            config, markerName, markerValue, tmp, cgroup.procsFiles(), settings.network()));
      } catch (IOException | RuntimeException e) {
        cgroup.remove();
        throw e;
      } catch (InterruptedException e) {
        cgroup.remove();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while launching", e);
      }
      return new Contained(launched.pid(), false, false, Optional.empty(), launched.exit(), cgroup, unremoved);
    }
    Process p;
    try {
      p = launcher.start(config, markerName, markerValue, prefix(cgroup, tmp));
    } catch (IOException | RuntimeException e) {
      cgroup.remove();
      throw e;
    }
    try {
      // Only while it runs: once it has exited (and been reaped), its pid may belong to a stranger.
      // A live child's pid cannot be reused, so the window is the reaper's, microseconds.
      if (p.isAlive()) {
        cgroup.add(p.pid());
      }
    } catch (IOException e) {
      // It exited already (a quick command): the wrapper put it in the cgroup itself, or it failed.
      LOG.debug("container {}: pid {} not added to its cgroups: {}", name, p.pid(), e.getMessage());
    }
    return new Contained(p.pid(), true, false, Optional.of(p),
        p.onExit().thenApply(x -> java.util.OptionalInt.of(x.exitValue())), cgroup, unremoved);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: {@code pid} is alive (not a zombie), is in the container's cgroup (named after its
   * id), and carries the marker naming the container. The cgroup keeps the limits it was made
   * with; nothing is written to it.
   */
  @Override
  public Optional<Processes> reattach(ContainerConfig config, long pid, String markerName) {
    String name = config.containerId().value();
    Cgroups.Cgroup cgroup = cgroups.open(name);
    if (pid <= 1 || !cgroup.pids().contains(pid) || NamespaceInit.zombie(pid)) {
      LOG.info("container {}: pid {} is gone (or not in its cgroup)", name, pid);
      return Optional.empty();
    }
    Optional<String> value = table.environmentValue(pid, markerName);
    if (value.isEmpty() || !ContainerRuntime.marks(value.get(), config.containerId())) {
      LOG.info("container {}: pid {} is another process now", name, pid);
      return Optional.empty();
    }
    // Launched by the native launcher, it is the task (pid 1 of its namespace); else unshare.
    boolean wrapped = !NamespaceInit.isInit(pid);
    return ProcessHandle.of(pid).map(h -> new Contained(pid, wrapped, true, Optional.empty(),
        h.onExit().thenApply(x -> java.util.OptionalInt.empty()), cgroup, unremoved));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: every cgroup under the containerizer's parent not named after a known container is
   * an orphan of an earlier run (a crashed agent, or a container that the restarted agent no
   * longer knows): its processes are killed (frozen first) and it is removed, waiting up to about
   * a second for the kernel to let go of each.
   */
  @Override
  public int removeOrphans(java.util.Set<dev.agora.core.container.ContainerId> known) {
    java.util.Set<String> keep = new java.util.HashSet<>();
    known.forEach(id -> keep.add(id.value()));
    int removed = 0;
    for (String name : cgroups.existing()) {
      if (keep.contains(name)) {
        continue;
      }
      Cgroups.Cgroup orphan = cgroups.open(name);
      LOG.warn("removing orphaned container cgroup {} (pids {})", name, orphan.pids());
      for (int round = 0; round < 100 && !orphan.pids().stream().allMatch(NamespaceInit::zombie); round++) {
        orphan.killAll();
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
      for (int round = 0; round < 500 && !orphan.remove(); round++) {
        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // the kernel lets go of the dead
      }
      if (orphan.remove()) {
        removed++;
      } else {
        LOG.warn("cannot remove orphaned container cgroup {}", name);
      }
    }
    return removed;
  }

  private List<String> prefix(Cgroups.Cgroup cgroup, Path tmp) {
    StringBuilder outer = new StringBuilder();
    for (Path procs : cgroup.procsFiles()) {
      outer.append("echo $$ > ").append(quote(procs.toString())).append(" || exit ").append(SETUP_FAILED).append('\n');
    }
    String inner = quote(mount.toString()) + " --bind " + quote(tmp.toString()) + " /tmp || exit " + SETUP_FAILED + "\n"
        + "exec \"$@\"";
    // NamespaceInit.settingUp recognises the inner shell by its $0, INIT_NAME.
    outer.append("exec ").append(quote(setsid.toString())).append(' ').append(quote(unshare.toString()))
        .append(" --pid --fork --kill-child --mount-proc --mount --uts --ipc")
        .append(settings.network() ? " --net" : "")
        .append(" -- ").append(quote(shell.toString())).append(" -c ").append(quote(inner))
        .append(' ').append(NamespaceInit.INIT_NAME).append(" \"$@\"");
    List<String> prefix = new ArrayList<>();
    prefix.add(shell.toString());
    prefix.add("-c");
    prefix.add(outer.toString());
    prefix.add("agora-container");
    return prefix;
  }

  @Override
  public void housekeeping() {
    for (int n = unremoved.size(); n > 0; n--) {
      Cgroups.Cgroup cg = unremoved.poll();
      if (cg != null && !cg.remove()) {
        unremoved.add(cg);
      }
    }
  }

  /** Quotes a word for the shell: single quotes, with each ' written as '\''. */
  static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * A container's processes: its cgroup, and its top process, which is either {@code unshare}
   * of the shell chain ({@code wrapped}: it stays outside the namespaces and passes the task's
   * exit status on) or the task itself, pid 1 of its namespace (the native launcher's).
   */
  private static final class Contained implements Processes {
    private final long top;
    private final boolean wrapped;
    /** Whether a previous run of the agent launched it: neither this JVM nor its launcher reaps it. */
    private final boolean readopted;
    private final Optional<Process> child;
    private final java.util.concurrent.CompletableFuture<java.util.OptionalInt> exit;
    private final Cgroups.Cgroup cgroup;
    private final java.util.Queue<Cgroups.Cgroup> unremoved;

    Contained(long top, boolean wrapped, boolean readopted, Optional<Process> child,
        java.util.concurrent.CompletableFuture<java.util.OptionalInt> exit, Cgroups.Cgroup cgroup,
        java.util.Queue<Cgroups.Cgroup> unremoved) {
      this.top = top;
      this.wrapped = wrapped;
      this.readopted = readopted;
      this.child = child;
      this.exit = exit;
      this.cgroup = cgroup;
      this.unremoved = unremoved;
    }

    @Override
    public long topPid() {
      return top;
    }

    @Override
    public Optional<Process> child() {
      return child;
    }

    @Override
    public java.util.concurrent.CompletableFuture<java.util.OptionalInt> exit() {
      return exit;
    }

    @Override
    public void signal(boolean force) {
      List<Long> live = live();
      if (force || (wrapped && live.stream().allMatch(pid -> pid == top || NamespaceInit.settingUp(pid)))) {
        // Only the wrapper runs: the command has not started, so no graceful end is owed to it.
        cgroup.killAll();
        return;
      }
      for (long pid : live) {
        if (wrapped && pid == top) {
          continue; // unshare: SIGTERM would end it, and with it (--kill-child) the task, at once
        }
        boolean initWithoutHandler = NamespaceInit.isInitIgnoringTerm(pid);
        ProcessHandle.of(pid).ifPresent(h -> {
          if (initWithoutHandler) {
            h.destroyForcibly();
          } else {
            h.destroy();
          }
        });
      }
    }

    private List<Long> live() {
      List<Long> live = new ArrayList<>();
      for (long pid : cgroup.pids()) {
        if (!NamespaceInit.zombie(pid)) {
          live.add(pid);
        }
      }
      return live;
    }

    @Override
    public boolean isEmpty() {
      // A child of ours is alive until reaped; a re-adopted top process is in the cgroup while alive.
      // A re-adopted top process is in the cgroup while alive; ours are alive until reaped.
      return live().isEmpty() && (readopted || exit.isDone() || child.map(p -> !p.isAlive()).orElse(false));
    }

    @Override
    public Optional<ContainerTermination.Limitation> limitation() {
      return cgroup.limitation();
    }

    @Override
    public ResourceUsage usage() {
      return cgroup.usage();
    }

    @Override
    public void release() {
      if (!cgroup.remove()) {
        unremoved.add(cgroup);
      }
    }
  }
}
