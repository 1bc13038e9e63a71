package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import dev.agora.examples.cluster.TaskStateChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent recovery after a real crash: {@code agora agent} runs as a child JVM with the process
 * containerizer (or the Linux one, where this host can run it), a master serves HTTP in this JVM and the framework subscribes to it over the
 * Mesos v1 scheduler API. The agent JVM is killed with SIGKILL while its tasks run (the task
 * processes are reparented, nobody kills them) and started again on the same work dir.
 *
 * <p>A checkpointing framework (FrameworkInfo checkpoint, sent as JSON over HTTP): every task is
 * still RUNNING, in the same process, under the same agent id, and the framework never hears
 * TASK_LOST; the restarted agent manages the adopted processes (killing a task ends its process;
 * stopping the agent ends them all). A framework that does not checkpoint: every task ends LOST or
 * FAILED and no task process is left.
 *
 * <p>The task processes are found by their working directory (the sandbox
 * {@code <work>/frameworks/<framework>/tasks/<task>/runs/<container>}) and their session: the
 * task's pid is the leader of its own session.
 */
class AgentKillNineRecoveryTest {
  @TempDir Path work;
  private HttpTransport masterTransport;
  private Master master;
  private AgoraProcesses jvms;
  private HttpSchedulerTransport schedulerTransport;
  private SchedulerDriver driver;

