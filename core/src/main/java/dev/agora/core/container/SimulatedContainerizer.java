package dev.agora.core.container;

import dev.agora.core.model.TaskId;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A containerizer whose tasks are not processes: a container "runs" from launch until the test or
 * simulation driver ends it with {@link #finish}, or until it is destroyed. For whole-cluster
 * simulations in virtual time, where thousands of agents run in one thread.
 *
 * <p>Concurrency: thread-safe (every method holds the instance's monitor); stages complete on
 * the calling thread, so under a {@link dev.agora.core.runtime.Simulation} everything stays on
 * the simulation's thread.
 */
public final class SimulatedContainerizer implements Containerizer {
  private final Map<ContainerId, Sim> containers = new LinkedHashMap<>();
  private long nextPid = 1000;

  private static final class Sim {
    final TaskId taskId;
    final CompletableFuture<ContainerTermination> termination = new CompletableFuture<>();

    Sim(TaskId taskId) {
      this.taskId = taskId;
    }
  }

  @Override
  public String name() {
    return "simulated";
  }

  @Override
  public synchronized CompletionStage<ContainerStatus> launch(ContainerConfig config) {
    if (containers.containsKey(config.containerId())) {
      throw new IllegalArgumentException("container " + config.containerId() + " already exists");
    }
    containers.put(config.containerId(), new Sim(config.task().taskId()));
    return CompletableFuture.completedFuture(new ContainerStatus(config.containerId(), nextPid++));
  }

  @Override
  public synchronized CompletionStage<ContainerTermination> termination(ContainerId id) {
    Sim s = containers.get(id);
    return s != null ? s.termination : CompletableFuture.failedFuture(
        new IllegalArgumentException("unknown container " + id));
  }

  @Override
  public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
    if (gracePeriod.isNegative()) {
      throw new IllegalArgumentException("grace period must be >= 0 but was " + gracePeriod);
    }
    Sim s;
    synchronized (this) {
      s = containers.get(id);
    }
    if (s == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    s.termination.complete(new ContainerTermination(id, OptionalInt.empty(), OptionalInt.of(15), true,
        Optional.empty(), "Command terminated by signal SIGTERM"));
    return s.termination.thenApply(Optional::of);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Simulated containers live in this object, not in processes: those still running here are
   * re-adopted, so a simulation restarts an agent by giving the new agent the old containerizer.
   */
  @Override
  public synchronized CompletionStage<Set<ContainerId>> recover(java.util.List<RecoverableContainer> wanted) {
    Set<ContainerId> found = new java.util.LinkedHashSet<>();
    for (RecoverableContainer c : wanted) {
      Sim s = containers.get(c.containerId());
      if (s != null && !s.termination.isDone()) {
        found.add(c.containerId());
      }
    }
    return CompletableFuture.completedFuture(found);
  }

  /**
   * Ends the running container of {@code taskId} as if its command exited with {@code exitCode}.
   *
   * @return whether such a container was running
   */
  public boolean finish(TaskId taskId, int exitCode) {
    Sim target = null;
    ContainerId id = null;
    synchronized (this) {
      for (Map.Entry<ContainerId, Sim> e : containers.entrySet()) {
        if (e.getValue().taskId.equals(taskId) && !e.getValue().termination.isDone()) {
          target = e.getValue();
          id = e.getKey();
        }
      }
    }
    return target != null && target.termination.complete(new ContainerTermination(id, OptionalInt.of(exitCode),
        OptionalInt.empty(), false, Optional.empty(), "Command exited with status " + exitCode));
  }

  private final Map<TaskId, String> unhealthy = new java.util.HashMap<>();

  /**
   * Makes the health checks of {@code taskId}'s container pass (the default) or fail with
   * {@code failure}.
   *
   * @param failure empty to pass, else the failure the probe reports
   */
  public synchronized void health(TaskId taskId, Optional<String> failure) {
    if (failure.isPresent()) {
      unhealthy.put(taskId, failure.get());
    } else {
      unhealthy.remove(taskId);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A simulated probe answers at once: healthy unless {@link #health} made the task fail, or
   * its container is not running.
   */
  @Override
  public synchronized CompletableFuture<Optional<String>> probe(ContainerConfig config,
      dev.agora.core.model.HealthCheck check) {
    Sim s = containers.get(config.containerId());
    if (s == null || s.termination.isDone()) {
      return CompletableFuture.completedFuture(Optional.of("container " + config.containerId() + " is not running"));
    }
    return CompletableFuture.completedFuture(Optional.ofNullable(unhealthy.get(s.taskId)));
  }

  /** The tasks whose containers run now. */
  public synchronized Set<TaskId> running() {
    Set<TaskId> out = new java.util.LinkedHashSet<>();
    containers.values().forEach(s -> {
      if (!s.termination.isDone()) {
        out.add(s.taskId);
      }
    });
    return out;
  }

  /** {@inheritDoc} A simulated container uses nothing. */
  @Override
  public synchronized Optional<ResourceUsage> usage(ContainerId id) {
    Sim s = containers.get(id);
    return s == null || s.termination.isDone() ? Optional.empty() : Optional.of(ResourceUsage.NONE);
  }

  @Override
  public synchronized Set<ContainerId> containers() {
    Set<ContainerId> out = new java.util.LinkedHashSet<>();
    containers.forEach((id, s) -> {
      if (!s.termination.isDone()) {
        out.add(id);
      }
    });
    return out;
  }

  @Override
  public void close() {
    for (ContainerId id : containers()) {
      destroy(id, Duration.ZERO);
    }
  }
}
