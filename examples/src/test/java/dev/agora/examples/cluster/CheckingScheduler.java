package dev.agora.examples.cluster;

import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskStatus;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * A scheduler that launches a queue of tasks into whatever offers come (as many as fit), feeds
 * every update to a {@link TaskStateChecker}, and remembers where each task went. Used on a
 * simulation's thread only.
 */
final class CheckingScheduler implements Scheduler {
  final TaskStateChecker checker = new TaskStateChecker();
  final Map<TaskId, AgentId> placed = new LinkedHashMap<>();
  final List<String> errors = new ArrayList<>();
  final List<AgentId> failures = new ArrayList<>();
  private final Queue<TaskId> waiting = new ArrayDeque<>();
  private final Resources perTask;
  FrameworkId frameworkId;
  SchedulerDriver driver;
  /** Every update, in arrival order. */
  final List<TaskStatus> all = new ArrayList<>();

  CheckingScheduler(Resources perTask) {
    this.perTask = perTask;
  }

  void enqueue(String prefix, int count) {
    for (int i = 0; i < count; i++) {
      waiting.add(TaskId.of(prefix + "-" + i));
    }
  }

  int waiting() {
    return waiting.size();
  }

  @Override
  public void subscribed(SchedulerDriver driver, FrameworkId id) {
    frameworkId = id;
    this.driver = driver;
  }

  @Override
  public void offers(SchedulerDriver driver, List<Offer> offers) {
    for (Offer offer : offers) {
      Resources left = offer.resources();
      List<TaskInfo> launch = new ArrayList<>();
      while (!waiting.isEmpty() && left.contains(perTask)) {
        TaskId id = waiting.poll();
        launch.add(TaskInfo.of(id, offer.agentId(), perTask, CommandInfo.shell("sleep 1000")));
        placed.put(id, offer.agentId());
        left = left.subtract(perTask);
      }
      if (launch.isEmpty()) {
        driver.decline(List.of(offer.id()), new Filters(Duration.ofSeconds(5)));
      } else {
        driver.launch(offer, launch);
      }
    }
  }

  @Override
  public void update(SchedulerDriver driver, TaskStatus status) {
    checker.observe(status);
    all.add(status);
  }

  @Override
  public void failure(SchedulerDriver driver, AgentId agentId) {
    failures.add(agentId);
  }

  @Override
  public void error(SchedulerDriver driver, String message) {
    errors.add(message);
  }
}
