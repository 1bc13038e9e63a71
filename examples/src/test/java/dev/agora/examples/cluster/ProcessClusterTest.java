package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole path with real threads and real child processes: master, allocator, agents, containers. */
class ProcessClusterTest {
  @TempDir Path work;
  private final InProcessTransport transport = new InProcessTransport();
  private Master master;
  private final List<Agent> agents = new ArrayList<>();
  private final List<SchedulerDriver> drivers = new ArrayList<>();

  @BeforeEach
  void start() {
    master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build()).build().start();
    for (int i = 0; i < 2; i++) {
      agents.add(Agent.builder().transport(transport).address(Address.of("agent-" + i)).master(master.address())
          .info(new AgentInfo("host" + i, Resources.parse("cpus:2;mem:1024;ports:[31000-31100]")))
          .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("agent-" + i))
          .defaultKillGracePeriod(Duration.ofMillis(500)).build().start());
    }
  }

  @AfterEach
  void stop() {
    drivers.forEach(SchedulerDriver::close);
    agents.forEach(Agent::close);
    master.close();
  }

  private SchedulerDriver subscribe(String name, RecordingScheduler s) {
    SchedulerDriver d = SchedulerDriver.builder().transport(transport).address(Address.of("fw-" + name))
        .master(master.address()).framework(FrameworkInfo.builder(name).user("root").build()).scheduler(s).start();
    drivers.add(d);
    await().atMost(Duration.ofSeconds(10)).until(() -> !s.offersReceived.isEmpty());
    return d;
  }

  private static TaskInfo task(String id, Offer offer, String command) {
    return TaskInfo.of(TaskId.of(id), offer.agentId(), Resources.parse("cpus:0.5;mem:64"), CommandInfo.shell(command));
  }

  private static TaskStatus awaitTerminal(RecordingScheduler s, String task) {
    await().atMost(Duration.ofSeconds(20)).until(() ->
        s.latest(TaskId.of(task)).map(u -> u.state().isTerminal()).orElse(false));
    return s.latest(TaskId.of(task)).orElseThrow();
  }

  private AgentSnapshot agentOf(Offer offer) {
    for (Agent a : agents) {
      AgentSnapshot snap = a.snapshot().join();
      if (snap.agentId().equals(Optional.of(offer.agentId()))) {
        return snap;
      }
    }
    throw new AssertionError("no agent " + offer.agentId());
  }

  @Test
  void aRealTaskRunsToFinishedAndWritesItsSandbox() throws Exception {
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = subscribe("finisher", s);
    Offer offer = s.offersReceived.get(0);
    d.launch(offer, List.of(task("hello", offer, "echo hello from $MESOS_TASK_ID; echo oops >&2")));
    TaskStatus end = awaitTerminal(s, "hello");
    assertThat(end.state()).isEqualTo(TaskState.FINISHED);
    assertThat(s.states(TaskId.of("hello"))).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED);
    Path runs = work.resolve("agent-" + agents.indexOf(agents.stream()
        .filter(a -> a.snapshot().join().agentId().equals(Optional.of(offer.agentId()))).findFirst().orElseThrow()))
        .resolve("frameworks").resolve(d.frameworkId().orElseThrow().value()).resolve("tasks/hello/runs");
    try (var dirs = Files.list(runs)) {
      Path sandbox = dirs.findFirst().orElseThrow();
      assertThat(Files.readString(sandbox.resolve("stdout"))).isEqualTo("hello from hello\n");
      assertThat(Files.readString(sandbox.resolve("stderr"))).isEqualTo("oops\n");
    }
  }

  @Test
  void aFailingCommandEndsFailedWithItsExitCode() {
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = subscribe("failer", s);
    Offer offer = s.offersReceived.get(0);
    d.launch(offer, List.of(task("bad", offer, "exit 3")));
    TaskStatus end = awaitTerminal(s, "bad");
    assertThat(end.state()).isEqualTo(TaskState.FAILED);
    assertThat(end.message().orElseThrow()).contains("status 3");
    assertThat(end.reason()).contains(TaskStatus.Reason.REASON_COMMAND_EXECUTOR_FAILED);
  }

  @Test
  void killEndsKilledAndNoProcessSurvives() {
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = subscribe("killer", s);
    Offer offer = s.offersReceived.get(0);
    d.launch(offer, List.of(task("sleeper", offer, "trap '' TERM; sleep 1000 & sleep 1000")));
    await().atMost(Duration.ofSeconds(10)).until(() -> s.states(TaskId.of("sleeper")).contains(TaskState.RUNNING));
    long pid = agentOf(offer).task(TaskId.of("sleeper")).orElseThrow().pid();
    assertThat(pid).isPositive();
    assertThat(ProcessHandle.of(pid)).isPresent();
    List<ProcessHandle> tree = ProcessHandle.of(pid).orElseThrow().descendants().toList();

    d.kill(TaskId.of("sleeper"), Optional.empty(), Optional.of(Duration.ofMillis(200)));
    TaskStatus end = awaitTerminal(s, "sleeper");
    assertThat(end.state()).isEqualTo(TaskState.KILLED);
    assertThat(running(pid)).as("task process %s", pid).isFalse();
    assertThat(tree).extracting(ProcessHandle::pid).noneMatch(ProcessClusterTest::running);
  }

  /**
   * Whether {@code pid} is a live process. A zombie is not: when the task's shell dies first, its
   * children are reparented to PID 1, which may reap them late; they no longer run.
   */
  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void twoFrameworksRunTasksOnTheSameAgents() {
    RecordingScheduler a = new RecordingScheduler();
    SchedulerDriver da = subscribe("a", a);
    // a holds every offer; it uses one for a task and declines the rest briefly so b gets them.
    Offer first = a.offersReceived.get(0);
    da.launch(first, List.of(task("a-task", first, "sleep 0.2")));
    List<Offer> rest = a.offersReceived.subList(1, a.offersReceived.size());
    java.util.concurrent.atomic.AtomicBoolean launched = new java.util.concurrent.atomic.AtomicBoolean();
    RecordingScheduler b = new RecordingScheduler().onOffers((d, offers) -> {
      for (Offer o : offers) {
        if (launched.compareAndSet(false, true)) {
          d.launch(o, List.of(task("b-task", o, "sleep 0.2")));
        }
      }
    });
    SchedulerDriver db = SchedulerDriver.builder().transport(transport).address(Address.of("fw-b"))
        .master(master.address()).framework(FrameworkInfo.builder("b").user("root").build()).scheduler(b).start();
    drivers.add(db);
    da.decline(rest.stream().map(Offer::id).toList(), dev.agora.core.model.Filters.NONE);
    assertThat(awaitTerminal(a, "a-task").state()).isEqualTo(TaskState.FINISHED);
    await().atMost(Duration.ofSeconds(20)).until(() ->
        b.updates.stream().anyMatch(u -> u.state() == TaskState.FINISHED));
  }
}
