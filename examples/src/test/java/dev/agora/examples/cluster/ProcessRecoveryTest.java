package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent with real task processes crashes and restarts on the same work directory.
 *
 * <p>How the crash is simulated: the agent's event loop is shut down dead, without
 * {@link Agent#close()}, so it neither kills its tasks nor touches its checkpoint, and its
 * containerizer is abandoned (closed only at the very end). A new agent, with a new
 * {@link ProcessContainerizer}, starts on the same work directory at a new address (a new
 * process). The task processes are still children of this JVM, so this does not prove recovery
 * from a reparented orphan; the re-adoption itself (by pid, session and marker, watched through
 * /proc) is the same code path.
 */
class ProcessRecoveryTest {
  @TempDir Path work;
  private final InProcessTransport transport = new InProcessTransport();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Master master;

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  /** The containerizers of the agent's runs: process by default, Linux in the Linux test. */
  private java.util.function.Supplier<dev.agora.core.container.Containerizer> containerizers =
      () -> ProcessContainerizer.builder().build();

  private Agent agent(String address, dev.agora.core.container.Containerizer containerizer, ThreadEventLoop loop) {
    Agent a = Agent.builder().transport(transport).address(Address.of(address)).master(master.address())
        .info(new AgentInfo("host", Resources.parse("cpus:256;mem:8192"))).containerizer(containerizer)
        .workDir(work.resolve("agent")).loop(loop).defaultKillGracePeriod(Duration.ofMillis(200)).build();
    return a;
  }

  private record Crashed(AgentId id, Map<TaskId, Long> pids, CheckingScheduler scheduler) {}

  private Crashed runAndCrash(FrameworkInfo info, int tasks) {
    master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build()).build().start();
    toClose.add(master);
    dev.agora.core.container.Containerizer oldContainers = containerizers.get();
    toClose.add(oldContainers); // closed last but one: after the new agent
    ThreadEventLoop oldLoop = ThreadEventLoop.start("old-agent");
    toClose.add(oldLoop::shutdown);
    Agent old = agent("agent", oldContainers, oldLoop).start();
    CheckingScheduler s = new CheckingScheduler(Resources.parse("cpus:1;mem:16"));
    s.enqueue("t", tasks);
    SchedulerDriver d = SchedulerDriver.builder().transport(transport).address(Address.of("fw"))
        .master(master.address()).framework(info).scheduler(synchronizedScheduler(s)).start();
    toClose.add(d);
    long t0 = System.nanoTime();
    await().atMost(Duration.ofSeconds(90)).until(() -> runningCount(s) == tasks);
    System.err.printf("%d tasks RUNNING in %d ms%n", tasks, (System.nanoTime() - t0) / 1_000_000);
    AgentSnapshot before = old.snapshot().join();
    Map<TaskId, Long> pids = before.tasks().stream()
        .collect(Collectors.toMap(AgentSnapshot.TaskView::taskId, AgentSnapshot.TaskView::pid));
    assertThat(pids.values()).allSatisfy(pid -> assertThat(pid).isPositive());
    oldLoop.shutdown(); // the crash: nothing more runs on the old agent
    return new Crashed(before.agentId().orElseThrow(), pids, s);
  }

  private static dev.agora.core.framework.Scheduler synchronizedScheduler(CheckingScheduler s) {
    return new dev.agora.core.framework.Scheduler() {
      @Override
      public synchronized void subscribed(SchedulerDriver driver, dev.agora.core.model.FrameworkId id) {
        synchronized (s) {
          s.subscribed(driver, id);
        }
      }

      @Override
      public void offers(SchedulerDriver driver, List<dev.agora.core.model.Offer> offers) {
        synchronized (s) {
          s.offers(driver, offers);
        }
      }

      @Override
      public void update(SchedulerDriver driver, TaskStatus status) {
        synchronized (s) {
          s.update(driver, status);
        }
      }
    };
  }

  private static long runningCount(CheckingScheduler s) {
    synchronized (s) {
      return s.checker.latest().values().stream().filter(st -> st == TaskState.RUNNING).count();
    }
  }

  @Test
  void checkpointedTasksKeepRunningWithTheSamePidsAcrossAnAgentRestart() {
    checkpointedTasksSurviveARestart(20);
  }

  /**
   * The acceptance run: 200 tasks. Slow mostly because the process containerizer scans /proc per
   * container while destroying (about a minute to kill 200 on a loaded 2-core machine).
   */
  @Test
  @org.junit.jupiter.api.Tag("slow")
  void twoHundredCheckpointedTasksKeepRunningWithTheSamePidsAcrossAnAgentRestart() {
    checkpointedTasksSurviveARestart(200);
  }

  /**
   * The same with the Linux containerizer: the restarted agent's containerizer re-adopts the
   * tasks' containers (same pids, in their cgroups) and a kill ends one. Skipped where this host
   * cannot run Linux containers.
   */
  @Test
  void checkpointedTasksKeepRunningInTheirLinuxContainersAcrossAnAgentRestart() throws Exception {
    java.util.Optional<String> why = dev.agora.containers.LinuxContainerizer.unavailableBecause();
    org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), () -> "Linux containers skipped: " + why.orElse(""));
    String hierarchy = "agora-test-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    containerizers = () -> dev.agora.containers.LinuxContainerizer.builder().hierarchy(hierarchy).build();
    try {
      checkpointedTasksSurviveARestart(5);
    } finally {
      stop();
      toClose.clear();
      for (String c : List.of("cpu", "cpuacct", "memory", "pids", "freezer")) {
        Path dir = Path.of("/sys/fs/cgroup", c, hierarchy);
        if (Files.isDirectory(dir)) {
          try (var children = Files.list(dir)) {
            assertThat(children.filter(Files::isDirectory).toList()).as("cgroups left under " + dir).isEmpty();
          }
          Files.deleteIfExists(dir);
        }
      }
    }
  }

  private void checkpointedTasksSurviveARestart(int n) {
    Crashed crashed = runAndCrash(FrameworkInfo.builder("cp").user("root").checkpoint(true).build(), n);
    dev.agora.core.container.Containerizer containers = containerizers.get();
    ThreadEventLoop newLoop = ThreadEventLoop.start("new-agent");
    toClose.add(newLoop::shutdown);
    Agent restarted = agent("agent-restarted", containers, newLoop);
    toClose.add(restarted::close);
    long t0 = System.nanoTime();
    restarted.start();

    await().atMost(Duration.ofSeconds(60)).until(() -> restarted.snapshot().join().registered());
    System.err.printf("restarted agent recovered and re-registered in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    AgentSnapshot after = restarted.snapshot().join();
    assertThat(after.agentId()).contains(crashed.id());
    Map<TaskId, Long> pids = after.tasks().stream()
        .collect(Collectors.toMap(AgentSnapshot.TaskView::taskId, AgentSnapshot.TaskView::pid));
    assertThat(pids).isEqualTo(crashed.pids());
    assertThat(after.tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.RUNNING));
    assertThat(containers.containers()).hasSize(n);
    assertThat(crashed.pids().values()).allSatisfy(pid -> assertThat(ProcessRecoveryTest.running(pid)).isTrue());
    synchronized (crashed.scheduler()) {
      assertThat(crashed.scheduler().all).extracting(TaskStatus::state).doesNotContain(TaskState.LOST);
      assertThat(crashed.scheduler().checker.violations()).isEmpty();
    }
    assertThat(runningCount(crashed.scheduler())).isEqualTo(n);
    assertThat(master.snapshot().join().agents()).singleElement().satisfies(a -> {
      assertThat(a.id()).isEqualTo(crashed.id());
      assertThat(a.activeTasks()).isEqualTo(n);
    });

    // Recovered tasks are managed as before: a kill ends the real process.
    TaskId victim = TaskId.of("t-" + Math.min(7, n - 1));
    crashed.scheduler().driver.kill(victim, java.util.Optional.empty(), java.util.Optional.of(Duration.ofMillis(100)));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      synchronized (crashed.scheduler()) {
        return crashed.scheduler().checker.latest(victim).orElseThrow() == TaskState.KILLED;
      }
    });
    assertThat(running(crashed.pids().get(victim))).isFalse();
    long t1 = System.nanoTime();
    restarted.close();
    System.err.printf("closing the agent (killing %d tasks) took %d ms%n", n - 1, (System.nanoTime() - t1) / 1_000_000);
  }

  @Test
  void tasksOfANonCheckpointingFrameworkEndFailedOrLostAndNoProcessIsLeft() {
    int n = 20;
    Crashed crashed = runAndCrash(FrameworkInfo.builder("plain").user("root").build(), n);
    ProcessContainerizer containers = ProcessContainerizer.builder().build();
    ThreadEventLoop newLoop = ThreadEventLoop.start("new-agent");
    toClose.add(newLoop::shutdown);
    Agent restarted = agent("agent-restarted", containers, newLoop);
    toClose.add(restarted::close);
    restarted.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      synchronized (crashed.scheduler()) {
        return crashed.scheduler().checker.terminalCount() == n;
      }
    });
    synchronized (crashed.scheduler()) {
      assertThat(crashed.scheduler().checker.latest().values())
          .allSatisfy(st -> assertThat(st).isIn(TaskState.FAILED, TaskState.LOST));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> crashed.pids().values().stream().noneMatch(ProcessRecoveryTest::running));
    assertThat(containers.containers()).isEmpty();
    assertThat(restarted.snapshot().join().agentId()).contains(crashed.id());
  }

  /** Whether {@code pid} runs (a zombie does not). */
  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
