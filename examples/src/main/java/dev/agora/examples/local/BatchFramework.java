package dev.agora.examples.local;

import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * An example framework: runs a batch of shell tasks, packing as many as fit into each offer, and
 * reports progress (offers, launches, state changes) to a line sink. The smallest useful
 * framework on the SDK; read it to see how one is written.
 *
 * <p>Concurrency: callbacks run on the driver's loop; {@link #awaitDone} may be called from any
 * thread.
 */
public final class BatchFramework implements Scheduler {
  private final int total;
  private final String command;
  private final Resources perTask;
  private final Consumer<String> out;
  private final CountDownLatch done = new CountDownLatch(1);
  private final Map<TaskState, Integer> finalStates = new EnumMap<>(TaskState.class);
  private int launched;
  private int ended;

  /**
   * @param total how many tasks to run
   * @param command the shell command of each task ({@code $MESOS_TASK_ID} names the task)
   * @param perTask the resources of each task
   * @param out where progress lines go
   */
  public BatchFramework(int total, String command, Resources perTask, Consumer<String> out) {
    this.total = total;
    this.command = command;
    this.perTask = perTask;
    this.out = out;
  }

  @Override
  public void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {
    out.accept("subscribed as framework " + frameworkId);
  }

  @Override
  public void offers(SchedulerDriver driver, List<Offer> offers) {
    for (Offer offer : offers) {
      Resources left = offer.resources();
      List<TaskInfo> tasks = new ArrayList<>();
      while (launched < total && left.contains(perTask)) {
        TaskId id = TaskId.of("task-" + launched++);
        tasks.add(TaskInfo.of(id, offer.agentId(), perTask, CommandInfo.shell(command)));
        left = left.subtract(perTask);
      }
      out.accept("offer " + offer.id() + " from " + offer.hostname() + " [" + offer.resources() + "]: launching "
          + tasks.size() + " task(s)");
      if (tasks.isEmpty()) {
        driver.decline(List.of(offer.id()), new Filters(Duration.ofSeconds(30)));
      } else {
        driver.accept(List.of(offer.id()), List.of(new Operation.Launch(tasks)), Filters.NONE);
      }
    }
    if (launched >= total) {
      driver.suppress(java.util.Set.of());
    }
  }

  @Override
  public void update(SchedulerDriver driver, TaskStatus status) {
    out.accept(status.taskId() + " " + status.state().wireName()
        + status.message().map(m -> " (" + m + ")").orElse(""));
    if (status.state().isTerminal()) {
      finalStates.merge(status.state(), 1, Integer::sum);
      if (++ended == total) {
        out.accept("summary: " + total + " tasks: " + finalStates);
        done.countDown();
      }
    }
  }

  @Override
  public void error(SchedulerDriver driver, String message) {
    out.accept("error: " + message);
    done.countDown();
  }

  /** Waits until every task has ended; returns whether they did within {@code timeout}. */
  public boolean awaitDone(Duration timeout) throws InterruptedException {
    return done.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** How many tasks ended in each terminal state (read after {@link #awaitDone}). */
  public Map<TaskState, Integer> finalStates() {
    return Map.copyOf(finalStates);
  }
}