  @AfterEach
  void removeCgroups() throws Exception {
    if (!containerizer.equals("linux")) {
      return;
    }
    if (jvms != null) {
      jvms.close();
      jvms = null;
    }
    for (String c : CONTROLLERS) {
      Path root = Path.of("/sys/fs/cgroup", c, hierarchy);
      if (Files.isDirectory(root)) {
        try (var dirs = Files.list(root)) {
          for (Path d : dirs.filter(Files::isDirectory).toList()) {
            for (String pid : Files.readAllLines(d.resolve("cgroup.procs"))) { // left by a failed test
              ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
              Files.deleteIfExists(d);
              return true;
            });
          }
        }
        Files.deleteIfExists(root);
      }
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      driver.close();
    }
    if (schedulerTransport != null) {
      schedulerTransport.close();
    }
    if (jvms != null) {
      jvms.close();
    }
    if (master != null) {
      master.close();
    }
    if (masterTransport != null) {
      masterTransport.close();
    }
  }

  /** Launches the tasks as offers come, and checks every update; synchronized. */
  private static final class Framework implements Scheduler {
    final TaskStateChecker checker = new TaskStateChecker();
    final List<TaskStatus> all = new ArrayList<>();
    final int tasks;
    final Resources perTask;
    int launched;
    FrameworkId id;

    Framework(int tasks, Resources perTask) {
      this.tasks = tasks;
      this.perTask = perTask;
    }

    @Override
    public synchronized void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {
      id = frameworkId;
    }

    @Override
    public synchronized void offers(SchedulerDriver driver, List<Offer> offers) {
      for (Offer offer : offers) {
        List<TaskInfo> launch = new ArrayList<>();
        Resources left = offer.resources();
        while (launched < tasks && left.contains(perTask)) {
          launch.add(TaskInfo.of(TaskId.of("t-" + launched++), offer.agentId(), perTask,
              CommandInfo.shell("exec sleep 600")));
          left = left.subtract(perTask);
        }
        if (launch.isEmpty()) {
          driver.decline(List.of(offer.id()), new Filters(Duration.ofMinutes(5)));
        } else {
          driver.launch(offer, launch);
        }
      }
    }

    @Override
    public synchronized void update(SchedulerDriver driver, TaskStatus status) {
      checker.observe(status);
      all.add(status);
    }

    synchronized long count(TaskState state) {
      return checker.latest().values().stream().filter(s -> s == state).count();
    }

    synchronized List<TaskState> states() {
      return all.stream().map(TaskStatus::state).toList();
    }
  }

  /** {@code process}, or {@code linux} with {@link #hierarchy} as its cgroup hierarchy. */
  private String containerizer = "process";
  private final String hierarchy = "agora-kill9-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  private static final List<String> CONTROLLERS = List.of("cpu", "cpuacct", "memory", "pids", "freezer");

  private Process startAgent(int tasks) throws IOException {
    List<String> args = new ArrayList<>(List.of("agent", "--master",
        masterTransport.baseUrl().replaceFirst("^http://", ""), "--port", "0", "--hostname", "agent-0",
        "--resources", "cpus:" + tasks + ";mem:" + (tasks * 64), "--containerizer", containerizer,
        "--work-dir", work.resolve("agent").toString()));
    if (containerizer.equals("linux")) {
      args.addAll(List.of("--cgroups-hierarchy", hierarchy));
    }
    return jvms.spawn("agent-" + System.nanoTime(), args.toArray(String[]::new));
  }

  /** The containers' cgroups (directories under the agent's hierarchy), in every controller. */
  private List<Path> cgroups() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String c : CONTROLLERS) {
      Path root = Path.of("/sys/fs/cgroup", c, hierarchy);
      if (Files.isDirectory(root)) {
        try (var dirs = Files.list(root)) {
          dirs.filter(Files::isDirectory).forEach(out::add);
        }
      }
    }
    return out;
  }

  /** Every pid in the containers' cgroups (pids controller). */
  private List<Long> cgroupPids() throws IOException {
    List<Long> out = new ArrayList<>();
    Path root = Path.of("/sys/fs/cgroup", "pids", hierarchy);
    if (Files.isDirectory(root)) {
      try (var dirs = Files.list(root)) {
        for (Path d : dirs.filter(Files::isDirectory).toList()) {
          for (String line : Files.readAllLines(d.resolve("cgroup.procs"))) {
            if (!line.isBlank()) {
              out.add(Long.parseLong(line.trim()));
            }
          }
        }
      }
    }
    return out;
  }

  private Framework start(FrameworkInfo info, int tasks) throws IOException {
    masterTransport = HttpTransport.builder().host("127.0.0.1").port(0).build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).frameworkHeartbeatInterval(Duration.ofSeconds(1))
        .agentPingInterval(Duration.ofSeconds(2)).maxAgentPingMisses(30).build();
    masterTransport.serveSchedulerApi(master.address());
    OperatorApi.serve(masterTransport, master);
    master.start();
    masterTransport.start();
    jvms = new AgoraProcesses(work);
    Process agent = startAgent(tasks);
    jvms.awaitUrl(nameOf(agent), agent);
    Framework f = new Framework(tasks, Resources.parse(containerizer.equals("linux") ? "cpus:0.01;mem:32" : "cpus:0.01;mem:1"));
    schedulerTransport = HttpSchedulerTransport.create();
    driver = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of(info.name()))
        .master(master.address()).framework(info).scheduler(f).start();
    long t0 = System.nanoTime();
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> f.count(TaskState.RUNNING) == tasks);
    System.err.printf("%d tasks RUNNING in %d ms%n", tasks, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    agentProcess = agent;
    return f;
  }

  private Process agentProcess;

  private String nameOf(Process p) {
    return jvms.nameOf(p);
  }

  private AgentId agentId() {
    return master.snapshot().join().agents().get(0).id();
  }

  /** Task id to pid of the task's processes (session leaders whose cwd is a sandbox). */
  /**
   * The task processes once all {@code n} have entered their sandboxes. RUNNING is reported once a
   * task's process exists; in a Linux container it may still be setting itself up (its session, its
   * working directory) for a moment after, so the scan waits for each to look like a task.
   */
  private Map<String, Long> runningTaskPids(int n) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> taskPids().size() == n);
    return taskPids();
  }

  private Map<String, Long> taskPids() {
    Map<String, Long> out = new HashMap<>();
    Path sandboxes = work.resolve("agent").resolve("frameworks");
    String[] pids = Path.of("/proc").toFile().list();
    for (String pid : pids == null ? new String[0] : pids) {
      if (!pid.chars().allMatch(Character::isDigit)) {
        continue;
      }
      try {
        Path cwd = Files.readSymbolicLink(Path.of("/proc", pid, "cwd"));
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        boolean zombie = fields[0].equals("Z");
        boolean sessionLeader = fields[3].equals(pid);
        if (cwd.startsWith(sandboxes) && sessionLeader && !zombie) {
          // <fw>/tasks/<task>/runs/<container>
          Path rel = sandboxes.relativize(cwd);
          out.put(rel.getName(2).toString(), Long.parseLong(pid));
        }
      } catch (IOException | RuntimeException e) {
        // gone meanwhile, or not ours
      }
    }
    return out;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
        && !zombie(pid);
  }

  private static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state == 'Z' || state == 'X';
    } catch (IOException e) {
      return true;
    }
  }

  private Process killNineAndRestart(int tasks) throws Exception {
    jvms.killLater(agentProcess.toHandle());
    agentProcess.destroyForcibly(); // SIGKILL
    assertThat(agentProcess.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Process again = startAgent(tasks);
    jvms.awaitUrl(nameOf(again), again);
    return again;
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void checkpointedTasksSurviveKillNineOfTheAgentJvm() throws Exception {
    checkpointedTasksSurviveKillNine(20);
  }

  /** The acceptance run: 200 tasks. */
  @Test
  @Tag("slow")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void twoHundredCheckpointedTasksSurviveKillNineOfTheAgentJvm() throws Exception {
    checkpointedTasksSurviveKillNine(200);
  }

  /**
   * As {@link #checkpointedTasksSurviveKillNineOfTheAgentJvm} with the Linux containerizer (cgroups
   * v1, native launcher where a C compiler is found): each task is re-adopted by pid, cgroup and
   * marker; stopping the agent at the end leaves no process and no cgroup.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void checkpointedTasksInLinuxContainersSurviveKillNineOfTheAgentJvm() throws Exception {
    assumeLinuxContainers();
    containerizer = "linux";
    checkpointedTasksSurviveKillNine(20);
  }

  /** The acceptance run on the Linux containerizer: 200 tasks. */
  @Test
  @Tag("slow")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void twoHundredCheckpointedTasksInLinuxContainersSurviveKillNineOfTheAgentJvm() throws Exception {
    assumeLinuxContainers();
    containerizer = "linux";
    checkpointedTasksSurviveKillNine(200);
  }

  private static void assumeLinuxContainers() {
    Optional<String> why = dev.agora.containers.LinuxContainerizer.unavailableBecause();
    org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
  }

  private void checkpointedTasksSurviveKillNine(int n) throws Exception {
    Framework f = start(FrameworkInfo.builder("cp").user("root").checkpoint(true).build(), n);
    AgentId id = agentId();
    Map<String, Long> before = runningTaskPids(n);
    long t0 = System.nanoTime();
    Process restarted = killNineAndRestart(n);
    assertThat(before.values()).as("task processes outlive the agent JVM").allMatch(AgentKillNineRecoveryTest::alive);

    // The master sees the same agent again, with every task RUNNING.
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
      MasterSnapshot s = master.snapshot().join();
      return s.agents().size() == 1 && reregistered(restarted, id);
    });
    long recovered = System.nanoTime();
    assertThat(agentId()).as("same agent id").isEqualTo(id);
    int updates;
    synchronized (f) {
      updates = f.all.size();
    }
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(3)).until(() -> {
      driver.reconcile(List.of()); // again each time: a call may be lost while the framework resubscribes
      synchronized (f) {
        return f.all.subList(updates, f.all.size()).stream().filter(u -> u.state() == TaskState.RUNNING)
            .map(TaskStatus::taskId).distinct().count() == n;
      }
    });
    assertThat(f.count(TaskState.RUNNING)).isEqualTo(n);
    assertThat(f.states()).as("no task was reported lost").doesNotContain(TaskState.LOST);
    assertThat(f.checker.violations()).isEmpty();
    Map<String, Long> after = taskPids();
    assertThat(after).as("the same processes").isEqualTo(before);
    MasterSnapshot.AgentView agent = master.snapshot().join().agents().get(0);
    assertThat(agent.id()).isEqualTo(id);
    assertThat(agent.activeTasks()).isEqualTo(n);
    System.err.printf("kill -9 of the agent JVM with %d checkpointed tasks: re-registered with %d/%d tasks RUNNING,"
        + " same pids, %d ms after the kill%n", n, f.count(TaskState.RUNNING), n,
        TimeUnit.NANOSECONDS.toMillis(recovered - t0));

    // The restarted agent manages the adopted processes: a kill ends the task's process.
    String victim = "t-3";
    driver.kill(TaskId.of(victim), Optional.of(id), Optional.of(Duration.ofMillis(200)));
    await().atMost(Duration.ofSeconds(60)).until(() -> f.checker.latest().get(TaskId.of(victim)) == TaskState.KILLED);
    await().atMost(Duration.ofSeconds(30)).until(() -> !alive(before.get(victim)));
    // And stopping it (SIGTERM) ends the rest (slow: over two minutes for 200 tasks at load 25).
    long t1 = System.nanoTime();
    restarted.destroy();
    assertThat(restarted.waitFor(n * 3L, TimeUnit.SECONDS)).as("the agent stops, killing its tasks").isTrue();
    await().atMost(Duration.ofSeconds(120)).until(() -> before.values().stream().noneMatch(AgentKillNineRecoveryTest::alive));
    System.err.printf("stopping the restarted agent (killing %d adopted tasks) took %d ms%n", n - 1,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
    if (containerizer.equals("linux")) {
      assertThat(cgroupPids()).as("no process left in the containers' cgroups").isEmpty();
      await().atMost(Duration.ofSeconds(60)).until(() -> cgroups().isEmpty());
    }
  }

  /** Whether the restarted agent's log says it registered with the master as {@code id}. */
  private boolean reregistered(Process agent, AgentId id) throws IOException {
    return Files.readString(work.resolve(nameOf(agent) + ".log")).contains("registered as " + id.value());
  }

  /**
   * As {@link #tasksOfANonCheckpointingFrameworkEndLostOrFailedAndNoProcessIsLeftAfterKillNine} with
   * the Linux containerizer (cgroups v1): no task process and no container cgroup is left.
   * Tagged slow for now: written at the end of a session on a machine at load 80, where it could not
   * be run to completion; run it with -Psoak and move it to the default run once green.
   */
  /** Tagged slow to keep the default run short: the checkpointed Linux variant runs by default. */
  @Test
  @Tag("slow")
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void withLinuxContainersNoProcessNorCgroupIsLeftAfterKillNine() throws Exception {
    nonCheckpointedLinuxContainersLeaveNothingAfterKillNine(10);
  }

  /** The acceptance run on the Linux containerizer: 200 tasks of a framework that does not checkpoint. */
  @Test
  @Tag("slow")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void withTwoHundredLinuxContainersNoProcessNorCgroupIsLeftAfterKillNine() throws Exception {
    nonCheckpointedLinuxContainersLeaveNothingAfterKillNine(200);
  }

  private void nonCheckpointedLinuxContainersLeaveNothingAfterKillNine(int n) throws Exception {
    assumeLinuxContainers();
    containerizer = "linux";
    Framework f = start(FrameworkInfo.builder("plain").user("root").build(), n);
    List<Long> pids = cgroupPids();
    assertThat(pids).as("the tasks' processes, by cgroup").hasSizeGreaterThanOrEqualTo(n);
    assertThat(cgroups()).isNotEmpty();
    killNineAndRestart(n);
    await().atMost(Duration.ofSeconds(120 + n)).pollInterval(Duration.ofMillis(200)).until(() -> {
      synchronized (f) {
        return f.checker.terminalCount() == n;
      }
    });
    assertThat(f.checker.latest().values()).allSatisfy(st -> assertThat(st).isIn(TaskState.LOST, TaskState.FAILED));
    await().atMost(Duration.ofSeconds(60)).until(() -> pids.stream().noneMatch(AgentKillNineRecoveryTest::alive));
    await().atMost(Duration.ofSeconds(60)).until(() -> cgroups().isEmpty());
    assertThat(f.checker.violations()).isEmpty();
    System.err.printf("kill -9 of the agent JVM with %d Linux containers of a non-checkpointing framework:"
        + " all %d LOST or FAILED, no process or cgroup left%n", n, n);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void tasksOfANonCheckpointingFrameworkEndLostOrFailedAndNoProcessIsLeftAfterKillNine() throws Exception {
    int n = 20;
    Framework f = start(FrameworkInfo.builder("plain").user("root").build(), n);
    AgentId id = agentId();
    Map<String, Long> before = runningTaskPids(n);
    killNineAndRestart(n);
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
      synchronized (f) {
        return f.checker.terminalCount() == n;
      }
    });
    assertThat(f.checker.latest().values()).allSatisfy(s -> assertThat(s).isIn(TaskState.LOST, TaskState.FAILED));
    assertThat(f.checker.violations()).isEmpty();
    await().atMost(Duration.ofSeconds(60)).until(() -> before.values().stream().noneMatch(AgentKillNineRecoveryTest::alive));
    assertThat(taskPids()).as("no task process left").isEmpty();
    assertThat(agentId()).isEqualTo(id);
    // The master holds nothing of them, and a reconcile says so.
    driver.reconcile(before.keySet().stream()
        .map(t -> new SchedulerCall.ReconcileTask(TaskId.of(t), Optional.of(id))).collect(Collectors.toList()));
    assertThat(master.snapshot().join().agents().get(0).activeTasks()).isZero();
  }
}
