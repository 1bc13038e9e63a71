package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Killing one task of a task group (LAUNCH_GROUP) kills the whole group, as in Mesos. */
class TaskGroupKillTest {
  @TempDir Path work;

  private static final ExecutorInfo EXECUTOR =
      new ExecutorInfo(ExecutorId.of("group-executor"), "group", CommandInfo.shell("executor"), Resources.EMPTY);

  private static TaskInfo task(String id, Offer offer) {
    return TaskInfo.of(TaskId.of(id), offer.agentId(), Resources.parse("cpus:0.5;mem:32"), CommandInfo.shell("true"));
  }

  private List<TaskInfo> launch(SimCluster cluster, SchedulerDriver d, RecordingScheduler s, String prefix,
      boolean group) {
    Offer offer = s.lastOffer();
    List<TaskInfo> tasks = List.of(task(prefix + "a", offer), task(prefix + "b", offer), task(prefix + "c", offer));
    Operation op = group ? new Operation.LaunchGroup(EXECUTOR, tasks)
        : new Operation.Launch(tasks.stream().map(t -> t.withExecutor(EXECUTOR)).toList());
    d.accept(List.of(offer.id()), List.of(op), Filters.NONE);
    cluster.sim.advance(Duration.ofSeconds(2));
    return tasks;
  }

  @Test
  void killingOneTaskOfAGroupKillsTheOthers() {
    try (SimCluster cluster = new SimCluster(3, work)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent("cpus:4;mem:1024");
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      List<TaskInfo> group = launch(cluster, d, s, "g", true);
      List<TaskInfo> lone = launch(cluster, d, s, "l", false);
      for (TaskInfo t : group) {
        assertThat(s.states(t.taskId())).containsExactly(TaskState.RUNNING);
      }

      d.kill(TaskId.of("gb"), Optional.empty(), Optional.empty());
      cluster.sim.advance(Duration.ofSeconds(2));
      for (TaskInfo t : group) {
        assertThat(s.states(t.taskId())).as(t.taskId().value()).containsExactly(TaskState.RUNNING, TaskState.KILLED);
      }
      for (TaskInfo t : lone) {
        assertThat(s.states(t.taskId())).as("tasks launched alone under the same executor run on")
            .containsExactly(TaskState.RUNNING);
      }

      d.kill(TaskId.of("lb"), Optional.empty(), Optional.empty());
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(s.states(TaskId.of("lb"))).containsExactly(TaskState.RUNNING, TaskState.KILLED);
      assertThat(s.states(TaskId.of("la"))).as("a lone task's kill kills only it").containsExactly(TaskState.RUNNING);
    }
  }

  @Test
  void killingOneTaskOfAGroupBeforeItsExecutorSubscribesKillsTheGroup() {
    try (SimCluster cluster = new SimCluster(4, work)) {
      SimExecutors executors = new SimExecutors(cluster.sim, cluster.transport);
      executors.subscribe = false;
      cluster.containerizerWrapper = executors::wrap;
      cluster.addAgent("cpus:4;mem:1024");
      RecordingScheduler s = new RecordingScheduler();
      SchedulerDriver d = cluster.subscribe(FrameworkInfo.builder("f").user("nobody").build(), s);
      List<TaskInfo> group = launch(cluster, d, s, "g", true);

      d.kill(TaskId.of("ga"), Optional.empty(), Optional.empty());
      cluster.sim.advance(Duration.ofSeconds(2));
      for (TaskInfo t : group) {
        assertThat(s.states(t.taskId())).as(t.taskId().value()).containsExactly(TaskState.KILLED);
      }
      executors.live().get(0).subscribe();
      cluster.sim.advance(Duration.ofSeconds(2));
      assertThat(executors.live().get(0).events).as("the killed group is never handed to the executor")
          .noneMatch(ev -> ev instanceof dev.agora.core.protocol.ExecutorEvent.LaunchGroup);
    }
  }
}
