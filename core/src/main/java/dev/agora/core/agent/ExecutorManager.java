package dev.agora.core.agent;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.model.TaskStatus.Reason;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of framework executors (Mesos {@code ExecutorInfo} of type CUSTOM): starts an
 * executor's container the first time a task names it, hands it its tasks once it subscribes to the
 * executor API (LAUNCH, LAUNCH_GROUP), forwards kills (KILL), framework messages (MESSAGE) and the
 * scheduler's acknowledgements (ACKNOWLEDGED), turns its UPDATE calls into reliable status updates,
 * and when the container ends reports every task it left unfinished.
 *
 * <p>An executor is reached at the address its subscription came from (an HTTP executor stream,
 * {@code executor:<id>}); events to it go through the agent's endpoint.
 *
 * <p>Checkpointing ({@link ExecutorCheckpoint}): for a framework that checkpoints, each executor
 * with its tasks and their unacknowledged updates is written to the work dir whenever they change;
 * a restarted agent re-adopts the executor's container and waits for the executor to subscribe
 * again (or, if it ended while the agent was down, ends its tasks). For other frameworks only the
 * container is noted, so that a restarted agent kills it.
 *
 * <p>Concurrency: every method runs on the agent's loop; containerizer stages hop back with
 * {@code loop.execute}. Invariants: a task is in {@code byTask} from its launch until its terminal
 * update is acknowledged or its executor is gone; an executor is in {@code executors} from its
 * first task until its container ends; events are sent only to a subscribed executor, others wait
 * in {@code queued} in order.
 */
