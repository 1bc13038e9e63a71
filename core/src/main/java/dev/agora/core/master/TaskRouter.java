package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.model.TaskStatus.Reason;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.transport.Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's task path: validates accepts and launches tasks, routes kills, status updates and
 * acknowledgements, and answers reconciliation. Runs on the master's loop.
 *
 * <p>Invariants: a task's resources return to the allocator exactly once, when the task first
 * reaches a terminal state or is forgotten while live. What a framework hears about a task is
 * absorbing: after a terminal state (the agent's, or one this master decided, remembered in
 * {@link ReportedEnds}) it hears that same state again or nothing; a later different update from
 * the agent is acknowledged here on the framework's behalf, and a task still live is killed.
 */
final class TaskRouter {
  private static final Logger LOG = LoggerFactory.getLogger(TaskRouter.class);

  private final MasterActor master;
  private final Registry registry;
  private final ReportedEnds ends = new ReportedEnds();
  private PartitionTracker partitions;

  TaskRouter(MasterActor master, Registry registry) {
    this.master = master;
    this.registry = registry;
  }

  void partitions(PartitionTracker value) {
    partitions = value;
  }

  /** The end this master told the framework for a task it decided had ended, if any. */
  Optional<TaskState> reportedEnd(FrameworkId frameworkId, TaskId taskId) {
    return ends.end(frameworkId, taskId);
  }

  /** The framework is removed: forgets what it was told. */
  void frameworkRemoved(FrameworkId frameworkId) {
    ends.frameworkRemoved(frameworkId);
  }

  // ------------------------------------------------------------------ accept

  void accept(FrameworkEntry f, SchedulerCall.Accept call) {
    List<TaskInfo> launches = new ArrayList<>();
    for (Operation op : call.operations()) {
      if (op instanceof Operation.Launch l) {
        launches.addAll(l.tasks());
      } else if (op instanceof Operation.LaunchGroup g) {
        launches.addAll(g.tasks());
      }
    }
    for (TaskInfo task : launches) {
      ends.launched(f.id, task.taskId()); // a new task, whatever one of the same id was
    }
    List<OfferEntry> offers = new ArrayList<>();
    Optional<String> invalid = validateOffers(f, call.offerIds(), offers);
    if (invalid.isPresent()) {
      LOG.info("framework {} accept refused: {}", f.id, invalid.get());
      for (OfferEntry o : offers) {
        master.removeOffer(o, false);
        master.allocator().recoverResources(f.id, o.offer.agentId(), o.offer.resources(), Optional.empty());
      }
      TaskState state = f.info.has(Capability.PARTITION_AWARE) ? TaskState.DROPPED : TaskState.LOST;
      for (TaskInfo task : launches) {
        update(f, master.masterStatus(task.taskId(), state, task.agentId(), Reason.REASON_INVALID_OFFERS, invalid.get()));
      }
      return;
    }
    AgentId agentId = offers.get(0).offer.agentId();
    AgentEntry agent = registry.agents.get(agentId);
    Resources available = Resources.EMPTY;
    for (OfferEntry o : offers) {
      master.removeOffer(o, false);
      available = available.add(o.offer.resources());
    }
    Set<TaskId> launchedNow = new HashSet<>();
    for (Operation op : call.operations()) {
      if (op instanceof Operation.Reserve || op instanceof Operation.Unreserve) {
        try {
          available = master.resourceOperations().apply(f, agentId, available, op);
        } catch (IllegalArgumentException e) {
          LOG.info("framework {}: {} dropped: {}", f.id, op.type(), e.getMessage());
        }
        continue;
      }
      if (op instanceof Operation.LaunchGroup group) {
        available = launchGroup(f, agent, group, available, launchedNow);
        continue;
      }
      if (!(op instanceof Operation.Launch launch)) {
        LOG.warn("framework {}: {} operations are not supported yet; ignored", f.id, op.type());
        continue;
      }
      for (TaskInfo task : launch.tasks()) {
        Resources executorCharge = master.executors().charge(f.id, agentId, task.executor());
        Optional<String> error = validateTask(f, task, agentId, available, launchedNow, executorCharge);
        if (error.isPresent()) {
          LOG.info("framework {} task {} invalid: {}", f.id, task.taskId(), error.get());
          update(f, master.masterStatus(task.taskId(), TaskState.ERROR, task.agentId(), Reason.REASON_TASK_INVALID, error.get()));
          continue;
        }
        available = available.subtract(task.resources()).subtract(executorCharge);
        task.executor().ifPresent(x -> master.executors().launched(f.id, agentId, x));
        launchedNow.add(task.taskId());
        partitions.launched(f.id, task.taskId());
        TaskEntry t = new TaskEntry(f.id, task,
            master.masterStatus(task.taskId(), TaskState.STAGING, agentId, null, null));
        f.tasks.put(task.taskId(), t);
        agent.tasks.put(t.key(), t);
        if (task.executor().isPresent()) {
          f.executorAgents.add(agentId);
        }
        master.send(agent.address, new AgentMessage.RunTask(f.id, f.info, task));
      }
    }
    if (!available.isEmpty()) {
      master.allocator().recoverResources(f.id, agentId, available, Optional.of(call.filters()));
    }
  }

