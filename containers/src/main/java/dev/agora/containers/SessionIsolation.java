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
    return new Session(p, markerName + "=" + markerValue);
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
    private final Process top;
    private final String marker;
    private final java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();

    Session(Process top, String marker) {
      this.top = top;
      this.marker = marker;
    }

    @Override
    public Process top() {
      return top;
    }

    private List<ProcessHandle> members() {
      List<ProcessHandle> members = new ArrayList<>(table.members(top.pid(), marker));
      ProcessHandle handle = top.toHandle();
      if (handle.isAlive() && !members.contains(handle)) {
        members.add(handle); // our child: it may not have started its session yet
      }
      return members;
    }

    @Override
    public void signal(boolean force) {
      ProcessTable.signal(members(), force);
    }

    @Override
    public boolean isEmpty() {
      return members().isEmpty();
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