final class ExecutorManager {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorManager.class);

  /** What the manager needs from its agent. Called on the agent's loop. */
  interface Host {
    /** The agent's id, once registered. */
    Optional<AgentId> agentId();

    /** Sends an event to an executor's address. */
    void toExecutor(Address executor, ExecutorEvent event);

    /** Sends a message to the master (dropped while unregistered). */
    void toMaster(AgentMessage message);

    /** Watches an executor's address; the agent calls {@link #disconnected} when it goes. */
    void link(Address executor);

    /** Queues a status update for reliable delivery. */
    void update(FrameworkId frameworkId, TaskStatus status);

    /** The oldest unacknowledged update of a task, if any. */
    Optional<TaskStatus> oldestPending(TaskId taskId);

    /** The unacknowledged updates of a task, oldest first. */
    List<TaskStatus> pending(TaskId taskId);
  }

  private enum Phase { LAUNCHING, WAITING, SUBSCRIBED, TERMINATING }

  private static final class Executor {
    final FrameworkId frameworkId;
    final FrameworkInfo framework;
    final ExecutorInfo info;
    final ContainerId containerId;
    final Path sandbox;
    Map<String, String> environment = Map.of();
    Optional<String> user = Optional.empty();
    final Map<TaskId, Task> tasks = new LinkedHashMap<>();
    final List<ExecutorEvent> queued = new ArrayList<>();
    Phase phase = Phase.LAUNCHING;
    Address stream;
    long pid;
    /** Whether a non-checkpointing framework's executor has its (one) container note written. */
    boolean noted;
    Cancellable timer;
    Reason endReason = Reason.REASON_EXECUTOR_TERMINATED;
    String endMessage = "Executor terminated";

    Executor(FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo info, ContainerId containerId,
        Path sandbox) {
      this.frameworkId = frameworkId;
      this.framework = framework;
      this.info = info;
      this.containerId = containerId;
      this.sandbox = sandbox;
    }
  }

  private static final class Task {
    final TaskInfo info;
    /** The tasks launched with it in one LAUNCH_GROUP (itself included); empty for a lone task. */
    final List<TaskId> group;
    TaskState state = TaskState.STAGING;
    boolean killRequested;

    Task(TaskInfo info, List<TaskId> group) {
      this.info = info;
      this.group = group;
    }
  }

  private record Key(FrameworkId frameworkId, ExecutorId executorId) {}

  private final EventLoop loop;
  private final Containerizer containerizer;
  private final Path workDir;
  private final Address agentAddress;
  private final Random random;
  private final Duration registrationTimeout;
  private final Duration shutdownGrace;
  private final Host host;
  private final Map<Key, Executor> executors = new LinkedHashMap<>();
  private final Map<TaskId, Executor> byTask = new LinkedHashMap<>();
  /** Signs executors' authentication tokens; null when the agent does not authenticate executors. */
  private dev.agora.core.executor.ExecutorTokens tokens;
  private final ExecutorCheckpoint checkpoint;
  /** Where executors reach the agent's executor API; the agent's own address unless told otherwise. */
  private Address advertised;

  ExecutorManager(EventLoop loop, Containerizer containerizer, Path workDir, Address agentAddress, Random random,
      Duration registrationTimeout, Duration shutdownGrace, Host host) {
    this.loop = loop;
    this.containerizer = containerizer;
    this.workDir = workDir;
    this.agentAddress = agentAddress;
    this.random = random;
    this.registrationTimeout = registrationTimeout;
    this.shutdownGrace = shutdownGrace;
    this.host = host;
    this.checkpoint = new ExecutorCheckpoint(workDir);
    this.advertised = agentAddress;
  }

  /** Executors started from now on are told to reach the agent at {@code value} (an HTTP(S) URL). */
  void advertise(Address value) {
    advertised = value;
  }

  /** From now on, executors started get a token from {@code value} to authenticate with. */
  void tokens(dev.agora.core.executor.ExecutorTokens value) {
    tokens = value;
  }

  /** Whether the task is run by a framework executor on this agent. */
  boolean owns(TaskId taskId) {
    return byTask.containsKey(taskId);
  }

  /**
   * Runs tasks under the framework's executor {@code info}, starting it if it does not run yet;
   * {@code group} sends them as one LAUNCH_GROUP.
   */
  void run(FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo info, List<TaskInfo> tasks, boolean group) {
    List<TaskInfo> fresh = new ArrayList<>();
    for (TaskInfo t : tasks) {
      if (byTask.containsKey(t.taskId())) {
        LOG.warn("agent {} already runs task {}; ignoring a second launch", agentAddress, t.taskId());
      } else {
        fresh.add(t.executor().isPresent() ? t : t.withExecutor(info));
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    Key key = new Key(frameworkId, info.executorId());
    Executor e = executors.get(key);
    if (e != null && e.phase == Phase.TERMINATING) {
      for (TaskInfo t : fresh) {
        host.update(frameworkId, status(t.taskId(), TaskState.LOST, Reason.REASON_EXECUTOR_TERMINATED,
            "Executor " + info.executorId() + " is shutting down"));
      }
      return;
    }
    if (e == null) {
      e = launch(frameworkId, framework, info, fresh);
      if (e == null) {
        return;
      }
    }
    List<TaskId> members = group ? fresh.stream().map(TaskInfo::taskId).toList() : List.of();
    for (TaskInfo t : fresh) {
      e.tasks.put(t.taskId(), new Task(t, members));
      byTask.put(t.taskId(), e);
    }
    persist(e);
    if (group) {
      send(e, new ExecutorEvent.LaunchGroup(fresh));
    } else {
      for (TaskInfo t : fresh) {
        send(e, new ExecutorEvent.Launch(t));
      }
    }
  }

  private Executor launch(FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo info, List<TaskInfo> tasks) {
    ContainerId containerId = new ContainerId(info.executorId().value() + "."
        + Long.toUnsignedString(random.nextLong(), 36));
    Path sandbox = workDir.resolve("frameworks").resolve(frameworkId.value()).resolve("executors")
        .resolve(info.executorId().value()).resolve("runs").resolve(containerId.value());
    Executor e = new Executor(frameworkId, framework, info, containerId, sandbox);
    try {
      Files.createDirectories(sandbox);
    } catch (IOException ex) {
      for (TaskInfo t : tasks) {
        host.update(frameworkId, status(t.taskId(), TaskState.FAILED, Reason.REASON_CONTAINER_LAUNCH_FAILED,
            "Cannot create executor sandbox " + sandbox + ": " + ex));
      }
      exited(frameworkId, info.executorId(), "Cannot create executor sandbox");
      return null;
    }
    executors.put(new Key(frameworkId, info.executorId()), e);
    Resources resources = info.resources();
    for (TaskInfo t : tasks) {
      resources = resources.add(t.resources());
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MESOS_AGENT_ENDPOINT", endpointOf(advertised));
    env.put("AGORA_AGENT_URL", baseUrlOf(advertised));
    if (advertised.value().startsWith("https://")) {
      env.put("SSL_ENABLED", "true");
    }
    env.put("MESOS_FRAMEWORK_ID", frameworkId.value());
    env.put("MESOS_EXECUTOR_ID", info.executorId().value());
    env.put("MESOS_SANDBOX", sandbox.toString());
    env.put("MESOS_DIRECTORY", sandbox.toString());
    env.put("MESOS_CHECKPOINT", framework.checkpoint() ? "1" : "0");
    // As Mesos: how long a checkpointing executor keeps trying to reach a restarted agent.
    env.put("MESOS_RECOVERY_TIMEOUT", "15mins");
    if (tokens != null) {
      env.put(dev.agora.core.executor.ExecutorTokens.ENVIRONMENT_VARIABLE, tokens.mint(frameworkId, info.executorId()));
    }
    env.put("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", shutdownGrace.toMillis() + "ms");
    host.agentId().ifPresent(id -> env.put("MESOS_AGENT_ID", id.value()));
    e.environment = Map.copyOf(env);
    e.user = info.command().user().or(() -> Optional.of(framework.user()));
    ContainerConfig config = configOf(containerId, info, tasks.get(0).agentId(), resources, sandbox, env, e.user);
    LOG.info("agent {} starts executor {} of framework {} in container {}", agentAddress, info.executorId(),
        frameworkId, containerId);
    containerizer.launch(config).whenComplete((status, error) -> loop.execute(() -> launched(e, status, error)));
    return e;
  }

  /** The containerizer runs tasks: an executor's container is described as a task of its own. */
  private static ContainerConfig configOf(ContainerId containerId, ExecutorInfo info, AgentId agentId,
      Resources resources, Path sandbox, Map<String, String> env, Optional<String> user) {
    TaskInfo asTask = new TaskInfo(TaskId.of(containerId.value()), "executor " + info.name(), agentId, resources,
        info.command(), Map.of(), Optional.empty());
    return new ContainerConfig(containerId, asTask, sandbox, env, user);
  }

  /** The container of a checkpointed executor, as the containerizer is asked to re-adopt it. */
  static ContainerConfig configOf(ExecutorCheckpoint.ExecutorRecord r) {
    Resources resources = r.executor().resources();
    dev.agora.core.model.AgentId agentId = dev.agora.core.model.AgentId.of("recovered");
    for (ExecutorCheckpoint.TaskRecord t : r.tasks()) {
      resources = resources.add(t.task().resources());
      agentId = t.task().agentId();
    }
    return configOf(new ContainerId(r.containerId()), r.executor(), agentId, resources, r.sandbox(),
        r.environment(), r.user());
  }

  /** {@code host:port} of an HTTP(S) address, as Mesos's MESOS_AGENT_ENDPOINT; else the address. */
  static String endpointOf(Address address) {
    try {
      URI u = URI.create(address.value());
      if (u.getHost() != null && u.getPort() > 0) {
        return (u.getHost().contains(":") ? "[" + u.getHost() + "]" : u.getHost()) + ":" + u.getPort();
      }
    } catch (IllegalArgumentException e) {
      // not a URL: an in-process address
    }
    return address.value();
  }

  private static String baseUrlOf(Address address) {
    try {
      URI u = URI.create(address.value());
      if (u.getScheme() != null && u.getHost() != null) {
        return u.getScheme() + "://" + endpointOf(address);
      }
    } catch (IllegalArgumentException e) {
      // not a URL
    }
    return address.value();
  }

  private void launched(Executor e, ContainerStatus status, Throwable error) {
    if (executors.get(new Key(e.frameworkId, e.info.executorId())) != e) {
      return;
    }
    if (error != null) {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      e.endReason = Reason.REASON_CONTAINER_LAUNCH_FAILED;
      e.endMessage = "Failed to launch executor " + e.info.executorId() + ": " + cause.getMessage();
      ended(e, null);
      return;
    }
    e.pid = status.pid();
    if (e.phase == Phase.LAUNCHING) {
      e.phase = Phase.WAITING;
    }
    persist(e);
    containerizer.termination(e.containerId).whenComplete((t, x) -> loop.execute(() -> ended(e, t)));
    if (e.phase == Phase.TERMINATING) {
      containerizer.destroy(e.containerId, Duration.ZERO);
    } else if (e.stream == null) {
      armRegistrationTimeout(e);
    }
  }

  private void armRegistrationTimeout(Executor e) {
    if (e.timer != null) {
      e.timer.cancel();
    }
    e.timer = loop.schedule(registrationTimeout, () -> {
      if (e.stream == null && e.phase != Phase.TERMINATING) {
        LOG.warn("executor {} of framework {} did not subscribe within {}; destroying it", e.info.executorId(),
            e.frameworkId, registrationTimeout);
        e.endReason = Reason.REASON_EXECUTOR_REGISTRATION_TIMEOUT;
        e.endMessage = "Executor did not subscribe within " + registrationTimeout;
        e.phase = Phase.TERMINATING;
        containerizer.destroy(e.containerId, Duration.ZERO);
      }
    });
  }

  /** The executor's container ended: its unfinished tasks end with it. */
  private void ended(Executor e, ContainerTermination termination) {
    Key key = new Key(e.frameworkId, e.info.executorId());
    if (executors.get(key) != e) {
      return;
    }
    executors.remove(key);
    if (e.timer != null) {
      e.timer.cancel();
    }
    LOG.info("executor {} of framework {} ended{}", e.info.executorId(), e.frameworkId,
        termination == null ? "" : ": " + termination.message());
    for (Task t : e.tasks.values()) {
      if (!t.state.isTerminal()) {
        if (t.killRequested) {
          report(e, t, TaskState.KILLED, null, "Killed with its executor");
        } else {
          report(e, t, TaskState.FAILED, e.endReason, e.endMessage);
        }
      }
    }
    byTask.entrySet().removeIf(en -> en.getValue() == e && host.oldestPending(en.getKey()).isEmpty());
    persist(e);
    exited(e.frameworkId, e.info.executorId(), termination == null ? e.endMessage : termination.message());
  }

  /** Tells the master the executor is gone, so that it takes back the executor's own resources. */
  private void exited(FrameworkId frameworkId, ExecutorId executorId, String message) {
    host.agentId().ifPresent(id -> host.toMaster(new AgentMessage.ExitedExecutor(id, frameworkId, executorId,
        message == null ? "" : message)));
  }

  /** The executors that run (or are starting), as the agent reports them when re-registering. */
  List<AgentMessage.AgentExecutor> executors() {
    List<AgentMessage.AgentExecutor> out = new ArrayList<>();
    for (Executor e : executors.values()) {
      out.add(new AgentMessage.AgentExecutor(e.frameworkId, e.framework, e.info));
    }
    return out;
  }

  // ------------------------------------------------------------------ the executor API

  /** A call from an executor at {@code from}. */
  void onCall(Address from, ExecutorCall call) {
    Executor e = executors.get(new Key(call.frameworkId(), call.executorId()));
    if (e == null || e.phase == Phase.TERMINATING && !(call instanceof ExecutorCall.Update)) {
      host.toExecutor(from, new ExecutorEvent.Error("Executor " + call.executorId() + " of framework "
          + call.frameworkId() + " is not running on this agent"));
      return;
    }
    if (call instanceof ExecutorCall.Subscribe subscribe) {
      if (host.agentId().isEmpty()) {
        host.toExecutor(from, new ExecutorEvent.Error("The agent is not registered yet; subscribe again"));
        return;
      }
      if (e.stream != null && !e.stream.equals(from)) {
        host.toExecutor(e.stream, new ExecutorEvent.Error("Executor subscribed again from another connection"));
      }
      e.stream = from;
      if (e.phase != Phase.TERMINATING) {
        e.phase = Phase.SUBSCRIBED;
      }
      if (e.timer != null) {
        e.timer.cancel();
        e.timer = null;
      }
      host.link(from);
      LOG.info("executor {} of framework {} subscribed from {}", e.info.executorId(), e.frameworkId, from);
      host.toExecutor(from, new ExecutorEvent.Subscribed(e.info, e.frameworkId, e.framework, host.agentId().get()));
      resubscribed(e, subscribe);
      List<ExecutorEvent> queued = new ArrayList<>(e.queued);
      e.queued.clear();
      queued.forEach(ev -> host.toExecutor(from, ev));
      return;
    }
    if (!from.equals(e.stream)) {
      host.toExecutor(from, new ExecutorEvent.Error("Executor " + call.executorId() + " is not subscribed from "
          + from));
      return;
    }
    if (call instanceof ExecutorCall.Update u) {
      update(e, u.status());
    } else if (call instanceof ExecutorCall.FrameworkMessage m) {
      Optional<AgentId> agentId = host.agentId();
      if (agentId.isPresent()) {
        host.toMaster(new AgentMessage.ExecutorToFramework(agentId.get(), e.frameworkId, e.info.executorId(),
            m.base64Data()));
      }
    }
  }

  /**
   * Squares the agent's books with what a (re)subscribing executor lists, as Mesos does: an
   * unacknowledged update the agent never got is taken in; one it has already acknowledged is
   * acknowledged to the executor again; a task the agent handed over (not STAGING in the queue) but
   * the executor neither lists nor updated never reached it and is LOST.
   */
  private void resubscribed(Executor e, ExecutorCall.Subscribe s) {
    java.util.Set<TaskId> known = new java.util.HashSet<>();
    s.unacknowledgedTasks().forEach(t -> known.add(t.taskId()));
    for (TaskStatus u : s.unacknowledgedUpdates()) {
      known.add(u.taskId());
      Task t = e.tasks.get(u.taskId());
      boolean pendingHere = host.pending(u.taskId()).stream().anyMatch(p -> p.uuid().equals(u.uuid()));
      if (pendingHere) {
        continue; // its acknowledgement will come
      }
      if (t == null || t.state.isTerminal() || t.state == u.state()) {
        host.toExecutor(e.stream, new ExecutorEvent.Acknowledged(u.taskId(), u.uuid().orElseThrow()));
      } else {
        LOG.info("executor {} resubscribed with update {} of task {} the agent missed", e.info.executorId(),
            u.state(), u.taskId());
        update(e, u);
      }
    }
    java.util.Set<TaskId> queued = new java.util.HashSet<>();
    for (ExecutorEvent ev : e.queued) {
      if (ev instanceof ExecutorEvent.Launch l) {
        queued.add(l.task().taskId());
      } else if (ev instanceof ExecutorEvent.LaunchGroup g) {
        g.tasks().forEach(t -> queued.add(t.taskId()));
      }
    }
    for (Task t : new ArrayList<>(e.tasks.values())) {
      TaskId id = t.info.taskId();
      if (t.state == TaskState.STAGING && !t.killRequested && !known.contains(id) && !queued.contains(id)) {
        report(e, t, TaskState.LOST, Reason.REASON_AGENT_RESTARTED, "Task never reached its executor");
      }
    }
  }

  private void update(Executor e, TaskStatus status) {
    Task t = e.tasks.get(status.taskId());
    if (t == null) {
      host.toExecutor(e.stream, new ExecutorEvent.Error("Task " + status.taskId() + " is not run by executor "
          + e.info.executorId()));
      return;
    }
    if (t.state.isTerminal()) {
      LOG.warn("executor {} sent {} for task {}, which already ended {}", e.info.executorId(), status.state(),
          status.taskId(), t.state);
      return;
    }
    t.state = status.state();
    TaskStatus stamped = new TaskStatus(status.taskId(), status.state(), status.reason(), status.message(),
        TaskStatus.Source.SOURCE_EXECUTOR, host.agentId(), status.uuid(), status.healthy(), status.timestamp());
    host.update(e.frameworkId, stamped);
  }

  /** The scheduler acknowledged update {@code uuid} of a task (the agent's manager matched it). */
  void acknowledged(TaskId taskId, UUID uuid) {
    Executor e = byTask.get(taskId);
    if (e == null) {
      return;
    }
    Task t = e.tasks.get(taskId);
    if (e.stream != null && executors.containsValue(e)) {
      host.toExecutor(e.stream, new ExecutorEvent.Acknowledged(taskId, uuid));
    }
    if (t != null && t.state.isTerminal() && host.oldestPending(taskId).isEmpty()) {
      byTask.remove(taskId);
      e.tasks.remove(taskId);
    }
    persist(e);
  }

  /** A task's unacknowledged updates changed: its executor's checkpoint follows. */
  void pendingChanged(TaskId taskId) {
    Executor e = byTask.get(taskId);
    if (e != null) {
      persist(e);
    }
  }

  /**
   * Writes the executor's checkpoint: for a checkpointing framework the executor with its tasks
   * and their unacknowledged updates; else only its container (so that a restarted agent kills
   * it). An ended executor whose tasks' updates are all acknowledged leaves no checkpoint.
   */
  private void persist(Executor e) {
    Key key = new Key(e.frameworkId, e.info.executorId());
    Executor current = executors.get(key);
    boolean live = current == e;
    if (current != null && !live) {
      return; // a newer run of the same executor owns the file
    }
    boolean full = e.framework.checkpoint();
    boolean pendingLeft = e.tasks.keySet().stream().anyMatch(id -> byTask.get(id) == e);
    if (!live && (!pendingLeft || !full)) {
      checkpoint.remove(e.frameworkId, e.info.executorId());
      return;
    }
    List<ExecutorCheckpoint.TaskRecord> tasks = new ArrayList<>();
    if (full) {
      for (Task t : e.tasks.values()) {
        tasks.add(new ExecutorCheckpoint.TaskRecord(t.info, t.state, t.killRequested, t.group,
            host.pending(t.info.taskId())));
      }
    } else if (e.pid == 0 || e.noted) {
      return; // only a launched container is worth noting, once
    }
    e.noted = true;
    checkpoint.write(new ExecutorCheckpoint.ExecutorRecord(full, e.frameworkId, e.framework, e.info,
        e.containerId.value(), e.pid, e.sandbox, e.environment, e.user, tasks));
  }

  /**
   * Takes back the executors a previous run of the agent checkpointed ({@code found}: the
   * containers the containerizer re-adopted). A checkpointing framework's executor that still runs
   * is expected to subscribe again within the registration timeout, and its tasks' unacknowledged
   * updates are resent; one that ended while the agent was down ends its live tasks (FAILED, or
   * KILLED if a kill was asked for). A non-checkpointing framework's executor is killed; the master
   * then hears nothing of its tasks and reports them lost.
   */
  void recover(List<ExecutorCheckpoint.ExecutorRecord> records, java.util.Set<ContainerId> found) {
    for (ExecutorCheckpoint.ExecutorRecord r : records) {
      ContainerId containerId = new ContainerId(r.containerId());
      if (!r.checkpoint()) {
        if (found.contains(containerId)) {
          LOG.info("killing executor {} of framework {}, which does not checkpoint", r.executor().executorId(),
              r.frameworkId());
          containerizer.destroy(containerId, Duration.ZERO);
        }
        checkpoint.remove(r.frameworkId(), r.executor().executorId());
        continue;
      }
      Executor e = new Executor(r.frameworkId(), r.framework(), r.executor(), containerId, r.sandbox());
      e.environment = r.environment();
      e.user = r.user();
      e.pid = r.pid();
      e.phase = Phase.WAITING;
      executors.put(new Key(r.frameworkId(), r.executor().executorId()), e);
      for (ExecutorCheckpoint.TaskRecord t : r.tasks()) {
        Task task = new Task(t.task(), t.group());
        task.state = t.state();
        task.killRequested = t.killRequested();
        e.tasks.put(t.task().taskId(), task);
        byTask.put(t.task().taskId(), e);
        t.pending().forEach(u -> host.update(r.frameworkId(), u));
      }
      if (found.contains(containerId)) {
        LOG.info("agent {} recovered executor {} of framework {} with {} task(s); waiting for it to subscribe",
            agentAddress, r.executor().executorId(), r.frameworkId(), e.tasks.size());
        containerizer.termination(containerId).whenComplete((t, x) -> loop.execute(() -> ended(e, t)));
        armRegistrationTimeout(e);
      } else {
        e.endMessage = "Executor ended while the agent was down";
        ended(e, null);
      }
    }
  }

  /**
   * The master asks to kill a task run by an executor. As in Mesos, killing one task of a task
   * group kills the whole group: every live task of it is killed.
   */
  void kill(FrameworkId frameworkId, TaskId taskId, Optional<Duration> grace) {
    Executor e = byTask.get(taskId);
    Task t = e == null ? null : e.tasks.get(taskId);
    if (t == null || !e.frameworkId.equals(frameworkId)) {
      return;
    }
    if (t.group.isEmpty()) {
      killOne(e, t, grace);
      return;
    }
    for (TaskId member : t.group) {
      Task m = e.tasks.get(member);
      if (m != null) {
        killOne(e, m, grace);
      }
    }
  }

  private void killOne(Executor e, Task t, Optional<Duration> grace) {
    TaskId taskId = t.info.taskId();
    if (t.state.isTerminal() || t.killRequested) {
      return;
    }
    t.killRequested = true;
    if (e.phase != Phase.SUBSCRIBED) {
      // Not handed to the executor yet: it never starts.
      e.queued.removeIf(ev -> ev instanceof ExecutorEvent.Launch l && l.task().taskId().equals(taskId)
          || ev instanceof ExecutorEvent.LaunchGroup g && g.tasks().stream().anyMatch(x -> x.taskId().equals(taskId)));
      report(e, t, TaskState.KILLED, Reason.REASON_TASK_KILLED_DURING_LAUNCH, "Killed before its executor subscribed");
      return;
    }
    host.toExecutor(e.stream, new ExecutorEvent.Kill(taskId, grace.or(() -> t.info.killGracePeriod())));
  }

  /** The master forwards a framework message to an executor; dropped if it does not run here. */
  void message(FrameworkId frameworkId, ExecutorId executorId, String base64Data) {
    Executor e = executors.get(new Key(frameworkId, executorId));
    if (e == null) {
      LOG.info("dropping a message for executor {} of framework {}: not running here", executorId, frameworkId);
      return;
    }
    send(e, new ExecutorEvent.FrameworkMessage(base64Data));
  }

  /** The framework is gone: every executor of it is shut down. */
  void shutdownFramework(FrameworkId frameworkId) {
    for (Executor e : new ArrayList<>(executors.values())) {
      if (e.frameworkId.equals(frameworkId)) {
        for (Task t : e.tasks.values()) {
          t.killRequested = true;
        }
        shutdown(e);
      }
    }
  }

  /** SHUTDOWN to the executor, then its container is destroyed after the grace period. */
  private void shutdown(Executor e) {
    if (e.phase == Phase.TERMINATING) {
      return;
    }
    boolean subscribed = e.phase == Phase.SUBSCRIBED;
    e.phase = Phase.TERMINATING;
    if (e.timer != null) {
      e.timer.cancel();
    }
    if (subscribed) {
      host.toExecutor(e.stream, new ExecutorEvent.Shutdown());
      e.timer = loop.schedule(shutdownGrace, () -> containerizer.destroy(e.containerId, Duration.ZERO));
    } else if (e.pid > 0) {
      containerizer.destroy(e.containerId, Duration.ZERO);
    }
  }

  /** An executor's connection closed: it has the registration timeout to subscribe again. */
  void disconnected(Address peer) {
    for (Executor e : executors.values()) {
      if (peer.equals(e.stream)) {
        LOG.info("executor {} of framework {} disconnected", e.info.executorId(), e.frameworkId);
        e.stream = null;
        if (e.phase == Phase.SUBSCRIBED) {
          e.phase = Phase.WAITING;
          armRegistrationTimeout(e);
        }
      }
    }
  }

  private void send(Executor e, ExecutorEvent event) {
    if (e.phase == Phase.SUBSCRIBED && e.stream != null) {
      host.toExecutor(e.stream, event);
    } else {
      e.queued.add(event);
    }
  }

  private void report(Executor e, Task t, TaskState state, Reason reason, String message) {
    t.state = state;
    host.update(e.frameworkId, status(t.info.taskId(), state, reason, message));
  }

  private TaskStatus status(TaskId taskId, TaskState state, Reason reason, String message) {
    return TaskStatus.of(taskId, state, TaskStatus.Source.SOURCE_AGENT, host.agentId().orElse(null), reason, message,
        loop.clock().instant()).withUuid(new UUID(random.nextLong(), random.nextLong()));
  }

  /** The executors' tasks as the agent reports them when re-registering. */
  List<AgentMessage.AgentTask> reported() {
    List<AgentMessage.AgentTask> out = new ArrayList<>();
    for (Map.Entry<TaskId, Executor> entry : byTask.entrySet()) {
      Executor e = entry.getValue();
      Task t = e.tasks.get(entry.getKey());
      if (t != null) {
        TaskState told = host.oldestPending(t.info.taskId()).map(TaskStatus::state).orElse(t.state);
        out.add(new AgentMessage.AgentTask(e.frameworkId, e.framework, t.info, told));
      }
    }
    return out;
  }

  /** The executors' tasks, for the agent's snapshot. */
  List<AgentSnapshot.TaskView> views() {
    List<AgentSnapshot.TaskView> out = new ArrayList<>();
    for (Executor e : executors.values()) {
      for (Task t : e.tasks.values()) {
        out.add(new AgentSnapshot.TaskView(e.frameworkId, t.info.taskId(), t.state, e.pid, e.sandbox,
            e.containerId));
      }
    }
    return out;
  }

  /** Stops the timers; the containers die with the containerizer. */
  void stop() {
    for (Executor e : executors.values()) {
      if (e.timer != null) {
        e.timer.cancel();
      }
    }
  }
}