  /**
   * Launches a task group, all or nothing (Mesos LAUNCH_GROUP): if any task is invalid, every task
   * of the group gets TASK_ERROR naming it. The tasks go to the agent in one message, run by the
   * group's executor.
   *
   * @return what is left of {@code available}
   */
  private Resources launchGroup(FrameworkEntry f, AgentEntry agent, Operation.LaunchGroup group, Resources available,
      Set<TaskId> launchedNow) {
    Resources left = available;
    Set<TaskId> inGroup = new HashSet<>(launchedNow);
    Optional<String> error = Optional.empty();
    Resources executorCharge = master.executors().charge(f.id, agent.id, Optional.of(group.executor()));
    if (!left.contains(executorCharge)) {
      error = Optional.of("Task group refused: executor " + group.executor().executorId() + " uses more resources ("
          + executorCharge + ") than available (" + left + ")");
    } else {
      left = left.subtract(executorCharge);
    }
    for (TaskInfo task : error.isPresent() ? List.<TaskInfo>of() : group.tasks()) {
      error = validateTask(f, task, agent.id, left, inGroup, Resources.EMPTY);
      if (error.isPresent()) {
        error = Optional.of("Task group refused: task " + task.taskId() + ": " + error.get());
        break;
      }
      left = left.subtract(task.resources());
      inGroup.add(task.taskId());
    }
    if (error.isPresent()) {
      LOG.info("framework {} {}", f.id, error.get());
      for (TaskInfo task : group.tasks()) {
        update(f, master.masterStatus(task.taskId(), TaskState.ERROR, task.agentId(), Reason.REASON_TASK_GROUP_INVALID,
            error.get()));
      }
      return available;
    }
    List<TaskInfo> tasks = new ArrayList<>();
    for (TaskInfo task : group.tasks()) {
      TaskInfo withExecutor = task.withExecutor(group.executor());
      tasks.add(withExecutor);
      launchedNow.add(task.taskId());
      TaskEntry t = new TaskEntry(f.id, withExecutor,
          master.masterStatus(task.taskId(), TaskState.STAGING, agent.id, null, null));
      f.tasks.put(task.taskId(), t);
      agent.tasks.put(t.key(), t);
    }
    f.executorAgents.add(agent.id);
    master.executors().launched(f.id, agent.id, group.executor());
    master.send(agent.address, new AgentMessage.RunTaskGroup(f.id, f.info, group.executor(), tasks));
    return left;
  }

  private Optional<String> validateOffers(FrameworkEntry f, List<OfferId> ids, List<OfferEntry> valid) {
    if (ids.isEmpty()) {
      return Optional.of("No offers given");
    }
    Set<OfferId> seen = new HashSet<>();
    String error = null;
    AgentId agent = null;
    for (OfferId id : ids) {
      OfferEntry o = registry.offers.get(id);
      if (!seen.add(id)) {
        error = error != null ? error : "Offer " + id + " appears more than once";
        continue;
      }
      if (o == null) {
        error = error != null ? error : "Offer " + id + " is no longer valid";
        continue;
      }
      if (!o.offer.frameworkId().equals(f.id)) {
        error = error != null ? error : "Offer " + id + " is not for framework " + f.id;
        continue;
      }
      valid.add(o);
      if (agent == null) {
        agent = o.offer.agentId();
      } else if (!agent.equals(o.offer.agentId())) {
        error = error != null ? error : "Offers " + ids + " are on more than one agent";
      }
    }
    if (error == null && !registry.agents.containsKey(agent)) {
      error = "Agent " + agent + " of the offers is gone";
    }
    return Optional.ofNullable(error);
  }

