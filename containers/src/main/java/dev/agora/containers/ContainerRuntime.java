package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.ResourceUsage;
import java.time.Duration;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process and Linux containerizers share: the table of containers, the scheduler
 * threads, launch / termination / destroy / close, and (where the isolation has limits) a watcher
 * that ends containers that hit one. The containerizers are thin public façades over it.
 *
 * <p>Concurrency: every method may be called from any thread; only {@link #close()} blocks.
 * Containers live in a concurrent map; each guards its own fields (see {@link ProcessContainer}).
 *
 * <p>Invariants: a container id is in use from {@link #launch} until its termination completes;
 * at most {@value #RETAINED_TERMINATIONS} (by default) ended containers are remembered (oldest forgotten first), each
 * by its termination alone (not its process, task or configuration: a few hundred bytes each);
 * after {@link #close()} returns, no container process is left and the threads are stopped.
 */
final class ContainerRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerRuntime.class);

  /** How many ended containers are remembered. */
  static final int RETAINED_TERMINATIONS = 1024;

  /** How long {@link #close()} waits for the processes to go. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private static final AtomicLong INSTANCES = new AtomicLong();

  private final String markerName;
  private final int retainedTerminations;
  private final Isolation isolation;
  private final ScheduledThreadPoolExecutor scheduler;
  /**
   * Starts containers: apart from the scheduler, so that launches never wait behind the watching,
   * killing and cgroup removal of ending containers.
   */
  private final java.util.concurrent.ExecutorService launches;
  private final String markerPrefix;
  /** Containers from launch (or recovery) until they end. */
  private final ConcurrentHashMap<ContainerId, ProcessContainer> containers = new ConcurrentHashMap<>();
  /** The terminations of the last ended containers, for {@link #termination} and {@link #destroy} after the end. */
  private final ConcurrentHashMap<ContainerId, CompletableFuture<ContainerTermination>> endedTerminations =
      new ConcurrentHashMap<>();
  /** The ended containers, oldest first, to forget beyond {@link #retainedTerminations}. */
  private final ConcurrentLinkedQueue<Ended> ended = new ConcurrentLinkedQueue<>();

  private record Ended(ContainerId id, CompletableFuture<ContainerTermination> termination) {}
  private final AtomicInteger endedCount = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Whether the isolation's orphans have been removed; guarded by itself for the removal. */
  private final AtomicBoolean orphansRemoved = new AtomicBoolean();

  /**
   * @param limitCheckInterval how often to look for containers that hit a limit; empty for none
   */
  ContainerRuntime(String markerName, Isolation isolation, ThreadFactory threadFactory,
      Optional<Duration> limitCheckInterval) {
    this(markerName, isolation, threadFactory, limitCheckInterval, RETAINED_TERMINATIONS);
  }

  /** As above, remembering the last {@code retainedTerminations} ended containers' terminations. */
  ContainerRuntime(String markerName, Isolation isolation, ThreadFactory threadFactory,
      Optional<Duration> limitCheckInterval, int retainedTerminations) {
    if (retainedTerminations < 0) {
      throw new IllegalArgumentException("retainedTerminations must be >= 0 but was " + retainedTerminations);
    }
    this.retainedTerminations = retainedTerminations;
    this.markerName = markerName;
    this.isolation = isolation;
    this.scheduler = new ScheduledThreadPoolExecutor(2, threadFactory);
    scheduler.setRemoveOnCancelPolicy(true);
    this.launches = java.util.concurrent.Executors.newFixedThreadPool(2, threadFactory);
    // Unique among the JVMs alive on this host, without randomness.
    this.markerPrefix = ProcessHandle.current().pid() + "." + INSTANCES.incrementAndGet() + ".";
    limitCheckInterval.ifPresent(every -> scheduler.scheduleWithFixedDelay(
        this::checkLimits, every.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS));
  }

  private void checkLimits() {
    try {
      isolation.housekeeping();
    } catch (RuntimeException e) {
      LOG.error("isolation housekeeping failed", e);
    }
    for (ProcessContainer c : containers.values()) {
      try {
        c.checkLimits();
      } catch (RuntimeException e) {
        LOG.error("container {}: failed to check its limits", c.id, e);
      }
    }
  }

  CompletionStage<ContainerStatus> launch(ContainerConfig config) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(config.containerId(), "config.containerId");
    Objects.requireNonNull(config.task(), "config.task");
    Objects.requireNonNull(config.sandbox(), "config.sandbox");
    Objects.requireNonNull(config.user(), "config.user");
    if (closed.get()) {
      return CompletableFuture.failedStage(new IllegalStateException("containerizer is closed"));
    }
    ContainerId id = config.containerId();
    ProcessContainer container = new ProcessContainer(config, scheduler, this::onEnded);
    String markerValue = markerPrefix + id.value();
    containers.compute(id, (k, old) -> {
      if (old != null && !old.hasEnded()) {
        throw new IllegalArgumentException("container id '" + id + "' is already in use");
      }
      endedTerminations.remove(id); // the id is reused: its last end is forgotten
      return container;
    });
    if (closed.get()) { // close() may have missed it: end it here
      container.destroy(Duration.ZERO);
    }
    try {
      launches.execute(() -> {
        removeOrphansOnce();
        container.start(isolation, markerName, markerValue);
      });
    } catch (RejectedExecutionException e) {
      container.destroy(Duration.ZERO);
      container.start(isolation, markerName, markerValue); // ends it at once as destroyed, without starting a process
      return CompletableFuture.failedStage(new IllegalStateException("containerizer is closed"));
    }
    return container.launched.minimalCompletionStage();
  }

  /**
   * Re-adopts the containers of a previous run whose processes the isolation finds again
   * ({@link Isolation#reattach}), on a containerizer thread; see {@link Containerizer#recover}.
   * One whose id is in use here already, or that the isolation does not find, is left out.
   */
  CompletionStage<Set<ContainerId>> recover(List<RecoverableContainer> wanted) {
    Objects.requireNonNull(wanted, "wanted");
    List<RecoverableContainer> copy = List.copyOf(wanted);
    CompletableFuture<Set<ContainerId>> result = new CompletableFuture<>();
    try {
      scheduler.execute(() -> {
        Set<ContainerId> found = new LinkedHashSet<>();
        for (RecoverableContainer c : copy) {
          try {
            if (reattach(c)) {
              found.add(c.containerId());
            }
          } catch (RuntimeException e) {
            LOG.warn("container {}: cannot re-adopt pid {}: {}", c.containerId(), c.pid(), e.toString());
          }
        }
        LOG.info("recovered {} of {} container(s)", found.size(), copy.size());
        removeOrphansOnce();
        result.complete(found);
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("containerizer is closed"));
    }
    return result.minimalCompletionStage();
  }

  /**
   * Removes the isolation's orphans, keeping every container this runtime knows, once: after
   * recovery, or before the first launch if there was none. On a containerizer thread; a second
   * caller waits until the first is done, so no launch starts while orphans are removed.
   */
  private void removeOrphansOnce() {
    if (orphansRemoved.get()) {
      return;
    }
    synchronized (orphansRemoved) {
      if (orphansRemoved.get()) {
        return;
      }
      try {
        int removed = isolation.removeOrphans(Set.copyOf(containers.keySet()));
        if (removed > 0) {
          LOG.warn("removed {} orphaned container(s) of an earlier run", removed);
        }
      } catch (RuntimeException e) {
        LOG.error("removing orphaned containers failed", e);
      } finally {
        orphansRemoved.set(true);
      }
    }
  }

  private boolean reattach(RecoverableContainer wanted) {
    ContainerId id = wanted.containerId();
    if (closed.get()) {
      return false;
    }
    Optional<Isolation.Processes> found = isolation.reattach(wanted.config(), wanted.pid(), markerName);
    if (found.isEmpty()) {
      return false;
    }
    ProcessContainer container = ProcessContainer.recovered(wanted.config(), found.get(), scheduler, this::onEnded);
    containers.compute(id, (k, old) -> {
      if (old != null && !old.hasEnded()) { // launched meanwhile, though recover comes before launches
        throw new IllegalArgumentException("container id '" + id + "' is already in use");
      }
      endedTerminations.remove(id);
      return container;
    });
    container.watch();
    if (closed.get()) { // close() may have missed it: end it here
      container.destroy(Duration.ZERO);
    }
    return true;
  }

  CompletionStage<ContainerTermination> termination(ContainerId id) {
    Objects.requireNonNull(id, "id");
    ProcessContainer container = containers.get(id);
    if (container != null) {
      return container.terminated.minimalCompletionStage();
    }
    CompletableFuture<ContainerTermination> end = endedTerminations.get(id);
    if (end == null) {
      return CompletableFuture.failedStage(new IllegalArgumentException("unknown container id '" + id + "'"));
    }
    return end.minimalCompletionStage();
  }

  CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    if (gracePeriod.isNegative()) {
      throw new IllegalArgumentException("grace period must be >= 0 but was " + gracePeriod);
    }
    ProcessContainer container = containers.get(id);
    if (container == null) {
      CompletableFuture<ContainerTermination> end = endedTerminations.get(id);
      return end == null ? CompletableFuture.completedStage(Optional.empty())
          : end.thenApply(Optional::of).minimalCompletionStage();
    }
    return container.destroy(gracePeriod).thenApply(Optional::of).minimalCompletionStage();
  }

  /** The task's own kill grace period, if the container is known and its task sets one. */
  Optional<Duration> taskGracePeriod(ContainerId id) {
    ProcessContainer container = containers.get(Objects.requireNonNull(id, "id"));
    return container == null ? Optional.empty() : container.config.task().killGracePeriod();
  }

  Optional<ResourceUsage> usage(ContainerId id) {
    ProcessContainer container = containers.get(Objects.requireNonNull(id, "id"));
    return container == null ? Optional.empty() : container.usage();
  }

  /** How many containers the runtime holds whole (launched or recovered, not yet ended). For tests. */
  int heldContainers() {
    return containers.size();
  }

  Set<ContainerId> containers() {
    return containers.values().stream()
        .filter(c -> !c.hasEnded())
        .map(c -> c.id)
        .collect(Collectors.toUnmodifiableSet());
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<CompletableFuture<ContainerTermination>> ends = new ArrayList<>();
    for (ProcessContainer c : containers.values()) {
      ends.add(c.destroy(Duration.ZERO));
    }
    LOG.info("closing: destroying {} container(s)", ends.size());
    try {
      CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new))
          .get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.error("closing: container processes still left after {}", CLOSE_TIMEOUT);
    } catch (ExecutionException e) {
      LOG.error("closing: destroying a container failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    launches.shutdownNow();
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS) || !launches.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("closing: containerizer threads did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops the runtime as a crashed agent would: its threads stop and its containers are no longer
   * watched, but their processes and cgroups are left as they are, for a later containerizer to
   * {@link #recover}. For tests.
   */
  void abandon() {
    closed.set(true);
    containers.values().forEach(ProcessContainer::abandon);
    launches.shutdownNow();
    scheduler.shutdownNow();
  }

  /**
   * Called once a container has ended (its termination complete): only the termination is kept,
   * put in place before the container leaves the table, so that a lookup always finds one of them.
   */
  private void onEnded(ProcessContainer container) {
    endedTerminations.put(container.id, container.terminated);
    containers.remove(container.id, container);
    ended.add(new Ended(container.id, container.terminated));
    if (endedCount.incrementAndGet() > retainedTerminations) {
      Ended oldest = ended.poll();
      if (oldest != null) {
        endedCount.decrementAndGet();
        endedTerminations.remove(oldest.id(), oldest.termination()); // unless the id ended again since
      }
    }
  }

  /**
   * Whether {@code markerValue}, a marker variable's value as some runtime gave it (its JVM's
   * pid, its instance number, the container id, joined by '.'), names container {@code id}.
   */
  static boolean marks(String markerValue, ContainerId id) {
    String suffix = "." + id.value();
    if (!markerValue.endsWith(suffix)) {
      return false;
    }
    String prefix = markerValue.substring(0, markerValue.length() - suffix.length());
    return prefix.matches("[0-9]+\\.[0-9]+");
  }

  /** Daemon threads named {@code prefix-N}. */
  static ThreadFactory daemonThreads(String prefix) {
    ThreadFactory base = java.util.concurrent.Executors.defaultThreadFactory();
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = base.newThread(r);
      t.setDaemon(true);
      t.setName(prefix + "-" + n.incrementAndGet());
      return t;
    };
  }
}
