package dev.agora.core.agent;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.model.TaskStatus.Reason;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.io.IOException;
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
 * The agent's state and behaviour, run on one event loop: registers with the leading master,
 * launches and kills tasks through the containerizer, and reports their states reliably.
 *
 * <p>Checkpointing and recovery: every task has a record in the {@link CheckpointStore}; for a
 * framework that checkpoints, the record is rewritten (atomically, forced to disk) before each
 * status update is sent and when updates are acknowledged, and is removed once the terminal update
 * is acknowledged. For other frameworks a best-effort record notes the container's pid so that a
 * restarted agent can kill the task. On start, the agent reads its checkpoint (see
 * {@link Agent#start()}), asks the containerizer to re-adopt the recorded containers, takes the
 * checkpointed tasks back (re-sending their unacknowledged updates), reports checkpointed tasks
 * whose container is gone as FAILED, kills non-checkpointing frameworks' tasks (FAILED, reason
 * AGENT_RESTARTED), and only then registers, under its old id if it had one.
 *
 * <p>Fencing: the agent remembers the highest leader epoch stamped on a master's message
 * ({@link AgentMessage.Stamped}) and drops, without effect, any message stamped with a lower one, or
 * not stamped once it has seen a stamp: a deposed master cannot launch, kill or acknowledge.
 *
 * <p>Concurrency: every method runs on {@code loop}; containerizer stages complete elsewhere and
 * hop back with {@code loop.execute}. Invariants: a task is in {@code tasks} from RunTask until its
 * terminal update is queued, then in {@code ended} until its updates are all acknowledged (both are
 * reported when re-registering); each status update is queued exactly once (the manager resends it).
 */
final class AgentActor implements MessageHandler {
  private static final Logger LOG = LoggerFactory.getLogger(AgentActor.class);
  private static final Duration MAX_REGISTRATION_BACKOFF = Duration.ofMinutes(1);
  /** Pings the agent may miss before it takes its master for lost and re-registers (Mesos: 5). */
  static final int MAX_PING_MISSES = 5;

  record Settings(Duration initialUpdateBackoff, Duration maxUpdateBackoff, Duration defaultKillGrace,
      Duration registrationBackoff, boolean strictRecovery, int healthKills, Duration healthKillsPer,
      int checkpointFoldEntries) {}

  private final EventLoop loop;
  private final Transport transport;
  private final Address address;
  private final MasterDetector detector;
  private final AgentInfo info;
  private final Containerizer containerizer;
  private final Path workDir;
  private final Settings settings;
  private final Random random;
  /** Where blocking disk work goes (task sandboxes); the loop itself in a simulation. */
  private final java.util.concurrent.Executor disk;
  private final StatusUpdateManager updates;
  private final Map<TaskId, Running> tasks = new LinkedHashMap<>();
  /** Ended tasks of checkpointing frameworks whose updates are not all acknowledged. */
  private final Map<TaskId, Running> ended = new LinkedHashMap<>();
  private final CheckpointStore store;
  private final TaskHealthChecks health;
  private final ExecutorManager executors;
  private Endpoint endpoint;
  private Optional<AgentId> agentId = Optional.empty();
  private Address master;
  private boolean registered;
  private Cancellable registrationTimer;
  private Cancellable pingTimer;
  private Duration pingInterval;
  private boolean stopped;
  /** The highest leader epoch stamped on a master's message so far; 0 if none was. */
  private long highestEpoch;

  AgentActor(EventLoop loop, Transport transport, Address address, MasterDetector detector, AgentInfo info,
      Containerizer containerizer, Path workDir, Settings settings, Random random,
      java.util.concurrent.Executor checkpointFolder, java.util.concurrent.Executor disk) {
    this.loop = loop;
    this.transport = transport;
    this.address = address;
    this.detector = detector;
    this.info = info;
    this.containerizer = containerizer;
    this.workDir = workDir;
    this.settings = settings;
    this.random = random;
    this.disk = disk;
    this.store = new CheckpointStore(workDir, loop, checkpointFolder, settings.checkpointFoldEntries());
    // An update goes out only once its checkpoint (queued as it was added) is on disk.
    this.updates = new StatusUpdateManager(loop, settings.initialUpdateBackoff(), settings.maxUpdateBackoff(),
        (frameworkId, status) -> store.afterFlush(() -> {
          if (registered && !stopped) {
            endpoint.send(master, new AgentMessage.StatusUpdate(frameworkId, status));
          }
        }), this::pendingChanged);
    this.health = new TaskHealthChecks(loop, containerizer, settings.healthKills(), settings.healthKillsPer(),
        new HealthListener());
    this.executors = new ExecutorManager(loop, containerizer, workDir, address, random, EXECUTOR_REGISTRATION_TIMEOUT,
        settings.defaultKillGrace().plusSeconds(2), new ExecutorHost());
  }

  /** Health check results of running tasks: a RUNNING update on each change; a kill after too many failures. */
  private final class HealthListener implements TaskHealthChecks.Listener {
    @Override
    public void healthChanged(TaskId taskId, boolean healthy, String message) {
      Running r = tasks.get(taskId);
      if (r != null && r.state == TaskState.RUNNING && !r.killRequested) {
        r.healthy = Optional.of(healthy);
        report(r, TaskState.RUNNING, Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, message);
      }
    }

    @Override
    public void kill(TaskId taskId, String message) {
      Running r = tasks.get(taskId);
      if (r != null && !r.killRequested) {
        r.healthKill = Optional.of(message);
        killTask(r.frameworkId, taskId, Optional.empty());
      }
    }
  }

  /** How long a framework executor has to subscribe after its start (Mesos: 1 min). */
  static final Duration EXECUTOR_REGISTRATION_TIMEOUT = Duration.ofMinutes(1);

  /** The agent as the executor manager sees it. */
  private final class ExecutorHost implements ExecutorManager.Host {
    @Override
    public Optional<AgentId> agentId() {
      return agentId;
    }

    @Override
    public void toExecutor(Address executor, dev.agora.core.protocol.ExecutorEvent event) {
      endpoint.send(executor, event);
    }

    @Override
    public void toMaster(AgentMessage message) {
      if (registered) {
        endpoint.send(master, message);
      }
    }

    @Override
    public void link(Address executor) {
      endpoint.link(executor);
    }

    @Override
    public void update(FrameworkId frameworkId, TaskStatus status) {
      updates.add(frameworkId, status);
    }

    @Override
    public Optional<TaskStatus> oldestPending(TaskId taskId) {
      return updates.pending(taskId).stream().findFirst();
    }

    @Override
    public List<TaskStatus> pending(TaskId taskId) {
      return updates.pending(taskId);
    }
  }

  /** Executors are told to reach the agent at {@code endpoint}; before start. */
  void executorEndpoint(Address endpoint) {
    executors.advertise(endpoint);
  }

  /** Executors get authentication tokens from {@code tokens}; before start. */
  void executorTokens(dev.agora.core.executor.ExecutorTokens tokens) {
    executors.tokens(tokens);
  }

  /** Reads the checkpoint; on the caller's thread, before start. */
  CheckpointStore.Recovered readCheckpoint() {
    return store.recover(settings.strictRecovery());
  }

  /** A task the agent runs. */
  private static final class Running {
    final FrameworkId frameworkId;
    final FrameworkInfo framework;
    final TaskInfo task;
    final ContainerId containerId;
    final Path sandbox;
    ContainerConfig config;
    boolean noted;
    boolean killedOnRecovery;
    TaskState state = TaskState.STAGING;
    long pid;
    boolean launched;
    boolean killRequested;
    Optional<Duration> killGrace = Optional.empty();
    Optional<Boolean> healthy = Optional.empty();
    Optional<String> healthKill = Optional.empty();

    Running(FrameworkId frameworkId, FrameworkInfo framework, TaskInfo task, ContainerId containerId, Path sandbox) {
      this.frameworkId = frameworkId;
      this.framework = framework;
      this.task = task;
      this.containerId = containerId;
      this.sandbox = sandbox;
    }
  }

  void start(CheckpointStore.Recovered recovered) {
    endpoint = transport.bind(address, loop, this);
    agentId = recovered.agentId();
    List<RecoverableContainer> wanted = new ArrayList<>();
    for (CheckpointCodec.TaskRecord rec : recovered.tasks()) {
      if (rec.pid() > 0 && !rec.state().isTerminal()) {
        wanted.add(new RecoverableContainer(configOf(rec), rec.pid()));
      }
    }
    for (ExecutorCheckpoint.ExecutorRecord rec : recovered.executors()) {
      if (rec.pid() > 0) {
        wanted.add(new RecoverableContainer(ExecutorManager.configOf(rec), rec.pid()));
      }
    }
    if (wanted.isEmpty() && recovered.tasks().isEmpty() && recovered.executors().isEmpty()) {
      detector.watch(loop, this::masterChanged);
      return;
    }
    LOG.info("agent {} recovering {} task(s) of agent {}", address, recovered.tasks().size(), agentId);
    containerizer.recover(wanted).whenComplete((found, error) -> loop.execute(() -> {
      if (error != null) {
        LOG.error("agent {}: the containerizer failed to recover containers; taking them as gone", address, error);
      }
      recovered(recovered.tasks(), error == null ? found : java.util.Set.of());
      if (!stopped) {
        executors.recover(recovered.executors(), error == null ? found : java.util.Set.of());
      }
      detector.watch(loop, this::masterChanged);
    }));
  }

  private static ContainerConfig configOf(CheckpointCodec.TaskRecord rec) {
    return new ContainerConfig(new ContainerId(rec.containerId()), rec.task(), rec.sandbox(), rec.environment(),
        rec.user());
  }

  private void recovered(List<CheckpointCodec.TaskRecord> records, java.util.Set<ContainerId> found) {
    if (stopped) {
      return;
    }
    int running = 0;
    for (CheckpointCodec.TaskRecord rec : records) {
      Running r = new Running(rec.frameworkId(), rec.framework(), rec.task(), new ContainerId(rec.containerId()),
          rec.sandbox());
      r.config = configOf(rec);
      r.state = rec.state();
      r.pid = rec.pid();
      r.noted = true;
      TaskId id = rec.task().taskId();
      if (rec.state().isTerminal()) {
        if (rec.checkpoint() && !rec.pending().isEmpty()) {
          ended.put(id, r);
          rec.pending().forEach(u -> updates.add(rec.frameworkId(), u));
        } else {
          store.removeTask(rec.frameworkId(), id);
        }
        continue;
      }
      tasks.put(id, r);
      if (rec.checkpoint()) {
        rec.pending().forEach(u -> updates.add(rec.frameworkId(), u));
      }
      if (found.contains(r.containerId)) {
        r.launched = true;
        if (rec.checkpoint()) {
          checkHealth(r);
        }
        containerizer.termination(r.containerId)
            .whenComplete((termination, e) -> loop.execute(() -> terminated(r, termination, e)));
        if (rec.checkpoint()) {
          running++;
        } else {
          r.killedOnRecovery = true;
          r.killRequested = true;
          destroy(r);
        }
      } else if (rec.checkpoint()) {
        report(r, TaskState.FAILED, Reason.REASON_EXECUTOR_TERMINATED, "Task ended while the agent was down");
        endTask(r);
      } else {
        report(r, TaskState.FAILED, Reason.REASON_AGENT_RESTARTED,
            "Agent restarted; the framework does not checkpoint");
        endTask(r);
      }
    }
    LOG.info("agent {} recovered: {} task(s) still running, {} update(s) to resend", address, running,
        updates.pendingCount());
  }

  /** The task reached its terminal state: it leaves {@code tasks}, and its record when all is acknowledged. */
  private void endTask(Running r) {
    TaskId id = r.task.taskId();
    if (tasks.get(id) == r) {
      tasks.remove(id);
      health.stop(id);
    }
    if (!updates.pending(id).isEmpty()) {
      ended.put(id, r);
    }
    if (!r.framework.checkpoint() || updates.pending(id).isEmpty()) {
      // Without checkpointing, the note only serves to kill the container after a crash: it is
      // gone now, and the unacknowledged updates die with the agent, as in Mesos.
      store.removeTask(r.frameworkId, id);
    }
  }

  /** The status update manager's pending updates of a task changed: checkpoint them. */
  private void pendingChanged(FrameworkId frameworkId, TaskId taskId, List<TaskStatus> pending) {
    Running r = tasks.get(taskId);
    boolean live = r != null;
    if (r == null) {
      r = ended.get(taskId);
    }
    if (r == null) {
      executors.pendingChanged(taskId);
      return;
    }
    if (!r.frameworkId.equals(frameworkId)) {
      return;
    }
    if (!live && pending.isEmpty()) {
      ended.remove(taskId);
      store.removeTask(frameworkId, taskId);
      return;
    }
    if (r.framework.checkpoint()) {
      store.writeTask(record(r, pending));
    } else if (live && r.launched && !r.noted) {
      store.writeTask(record(r, List.of()));
      r.noted = true;
    }
  }

  private CheckpointCodec.TaskRecord record(Running r, List<TaskStatus> pending) {
    return new CheckpointCodec.TaskRecord(r.framework.checkpoint(), r.frameworkId, r.framework, r.task,
        r.containerId.value(), r.pid, r.sandbox, r.config != null ? r.config.environment() : Map.of(),
        r.config != null ? r.config.user() : Optional.empty(), r.state, pending);
  }

  void stop() {
    store.close(); // what is queued goes to disk, and the updates it held out
    stopped = true;
    if (registrationTimer != null) {
      registrationTimer.cancel();
    }
    if (pingTimer != null) {
      pingTimer.cancel();
    }
    executors.stop();
    updates.pause();
    health.stopAll();
    if (endpoint != null) {
      endpoint.close();
    }
  }

  Containerizer containerizer() {
    return containerizer;
  }

  private void masterChanged(Optional<Address> leader) {
    registered = false;
    updates.pause();
    master = leader.orElse(null);
    if (master != null) {
      LOG.info("agent {} found master {}", address, master);
      endpoint.link(master);
      register(settings.registrationBackoff());
    }
  }

  private void register(Duration backoff) {
    if (registrationTimer != null) {
      registrationTimer.cancel();
      registrationTimer = null;
    }
    if (stopped || registered || master == null) {
      return;
    }
    if (agentId.isPresent()) {
      List<AgentMessage.AgentTask> reported = new ArrayList<>();
      List<Running> all = new ArrayList<>(tasks.values());
      all.addAll(ended.values()); // ended, updates not all acknowledged: the master must know them too
      for (Running r : all) {
        // The state the framework may have heard of: that of the oldest unacknowledged update, if
        // any, so that the master (which may tell the framework) is never ahead of the update stream.
        List<TaskStatus> pending = updates.pending(r.task.taskId());
        TaskState told = pending.isEmpty() ? r.state : pending.get(0).state();
        reported.add(new AgentMessage.AgentTask(r.frameworkId, r.framework, r.task, told));
      }
      reported.addAll(executors.reported());
      endpoint.send(master, new AgentMessage.ReregisterAgent(agentId.get(), info, reported,
          executors.executors()));
    } else {
      endpoint.send(master, new AgentMessage.RegisterAgent(info));
    }
    Duration next = backoff.multipliedBy(2).compareTo(MAX_REGISTRATION_BACKOFF) > 0
        ? MAX_REGISTRATION_BACKOFF : backoff.multipliedBy(2);
    registrationTimer = loop.schedule(backoff, () -> register(next));
  }

  @Override
  public void onExited(Address peer) {
    if (!peer.equals(master)) {
      executors.disconnected(peer);
    }
    if (peer.equals(master) && !stopped) {
      LOG.warn("agent {} lost its master {}; re-registering", address, master);
      registered = false;
      updates.pause();
      register(settings.registrationBackoff());
    }
  }

  @Override
  public void onMessage(Address from, Message message) {
    if (!stopped && message instanceof dev.agora.core.protocol.ExecutorCall call) {
      executors.onCall(from, call);
      return;
    }
    if (stopped || !(message instanceof AgentMessage received)) {
      return;
    }
    AgentMessage m = received;
    if (received instanceof AgentMessage.Stamped stamped) {
      if (stamped.epoch() < highestEpoch) {
        LOG.warn("agent {} refuses {} from {}: epoch {} is older than {}", address,
            stamped.message().getClass().getSimpleName(), from, stamped.epoch(), highestEpoch);
        return;
      }
      highestEpoch = stamped.epoch();
      m = stamped.message();
    } else if (highestEpoch > 0) {
      LOG.warn("agent {} refuses unstamped {} from {}: it has seen epoch {}", address,
          received.getClass().getSimpleName(), from, highestEpoch);
      return;
    }
    if (m instanceof AgentMessage.AgentRegistered r) {
      registered(from, r);
      return;
    }
    if (!from.equals(master)) {
      LOG.warn("agent {} ignores {} from {}, which is not its master", address, m.getClass().getSimpleName(), from);
      return;
    }
    if (m instanceof AgentMessage.Ping) {
      armPingTimeout();
      agentId.ifPresent(id -> endpoint.send(master, new AgentMessage.Pong(id)));
    } else if (m instanceof AgentMessage.RunTask run) {
      runTask(run);
    } else if (m instanceof AgentMessage.RunTaskGroup group) {
      executors.run(group.frameworkId(), group.framework(), group.executor(), group.tasks(), true);
    } else if (m instanceof AgentMessage.FrameworkToExecutor fm) {
      executors.message(fm.frameworkId(), fm.executorId(), fm.base64Data());
    } else if (m instanceof AgentMessage.KillTask kill) {
      killTask(kill.frameworkId(), kill.taskId(), kill.gracePeriod());
    } else if (m instanceof AgentMessage.ShutdownFramework s) {
      for (Running r : new ArrayList<>(tasks.values())) {
        if (r.frameworkId.equals(s.frameworkId())) {
          killTask(r.frameworkId, r.task.taskId(), Optional.empty());
        }
      }
      executors.shutdownFramework(s.frameworkId());
    } else if (m instanceof AgentMessage.StatusUpdateAcknowledgement ack) {
      if (updates.acknowledge(ack.taskId(), ack.uuid())) {
        executors.acknowledged(ack.taskId(), ack.uuid());
      }
    } else if (m instanceof AgentMessage.ShutdownAgent s) {
      // As in Mesos, an agent the master does not accept stops; its tasks must not outlive it.
      LOG.error("agent {} told to shut down by {}: {}", address, from, s.reason());
      stop();
      containerizer.close();
    }
  }

  private void registered(Address from, AgentMessage.AgentRegistered r) {
    if (!from.equals(master)) {
      return;
    }
    if (agentId.isPresent() && !agentId.get().equals(r.agentId())) {
      LOG.warn("agent {} was {} and is now {}", address, agentId.get(), r.agentId());
    }
    agentId = Optional.of(r.agentId());
    store.writeAgentId(r.agentId());
    registered = true;
    endpoint.link(master); // again: a link fires once, and this may be a new master at the same address
    if (registrationTimer != null) {
      registrationTimer.cancel();
      registrationTimer = null;
    }
    LOG.info("agent {} registered as {}", address, r.agentId());
    pingInterval = r.pingInterval();
    armPingTimeout();
    updates.resume();
  }

  /**
   * (Re)starts the wait for the master's next ping. A master that stops pinging has lost us (a
   * partition, or it marked us unreachable): re-register, so that it takes us and our tasks back.
   */
  private void armPingTimeout() {
    if (pingTimer != null) {
      pingTimer.cancel();
    }
    if (pingInterval == null || stopped) {
      return;
    }
    Duration timeout = pingInterval.multipliedBy(MAX_PING_MISSES);
    pingTimer = loop.schedule(timeout, () -> {
      if (registered && !stopped) {
        LOG.warn("agent {} heard no ping from {} for {}; re-registering", address, master, timeout);
        registered = false;
        updates.pause();
        register(settings.registrationBackoff());
      }
    });
  }

  // ------------------------------------------------------------------ tasks

  private void runTask(AgentMessage.RunTask run) {
    TaskInfo task = run.task();
    if (tasks.containsKey(task.taskId())) {
      LOG.warn("agent {} already runs task {}; ignoring a second launch", address, task.taskId());
      return;
    }
    if (task.executor().isPresent()) {
      executors.run(run.frameworkId(), run.framework(), task.executor().get(), List.of(task), false);
      return;
    }
    // Unique across restarts of the agent (a restarted agent may re-adopt the old containers).
    ContainerId containerId = new ContainerId(task.taskId().value() + "." + Long.toUnsignedString(random.nextLong(), 36));
    Path sandbox = workDir.resolve("frameworks").resolve(run.frameworkId().value())
        .resolve("tasks").resolve(task.taskId().value()).resolve("runs").resolve(containerId.value());
    Running r = new Running(run.frameworkId(), run.framework(), task, containerId, sandbox);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MESOS_SANDBOX", sandbox.toString());
    env.put("MESOS_TASK_ID", task.taskId().value());
    env.put("MESOS_FRAMEWORK_ID", run.frameworkId().value());
    agentId.ifPresent(id -> env.put("MESOS_AGENT_ID", id.value()));
    ContainerConfig config = new ContainerConfig(containerId, task, sandbox, env,
        task.command().user().or(() -> Optional.of(run.framework().user())));
    r.config = config;
    tasks.put(task.taskId(), r);
    // The sandbox is made off the loop: three directory creates, which take a millisecond or more
    // on a busy disk (the largest part of a launch for the agent's loop). The task stays STAGING,
    // known to kills and reconciliation, until it is there.
    try {
      disk.execute(() -> {
        IOException failure = null;
        try {
          Files.createDirectories(sandbox);
        } catch (IOException e) {
          failure = e;
        }
        IOException f = failure;
        loop.execute(() -> sandboxMade(r, f));
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      sandboxMade(r, new IOException("the agent is stopping"));
    }
  }

  /** The sandbox of {@code r} was made (or not: {@code failure}): launches it unless it ended or was killed meanwhile. */
  private void sandboxMade(Running r, IOException failure) {
    if (tasks.get(r.task.taskId()) != r || stopped) {
      return;
    }
    if (failure != null) {
      report(r, TaskState.FAILED, Reason.REASON_CONTAINER_LAUNCH_FAILED,
          "Cannot create sandbox " + r.config.sandbox() + ": " + failure);
      endTask(r);
      return;
    }
    if (r.killRequested) {
      report(r, TaskState.KILLED, null, "Killed before it was launched");
      endTask(r);
      return;
    }
    report(r, TaskState.STARTING, null, null);
    containerizer.launch(r.config).whenComplete((status, error) -> loop.execute(() -> launched(r, status, error)));
  }

  private void launched(Running r, ContainerStatus status, Throwable error) {
    if (error != null) {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      report(r, TaskState.FAILED, Reason.REASON_CONTAINER_LAUNCH_FAILED, "Failed to launch: " + cause.getMessage());
      endTask(r);
      return;
    }
    r.launched = true;
    r.pid = status.pid();
    containerizer.termination(r.containerId)
        .whenComplete((termination, e) -> loop.execute(() -> terminated(r, termination, e)));
    if (r.killRequested) {
      destroy(r);
    } else {
      report(r, TaskState.RUNNING, null, null);
      checkHealth(r);
    }
  }

  private void checkHealth(Running r) {
    r.task.healthCheck().ifPresent(check -> health.start(r.task.taskId(), r.config, check));
  }

  private void killTask(FrameworkId frameworkId, TaskId taskId, Optional<Duration> grace) {
    if (executors.owns(taskId)) {
      executors.kill(frameworkId, taskId, grace);
      return;
    }
    Running r = tasks.get(taskId);
    if (r == null && updates.terminated(taskId)) {
      return; // it ended already; its terminal update is (or was) on its way
    }
    if (r == null || !r.frameworkId.equals(frameworkId)) {
      TaskStatus lost = status(taskId, TaskState.LOST, Reason.REASON_TASK_UNKNOWN, "Task unknown to the agent");
      updates.add(frameworkId, lost);
      return;
    }
    if (r.killRequested) {
      return;
    }
    r.killRequested = true;
    health.stop(taskId);
    r.killGrace = grace.or(() -> r.task.killGracePeriod());
    if (r.framework.has(Capability.TASK_KILLING_STATE) && r.state.canTransitionTo(TaskState.KILLING)) {
      report(r, TaskState.KILLING, null, null);
    }
    if (r.launched) {
      destroy(r);
    }
  }

  private void destroy(Running r) {
    containerizer.destroy(r.containerId, r.killGrace.orElse(settings.defaultKillGrace()));
  }

  private void terminated(Running r, ContainerTermination t, Throwable error) {
    if (tasks.get(r.task.taskId()) != r) {
      return;
    }
    if (r.killedOnRecovery) {
      report(r, TaskState.FAILED, Reason.REASON_AGENT_RESTARTED, "Agent restarted; the framework does not checkpoint");
    } else if (error != null) {
      report(r, TaskState.FAILED, Reason.REASON_EXECUTOR_TERMINATED, "Container lost: " + error.getMessage());
    } else if (t.limitation().isPresent()) {
      ContainerTermination.Limitation l = t.limitation().get();
      Reason reason = "mem".equals(l.resource()) ? Reason.REASON_CONTAINER_LIMITATION_MEMORY : Reason.REASON_CONTAINER_LIMITATION;
      report(r, TaskState.FAILED, reason, limitationMessage(l));
    } else if (r.healthKill.isPresent()) {
      report(r, TaskState.KILLED, Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, r.healthKill.get());
    } else if (t.destroyed() || r.killRequested) {
      report(r, TaskState.KILLED, null, t.message());
    } else if (t.succeeded()) {
      report(r, TaskState.FINISHED, null, t.message());
    } else {
      report(r, TaskState.FAILED, Reason.REASON_COMMAND_EXECUTOR_FAILED, t.message());
    }
    endTask(r);
  }

  /**
   * "container limitation: memory: Memory limit 64 MB exceeded ...": the resource in words
   * (mem as memory, cpus as cpu), then the containerizer's message, which names the limit.
   */
  static String limitationMessage(ContainerTermination.Limitation l) {
    String resource = switch (l.resource()) {
      case "mem" -> "memory";
      case "cpus" -> "cpu";
      default -> l.resource();
    };
    return "container limitation: " + resource + ": " + l.message();
  }

  private void report(Running r, TaskState state, Reason reason, String message) {
    r.state = state;
    TaskStatus s = status(r.task.taskId(), state, reason, message);
    updates.add(r.frameworkId, r.healthy.isPresent() ? s.withHealthy(r.healthy.get()) : s);
  }

  private TaskStatus status(TaskId taskId, TaskState state, Reason reason, String message) {
    return TaskStatus.of(taskId, state, TaskStatus.Source.SOURCE_AGENT, agentId.orElse(null), reason, message,
        loop.clock().instant()).withUuid(new UUID(random.nextLong(), random.nextLong()));
  }

  AgentSnapshot snapshot() {
    List<AgentSnapshot.TaskView> views = new ArrayList<>();
    for (Running r : tasks.values()) {
      views.add(new AgentSnapshot.TaskView(r.frameworkId, r.task.taskId(), r.state, r.pid, r.sandbox, r.containerId));
    }
    views.addAll(executors.views());
    return new AgentSnapshot(agentId, registered, views, updates.pendingCount());
  }
}