  private Optional<String> validateTask(FrameworkEntry f, TaskInfo task, AgentId agentId, Resources available,
      Set<TaskId> launchedNow, Resources executorCharge) {
    if (f.tasks.containsKey(task.taskId()) || launchedNow.contains(task.taskId())) {
      return Optional.of("Task has duplicate ID: " + task.taskId());
    }
    if (!task.agentId().equals(agentId)) {
      return Optional.of("Task uses agent " + task.agentId() + " but the offers are on agent " + agentId);
    }
    if (task.resources().isEmpty()) {
      return Optional.of("Task " + task.taskId() + " uses no resources");
    }
    if (!available.contains(task.resources())) {
      return Optional.of("Task " + task.taskId() + " uses more resources (" + task.resources()
          + ") than available (" + available + ")");
    }
    if (!available.contains(task.resources().add(executorCharge))) {
      return Optional.of("Task " + task.taskId() + " and its new executor " + task.executor().get().executorId()
          + " use more resources (" + task.resources() + " + " + executorCharge + ") than available ("
          + available + ")");
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ kill, ack, reconcile

  void kill(FrameworkEntry f, SchedulerCall.Kill call) {
    TaskEntry t = f.tasks.get(call.taskId());
    if (t == null) {
      reconcile(f, new SchedulerCall.Reconcile(f.id,
          List.of(new SchedulerCall.ReconcileTask(call.taskId(), call.agentId()))));
      return;
    }
    AgentEntry a = registry.agents.get(t.agentId);
    if (a != null && !t.state().isTerminal()) {
      master.send(a.address, new AgentMessage.KillTask(f.id, call.taskId(),
          call.gracePeriod().or(() -> t.info.killGracePeriod())));
    }
  }

  void acknowledge(FrameworkEntry f, SchedulerCall.Acknowledge call) {
    AgentEntry a = registry.agents.get(call.agentId());
    if (a != null) {
      master.send(a.address, new AgentMessage.StatusUpdateAcknowledgement(a.id, f.id, call.taskId(), call.uuid()));
    }
    TaskEntry t = f.tasks.get(call.taskId());
    if (t != null && t.state().isTerminal() && t.status.uuid().equals(Optional.of(call.uuid()))) {
      f.tasks.remove(call.taskId());
      if (a != null) {
        a.tasks.remove(t.key());
      }
    }
  }

  void reconcile(FrameworkEntry f, SchedulerCall.Reconcile call) {
    if (call.tasks().isEmpty()) {
      for (TaskEntry t : f.tasks.values()) {
        sendReconciled(f, t.status);
      }
      for (TaskEntry t : partitions.unreachableTasks(f.id)) {
        sendReconciled(f, t.status);
      }
      return;
    }
    boolean partitionAware = f.info.has(Capability.PARTITION_AWARE);
    for (SchedulerCall.ReconcileTask rt : call.tasks()) {
      TaskEntry t = f.tasks.get(rt.taskId());
      AgentId agent = rt.agentId().orElse(null);
      Optional<TaskEntry> away = t == null ? partitions.unreachableTask(f.id, rt.taskId()) : Optional.empty();
      Optional<TaskState> told = t == null ? ends.end(f.id, rt.taskId()) : Optional.empty();
      if (t != null) {
        sendReconciled(f, t.status);
      } else if (told.isPresent()) {
        update(f, master.masterStatus(rt.taskId(), told.get(), agent, Reason.REASON_RECONCILIATION,
            "Reconciliation: the task ended " + told.get()));
      } else if (away.isPresent()) {
        sendReconciled(f, away.get().status);
      } else if (agent != null ? registry.recoveringAgents.contains(agent) : !registry.recoveringAgents.isEmpty()) {
        // After a failover, as Mesos: the task's agent (or, without an agent id, any agent) may
        // still re-register with it; no answer until it does or is marked unreachable.
        LOG.debug("reconciliation of {} waits for recovering agents", rt.taskId());
      } else if (agent != null && registry.unreachableAgents.contains(agent)) {
        decided(f, master.masterStatus(rt.taskId(), partitionAware ? TaskState.UNREACHABLE : TaskState.LOST,
            agent, Reason.REASON_RECONCILIATION, "Reconciliation: agent " + agent + " is unreachable"));
      } else if (agent != null && registry.agents.containsKey(agent)) {
        decided(f, master.masterStatus(rt.taskId(), partitionAware ? TaskState.GONE : TaskState.LOST,
            agent, Reason.REASON_RECONCILIATION, "Reconciliation: task is unknown to the agent"));
      } else {
        decided(f, master.masterStatus(rt.taskId(), partitionAware ? TaskState.UNKNOWN : TaskState.LOST,
            agent, Reason.REASON_RECONCILIATION, "Reconciliation: task is unknown"));
      }
    }
  }

  private void sendReconciled(FrameworkEntry f, TaskStatus latest) {
    TaskStatus s = new TaskStatus(latest.taskId(), latest.state(), Optional.of(Reason.REASON_RECONCILIATION),
        latest.message(), TaskStatus.Source.SOURCE_MASTER, latest.agentId(), Optional.empty(), latest.healthy(),
        latest.timestamp());
    update(f, s);
  }

  // ------------------------------------------------------------------ status updates

  void statusUpdate(Address from, AgentMessage.StatusUpdate u) {
    TaskStatus status = u.status();
    LOG.debug("update {} {} of framework {} from {}", status.taskId(), status.state(), u.frameworkId(), from);
    FrameworkEntry f = registry.frameworks.get(u.frameworkId());
    Optional<AgentEntry> known = registry.agentAt(from);
    if (partitions.statusUpdate(from, known, u)) {
      return;
    }
    AgentEntry a = known.orElse(null);
    if (a == null) {
      LOG.warn("status update for task {} from {}, which is no registered agent; asking it to shut down",
          status.taskId(), from);
      master.send(from, new AgentMessage.ShutdownAgent("agent at " + from + " is not registered with this master"));
      return;
    }
    if (f == null) {
      // The framework is gone: nobody will acknowledge, so the master does, to drain the agent.
      status.uuid().ifPresent(uuid -> master.send(from,
          new AgentMessage.StatusUpdateAcknowledgement(a.id, u.frameworkId(), status.taskId(), uuid)));
      return;
    }
    TaskEntry t = f.tasks.get(status.taskId());
    Optional<TaskState> told = ends.end(f.id, status.taskId())
        .or(() -> t != null && t.state().isTerminal() ? Optional.of(t.state()) : Optional.empty());
    if (told.isPresent() && told.get() != status.state()) {
      swallow(a, f, status, told.get(), t == null && !status.state().isTerminal());
      return;
    }
    if (t != null) {
      if (t.state().canTransitionTo(status.state())) {
        t.status = status;
        if (status.state().isTerminal()) {
          master.allocator().recoverResources(f.id, a.id, t.info.resources(), Optional.empty());
          master.requestAllocation(a.id);
        }
      } else if (t.state() == status.state() && status.state().isTerminal() && t.status.uuid().isEmpty()) {
        t.status = status; // the agent's own copy of an end the master adopted: its ack forgets the task
      } else if (t.state() != status.state()) {
        LOG.debug("task {} update {} after {} ignored for state (forwarded)", status.taskId(), status.state(), t.state());
      }
    }
    if (f.connected) {
      master.send(f.address, new SchedulerEvent.Update(status));
    }
  }

  /**
   * An update about a task whose framework was told it ended in {@code end}: never forwarded (the
   * framework's view is absorbing). It is acknowledged here so that the agent's stream drains, and
   * a task still live on the agent that the master no longer tracks is killed there.
   */
  private void swallow(AgentEntry a, FrameworkEntry f, TaskStatus status, TaskState end, boolean kill) {
    LOG.info("update {} of task {} of framework {} from agent {} swallowed: the framework was told it ended {}{}",
        status.state(), status.taskId(), f.id, a.id, end, kill ? "; killing it" : "");
    status.uuid().ifPresent(uuid -> master.send(a.address,
        new AgentMessage.StatusUpdateAcknowledgement(a.id, f.id, status.taskId(), uuid)));
    if (kill) {
      master.send(a.address, new AgentMessage.KillTask(f.id, status.taskId(), Optional.empty()));
    }
  }

  /**
   * The agent is gone: its live tasks become UNREACHABLE (partition-aware) or LOST. As Mesos, the
   * frameworks are told once the agent's unreachable mark is durable: a leader that dies before
   * has told nobody (its successor, finding the agent admitted, waits for it to re-register), and
   * one that dies after leaves the mark to its successor, which then treats the agent's return as
   * a return from unreachable (its tasks' later updates swallowed, not forwarded after the LOST).
   */
  void agentLost(AgentEntry a, String why) {
    List<TaskStatus> told = new ArrayList<>();
    List<FrameworkId> to = new ArrayList<>();
    for (TaskEntry t : new ArrayList<>(a.tasks.values())) {
      FrameworkEntry f = registry.frameworks.get(t.frameworkId);
      if (f == null) {
        continue;
      }
      boolean aware = f.info.has(Capability.PARTITION_AWARE);
      if (!t.state().isTerminal()) {
        TaskStatus status = master.masterStatus(t.info.taskId(), aware ? TaskState.UNREACHABLE : TaskState.LOST, a.id,
            Reason.REASON_AGENT_REMOVED, why);
        if (status.state().isTerminal()) {
          ends.reported(f.id, status.taskId(), status.state());
        }
        partitions.reportedLost(f, t.info.taskId(), a.id);
        told.add(status);
        to.add(f.id);
      }
      forget(t);
    }
    if (told.isEmpty()) {
      return;
    }
    master.registrar().afterCommit(() -> {
      for (int i = 0; i < told.size(); i++) {
        FrameworkEntry f = registry.frameworks.get(to.get(i));
        TaskStatus status = told.get(i);
        if (f == null || status.state() == TaskState.UNREACHABLE && f.tasks.containsKey(status.taskId())) {
          continue; // gone, or back already (its agent returned before the mark was durable)
        }
        update(f, status);
      }
    });
  }

  /**
   * Squares the books with a known agent that re-registers (it restarted, or reconnected): a live
   * task the master has on it but the agent no longer reports is gone (a non-checkpointing
   * framework's task after a restart, or one whose end the agent could not report): its framework
   * hears TASK_LOST (TASK_GONE if partition-aware) and its resources come back. STAGING tasks are
   * left alone: their launch may still be on its way to the agent, crossing the re-registration.
   */
  void reconcileKnownAgent(AgentEntry a, List<AgentMessage.AgentTask> reported) {
    Set<TaskKey> known = new HashSet<>();
    for (AgentMessage.AgentTask t : reported) {
      known.add(new TaskKey(t.frameworkId(), t.task().taskId()));
    }
    for (TaskEntry t : new ArrayList<>(a.tasks.values())) {
      if (known.contains(t.key()) || t.state() == TaskState.STAGING || t.state().isTerminal()) {
        continue;
      }
      FrameworkEntry f = registry.frameworks.get(t.frameworkId);
      if (f != null) {
        boolean aware = f.info.has(Capability.PARTITION_AWARE);
        decided(f, master.masterStatus(t.info.taskId(), aware ? TaskState.GONE : TaskState.LOST, a.id,
            Reason.REASON_AGENT_RESTARTED, "Task is unknown to agent " + a.id + " after it re-registered"));
        partitions.reportedLost(f, t.info.taskId(), a.id);
      }
      // Should it still run there after all (the agent's report was stale), it must not: its
      // framework was told it ended. Killing a task the agent does not know is harmless.
      master.send(a.address, new AgentMessage.KillTask(t.frameworkId, t.info.taskId(), Optional.empty()));
      LOG.info("task {} of framework {} is unknown to re-registered agent {}; forgotten", t.info.taskId(),
          t.frameworkId, a.id);
      forget(t);
    }
  }

  /** Drops a task from the books, giving its resources back if it was live. */
  void forget(TaskEntry t) {
    FrameworkEntry f = registry.frameworks.get(t.frameworkId);
    if (f != null) {
      f.tasks.remove(t.info.taskId());
    }
    AgentEntry a = registry.agents.get(t.agentId);
    if (a != null) {
      a.tasks.remove(t.key());
    }
    if (!t.state().isTerminal()) {
      master.allocator().recoverResources(t.frameworkId, t.agentId, t.info.resources(), Optional.empty());
    }
  }

  /** Takes in a task an agent reports when re-registering. */
  TaskEntry adopt(FrameworkEntry f, AgentEntry a, TaskInfo task, TaskState state) {
    TaskEntry t = new TaskEntry(f.id, task, master.masterStatus(task.taskId(), state, a.id, null, null));
    f.tasks.put(task.taskId(), t);
    a.tasks.put(t.key(), t);
    return t;
  }

  /**
   * Tells the framework an end the master decided for a task that may still exist on an agent
   * (its agent was lost, did not report it, or does not know it): remembered, so that nothing else
   * about the task reaches the framework after it.
   */
  private void decided(FrameworkEntry f, TaskStatus status) {
    if (status.state().isTerminal()) {
      ends.reported(f.id, status.taskId(), status.state());
    }
    update(f, status);
  }

  /**
   * Tells the framework a status the master holds or decided; one that contradicts an end the
   * framework was told is not sent.
   */
  private void update(FrameworkEntry f, TaskStatus status) {
    Optional<TaskState> told = ends.end(f.id, status.taskId());
    if (told.isPresent() && told.get() != status.state()) {
      LOG.debug("not telling framework {} that task {} is {}: it was told it ended {}", f.id, status.taskId(),
          status.state(), told.get());
      return;
    }
    if (f.connected) {
      master.send(f.address, new SchedulerEvent.Update(status));
    }
  }
}
