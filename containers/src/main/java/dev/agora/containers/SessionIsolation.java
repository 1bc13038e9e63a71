package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process containerizer's isolation, which isolates nothing: the container is a session
 * (started with {@code setsid}) plus every process carrying its marker variable, found in
 * {@code /proc} by {@link ProcessTable}. No limits, so never a limitation.
 *
 * <p>Concurrency: immutable; its {@link Processes} keep only a peak that they update atomically.
 */
final class SessionIsolation implements Isolation {
  private static final Logger LOG = LoggerFactory.getLogger(SessionIsolation.class);

  /** How many milliseconds a launch waits for the new process to start its session. */
  static final int SESSION_WAIT_ROUNDS = 5_000;

  private final Launcher launcher;
  private final ProcessTable table;
  private final List<String> prefix;

  SessionIsolation(Launcher launcher, ProcessTable table, java.nio.file.Path setsid) {
    this.launcher = launcher;
    this.table = table;
    this.prefix = List.of(setsid.toString());
  }

  @Override
  public Processes start(ContainerConfig config, String markerName, String markerValue)
      throws IOException, InterruptedException {
    Process p = launcher.start(config, markerName, markerValue, prefix);
    try {
      awaitSession(config, p);
    } catch (InterruptedException | RuntimeException e) {
      p.destroyForcibly(); // nothing else runs yet
      throw e;
    }
    return new Session(p.toHandle(), Optional.of(p), markerName + "=" + markerValue);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: {@code pid} runs, leads its own session (as every container's top process does once
   * {@code setsid} has run), and carries the marker naming the container. Its members are found
   * again by that session and marker.
   */
  @Override
  public Optional<Processes> reattach(ContainerConfig config, long pid, String markerName) {
    Optional<ProcessTable.Stat> stat = table.stat(pid);
    if (pid <= 1 || stat.isEmpty() || !stat.get().running() || stat.get().session() != pid) {
      LOG.info("container {}: pid {} is gone (or leads no session)", config.containerId(), pid);
      return Optional.empty();
    }
    Optional<String> value = table.environmentValue(pid, markerName);
    if (value.isEmpty() || !ContainerRuntime.marks(value.get(), config.containerId())) {
      LOG.info("container {}: pid {} is another process now", config.containerId(), pid);
      return Optional.empty();
    }
    return ProcessHandle.of(pid)
        .map(handle -> new Session(handle, Optional.empty(), markerName + "=" + value.get()));
  }

  /**
   * Waits (briefly: until setsid has run) until the new process leads its own session, so that
   * the session holds every descendant it will have. Ends early if the process exits.
   */
  private void awaitSession(ContainerConfig config, Process p) throws InterruptedException {
    for (int i = 0; i < SESSION_WAIT_ROUNDS; i++) {
      Optional<ProcessTable.Stat> stat = table.stat(p.pid());
      if (stat.isEmpty() || stat.get().session() == p.pid() || !stat.get().running()) {
        return;
      }
      if (p.waitFor(1, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
    LOG.warn("container {}: pid {} did not start its own session; only its descendants will be found",
        config.containerId(), p.pid());
  }

  private final class Session implements Processes {
    private final ProcessHandle top;
    private final Optional<Process> child;
    private final String marker;
    /** When this was made (the table's time): scans of /proc from before it are not used for it. */
    private final long since = table.now();
    private final java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();

    Session(ProcessHandle top, Optional<Process> child, String marker) {
      this.top = top;
      this.child = child;
      this.marker = marker;
    }

    @Override
    public long topPid() {
      return top.pid();
    }

    @Override
    public Optional<Process> child() {
      return child;
    }

    /**
     * When its last signals were sent (the table's time; {@link #since} before any). An empty
     * answer is taken only from a scan after that: an older scan (the one that chose whom to
     * signal, say) misses what a member forked after it, and "empty" from it would leave that
     * process running.
     */
    private volatile long signalled = since;

    private List<ProcessHandle> members() {
      return members(since);
    }

    private List<ProcessHandle> members(long notBefore) {
      List<ProcessHandle> members = new ArrayList<>(table.members(top.pid(), marker, notBefore));
      // Our child may not have started its session yet; a re-adopted top process leads its session
      // already, so the table finds it (and, unlike isAlive, never counts it alive as a zombie).
      if (child.isPresent() && child.get().isAlive() && !members.contains(top)) {
        members.add(top);
      }
      return members;
    }

    @Override
    public void signal(boolean force) {
      ProcessTable.signal(members(), force);
      signalled = table.now(); // after the signals: the scan that decides "empty" must postdate them
    }

    @Override
    public boolean isEmpty() {
      return members(signalled).isEmpty();
    }

    @Override
    public Optional<ContainerTermination.Limitation> limitation() {
      return Optional.empty();
    }

    @Override
    public ResourceUsage usage() {
      List<ProcessHandle> members = members();
      ResourceUsage now = table.usage(members);
      long max = peak.accumulateAndGet(now.memoryBytes(), Math::max);
      return new ResourceUsage(now.cpuTime(), now.memoryBytes(), max, now.processes());
    }

    @Override
    public void release() {}
  }
}
