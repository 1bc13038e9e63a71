package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
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
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A framework with its own executor: master and agent on HTTP transports, the agent starting
 * {@link TestExecutorMain} as a real JVM (the test classpath) through the process containerizer.
 * The executor subscribes to {@code /api/v1/executor}, gets two tasks by LAUNCH and a task group by
 * LAUNCH_GROUP, and exchanges framework messages with the scheduler both ways; a kill becomes a
 * KILL event, and teardown a SHUTDOWN that ends the executor's JVM.
 */
class ExecutorEndToEndTest {
  @TempDir Path work;
  HttpTransport masterTransport;
  HttpTransport agentTransport;
  HttpSchedulerTransport schedulerTransport;
  Master master;
  Agent agent;
  ProcessContainerizer containerizer;
  SchedulerDriver driver;

  @AfterEach
  void stop() {
    if (driver != null) {
      driver.close();
    }
    agent.close();
    master.close();
    schedulerTransport.close();
    agentTransport.close();
    masterTransport.close();
  }

  static final class Framework implements Scheduler {
    final ExecutorInfo executor;
    final List<TaskStatus> updates = new CopyOnWriteArrayList<>();
    final List<String> messages = new CopyOnWriteArrayList<>();
    final AtomicBoolean launched = new AtomicBoolean();

    Framework(ExecutorInfo executor) {
      this.executor = executor;
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
      for (Offer offer : offers) {
        if (!launched.compareAndSet(false, true)) {
          driver.decline(List.of(offer.id()), Filters.DEFAULT);
          continue;
        }
        Resources each = Resources.parse("cpus:0.1;mem:32");
        List<TaskInfo> single = Stream.of("t1", "t2").map(id -> task(id, offer, each).withExecutor(executor)).toList();
        List<TaskInfo> group = Stream.of("g1", "g2").map(id -> task(id, offer, each)).toList();
        driver.accept(List.of(offer.id()), List.of(new Operation.Launch(single),
            new Operation.LaunchGroup(executor, group)), Filters.DEFAULT);
      }
    }

    private static TaskInfo task(String id, Offer offer, Resources resources) {
      return TaskInfo.of(TaskId.of(id), offer.agentId(), resources, CommandInfo.shell("run by the executor"));
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
      updates.add(status);
    }

    @Override
    public void frameworkMessage(SchedulerDriver driver, ExecutorId executorId, AgentId agentId, byte[] data) {
      String text = new String(data, StandardCharsets.UTF_8);
      messages.add(executorId + "@" + agentId + " " + text);
      if (text.startsWith("started:")) {
        String task = text.substring("started:".length());
        if (task.equals("t2")) {
          driver.kill(TaskId.of(task), Optional.of(agentId), Optional.empty());
        } else {
          driver.sendFrameworkMessage(executorId, agentId, ("finish:" + task).getBytes(StandardCharsets.UTF_8));
        }
        if (task.equals("t1")) {
          driver.sendFrameworkMessage(executorId, agentId, "echo:ping".getBytes(StandardCharsets.UTF_8));
        }
      }
    }

    List<TaskState> states(String task) {
      return updates.stream().filter(u -> u.taskId().value().equals(task)).map(TaskStatus::state).toList();
    }

    boolean heard(String text) {
      return messages.stream().anyMatch(m -> m.endsWith(" " + text));
    }
  }

  @Test
  void customExecutorRunsTasksAndATaskGroupAndExchangesMessages() throws Exception {
    masterTransport = HttpTransport.builder().build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).frameworkHeartbeatInterval(Duration.ofMillis(500))
        .agentPingInterval(Duration.ofMillis(300)).maxAgentPingMisses(5).build();
    masterTransport.serveSchedulerApi(master.address());
    master.start();
    masterTransport.start();
    agentTransport = HttpTransport.builder().build();
    agentTransport.serveExecutorApi(agentTransport.address("agent"));
    containerizer = ProcessContainerizer.builder().build();
    agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent")).master(master.address())
        .info(new AgentInfo("localhost", Resources.parse("cpus:2;mem:1024")))
        .containerizer(containerizer).workDir(work).defaultKillGracePeriod(Duration.ofMillis(300)).build();
    agentTransport.start();
    agent.start();
    schedulerTransport = HttpSchedulerTransport.create();

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    CommandInfo command = CommandInfo.exec(java, List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), TestExecutorMain.class.getName()));
    ExecutorInfo executor = new ExecutorInfo(ExecutorId.of("test-executor"), "test executor", command,
        Resources.parse("cpus:0.1;mem:64"));
    Framework framework = new Framework(executor);
    driver = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of("executor-framework"))
        .master(master.address()).framework(FrameworkInfo.builder("executor-framework").user("root").build())
        .scheduler(framework).start();

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(framework.states("t1")).endsWith(TaskState.FINISHED);
      assertThat(framework.states("t2")).endsWith(TaskState.KILLED);
      assertThat(framework.states("g1")).endsWith(TaskState.FINISHED);
      assertThat(framework.states("g2")).endsWith(TaskState.FINISHED);
    });
    for (String task : List.of("t1", "t2", "g1", "g2")) {
      assertThat(framework.states(task)).as(task).startsWith(TaskState.RUNNING);
      assertThat(framework.heard("started:" + task)).as("started:" + task).isTrue();
    }
    assertThat(framework.updates).filteredOn(u -> u.state() == TaskState.RUNNING)
        .allSatisfy(u -> assertThat(u.source()).isEqualTo(TaskStatus.Source.SOURCE_EXECUTOR));
    AgentId agentId = framework.updates.get(0).agentId().orElseThrow();
    assertThat(framework.messages).allSatisfy(m -> assertThat(m).startsWith("test-executor@" + agentId + " "));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(framework.heard("group:g1,g2")).isTrue();
      assertThat(framework.heard("echo-reply:ping")).isTrue();
      assertThat(framework.heard("acked:t1")).isTrue();
    });
    // All four tasks ran in one executor: one container, one JVM.
    assertThat(containerizer.containers()).hasSize(1);

    driver.teardown();
    await().atMost(Duration.ofSeconds(30)).until(() -> containerizer.containers().isEmpty());
    try (Stream<Path> files = Files.walk(work)) {
      List<Path> outcomes = files.filter(p -> p.getFileName().toString().equals("outcome")).toList();
      assertThat(outcomes).hasSize(1);
      assertThat(Files.readString(outcomes.get(0))).isEqualTo("SHUTDOWN");
      assertThat(outcomes.get(0).resolveSibling("shutdown")).exists();
    }
  }
}
