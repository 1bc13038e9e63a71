package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.model.TaskStatus.Reason;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's partition awareness: agents that stopped answering pings, their tasks while they
 * are away, what happens when they come back, and the operator's "this agent is gone".
 *
 * <p>An agent that misses its pings becomes unreachable: the tasks of partition-aware frameworks
 * become TASK_UNREACHABLE and are remembered here (reconciliation answers UNREACHABLE for them),
 * those of other frameworks TASK_LOST; the agent's resources leave the allocator. When the agent
 * re-registers, the partition-aware tasks are RUNNING (or whatever the agent reports) again and
 * their frameworks are told; the others were already reported lost, so they are killed on the
 * agent, silently: their updates are acknowledged here and never reach the framework. An agent
 * marked gone by the operator has its tasks end TASK_GONE_BY_OPERATOR, and is shut down if it
 * ever returns. The registry of unreachable agents is trimmed by age and count (Mesos's
 * {@code registry_max_agent_age} and {@code registry_max_agent_count}); a collected agent that
 * comes back is treated like one the master never knew (admitted with its tasks).
 *
 * <p>Terminal states stay absorbing as a framework that is not partition-aware sees them: the
 * tasks this master reported TASK_LOST to such a framework (agent lost or marked gone, or unknown
 * to its re-registering agent) are remembered ({@link #MAX_REPORTED_LOST} at most, oldest
 * forgotten first, and until the framework launches a task with the same id). Any later update
 * about such a task that the master does not track (a retried TASK_KILLED whose acknowledgement
 * was lost, after the agent came back and the task was killed there) is acknowledged here and
 * never forwarded, and such a task reported by a re-registering agent is killed, not adopted, even
 * if the agent is no longer marked unreachable. That memory is in the durable registry, beside the
 * agent's mark, so a new leader keeps the promise too.
 *
 * <p>Concurrency: confined to the master's loop. Invariants: an agent id is in at most one of
 * {@code registry.agents}, {@code unreachable} and {@code gone}; {@code registry.unreachableAgents}
 * holds exactly the keys of {@code unreachable}; a task killed on return holds its resources in
 * the allocator until its terminal update arrives, then gives them back once.
 */
final class PartitionTracker {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionTracker.class);

  /** Mesos defaults: two weeks, 102,400 agents. */
  static final Duration DEFAULT_MAX_AGE = Duration.ofDays(14);
  static final int DEFAULT_MAX_COUNT = 102_400;
  /** How many tasks reported LOST to frameworks that are not partition-aware are remembered. */
  static final int MAX_REPORTED_LOST = 100_000;

  private final MasterActor master;
  private final Registry registry;
  private final TaskRouter tasks;
  private final Map<AgentId, Unreachable> unreachable = new LinkedHashMap<>();
  private final Set<AgentId> gone = new LinkedHashSet<>();
  private final Map<TaskKey, Killing> killingOnReturn = new LinkedHashMap<>();
  /** The tasks reported LOST, oldest first, with the agent each was on. */
  private final Map<TaskKey, AgentId> reportedLost = new LinkedHashMap<>();
  private Duration maxAge = DEFAULT_MAX_AGE;
  private int maxCount = DEFAULT_MAX_COUNT;

  /** An agent that is away, and the partition-aware tasks it had. */
  private static final class Unreachable {
    final Address address;
    final Instant since;
    final Map<TaskKey, TaskEntry> tasks = new LinkedHashMap<>();

    Unreachable(Address address, Instant since) {
      this.address = address;
      this.since = since;
    }
  }

  private record Killing(AgentId agentId, Resources resources) {}

  PartitionTracker(MasterActor master, Registry registry, TaskRouter tasks) {
    this.master = master;
    this.registry = registry;
    this.tasks = tasks;
  }

  void retention(Duration age, int count) {
    if (age.isNegative() || age.isZero() || count < 1) {
      throw new IllegalArgumentException("unreachable agent retention must be > 0 but was " + age + " / " + count);
    }
    maxAge = age;
    maxCount = count;
  }

  // ------------------------------------------------------------------ losing and regaining agents

  /**
   * Called when the agent missed its pings, before the router forgets its tasks: remembers the
   * partition-aware ones as unreachable.
   */
  void agentUnreachable(AgentEntry a) {
    Unreachable u = new Unreachable(a.address, master.loop().clock().instant());
    for (TaskEntry t : a.tasks.values()) {
      FrameworkEntry f = registry.frameworks.get(t.frameworkId);
      if (f != null && f.info.has(Capability.PARTITION_AWARE) && !t.state().isTerminal()) {
        TaskEntry copy = new TaskEntry(t.frameworkId, t.info, master.masterStatus(t.info.taskId(),
            TaskState.UNREACHABLE, a.id, Reason.REASON_AGENT_REMOVED, "Agent " + a.id + " is unreachable"));
        u.tasks.put(t.key(), copy);
      }
    }
    unreachable.put(a.id, u);
    registry.unreachableAgents.add(a.id);
    master.registrar().unreachable(a.id, a.info, u.since);
    collectGarbage();
  }

  /**
   * After a failover: the registry says the agent is unreachable since {@code since} (its tasks
   * are not known here), or it was admitted and did not re-register in time.
   */
  void restoreUnreachable(AgentId id, Instant since) {
    if (!gone.contains(id) && !registry.agents.containsKey(id)) {
      unreachable.putIfAbsent(id, new Unreachable(null, since));
      registry.unreachableAgents.add(id);
    }
  }

  /** After a failover: the registry says the agent was marked gone. */
  void restoreGone(AgentId id) {
    gone.add(id);
  }

  /** Whether the agent was marked gone by the operator. */
  boolean isGone(AgentId id) {
    return gone.contains(id);
  }

  /**
   * An unreachable agent re-registers: forgets it as unreachable.
   *
   * @return whether it was unreachable (then its reported tasks follow the partition rules)
   */
  boolean agentReturned(AgentId id) {
    Unreachable u = unreachable.remove(id);
    registry.unreachableAgents.remove(id);
    if (u != null) {
      LOG.info("unreachable agent {} is back after {}", id,
          Duration.between(u.since, master.loop().clock().instant()));
    }
    return u != null;
  }

  /**
   * Remembers (durably) that the framework, if not partition-aware, was told the task on
   * {@code agentId} is LOST while the task may still run there (its agent was lost, or did not
   * report it).
   */
  void reportedLost(FrameworkEntry f, TaskId taskId, AgentId agentId) {
    if (f.info.has(Capability.PARTITION_AWARE)) {
      return;
    }
    TaskKey key = new TaskKey(f.id, taskId);
    AgentId before = reportedLost.remove(key);
    if (before != null && !before.equals(agentId)) {
      master.registrar().lostForgotten(before, key);
    }
    reportedLost.put(key, agentId);
    master.registrar().reportedLost(agentId, key);
    if (reportedLost.size() > MAX_REPORTED_LOST) {
      Iterator<Map.Entry<TaskKey, AgentId>> oldest = reportedLost.entrySet().iterator();
      Map.Entry<TaskKey, AgentId> e = oldest.next();
      master.registrar().lostForgotten(e.getValue(), e.getKey());
      oldest.remove();
    }
  }

  /** After a failover: the registry says these tasks on the agent were reported LOST. */
  void restoreReportedLost(AgentId agentId, Set<TaskKey> keys) {
    for (TaskKey key : keys) {
      FrameworkEntry f = registry.frameworks.get(key.frameworkId());
      if (f != null && !registry.removedFrameworks.contains(key.frameworkId())) {
        reportedLost.putIfAbsent(key, agentId);
      }
    }
  }

  /** Whether the master told the framework (not partition-aware) that this task is LOST. */
  boolean wasReportedLost(FrameworkId frameworkId, TaskId taskId) {
    return reportedLost.containsKey(new TaskKey(frameworkId, taskId));
  }

  /** The framework launches a task with this id: a new task, whatever an old one was. */
  void launched(FrameworkId frameworkId, TaskId taskId) {
    TaskKey key = new TaskKey(frameworkId, taskId);
    AgentId on = reportedLost.remove(key);
    if (on != null) {
      master.registrar().lostForgotten(on, key); // a reused task id: rare, so a write is fine
    }
  }

  /** The framework is removed: forgets what it was told (the registrar forgets it on its own). */
  void frameworkRemoved(FrameworkId frameworkId) {
    reportedLost.keySet().removeIf(k -> k.frameworkId().equals(frameworkId));
  }

  /**
   * Decides what becomes of a task a returning unreachable agent reports.
   *
   * @return true if the master takes the task back (partition-aware framework); false if the task
   *     was reported lost and is being killed here
   */
  boolean admitReturning(FrameworkEntry f, AgentEntry a, AgentMessage.AgentTask t) {
    if (f.info.has(Capability.PARTITION_AWARE)) {
      return true;
    }
    killOnReturn(f, a, t);
    return false;
  }

  /**
   * Kills a task a re-registering agent reports, which its framework was told had ended: its
   * updates are acknowledged here and never forwarded, and its resources come back when it ends.
   */
  void killOnReturn(FrameworkEntry f, AgentEntry a, AgentMessage.AgentTask t) {
    TaskKey key = new TaskKey(f.id, t.task().taskId());
    killingOnReturn.put(key, new Killing(a.id, t.task().resources()));
    LOG.info("agent {} is back with task {} of framework {}, which was reported lost: killing it",
        a.id, t.task().taskId(), f.id);
    master.send(a.address, new AgentMessage.KillTask(f.id, t.task().taskId(), Optional.empty()));
  }

  /**
   * A returning agent reports a task that ended while it was away and whose terminal update is not
   * acknowledged yet. A framework that is not partition-aware was told the task was LOST: its
   * remaining updates are acknowledged here and not forwarded.
   */
  void endedWhileAway(AgentEntry a, AgentMessage.AgentTask t) {
    FrameworkEntry f = registry.frameworks.get(t.frameworkId());
    if (f != null && !f.info.has(Capability.PARTITION_AWARE)) {
      killingOnReturn.put(new TaskKey(f.id, t.task().taskId()), new Killing(a.id, Resources.EMPTY));
    }
  }

  /** Tells a partition-aware framework that its task is back in the state the agent reports. */
  void readmitted(FrameworkEntry f, TaskEntry t) {
    if (f.connected) {
      master.send(f.address, new SchedulerEvent.Update(t.status.withoutUuid()));
    }
  }

  // ------------------------------------------------------------------ status updates

  /**
   * Handles an update for a task being killed on return, or from an agent the master considers
   * unreachable or gone.
   *
   * @return whether the update was handled here (the router must not handle it)
   */
  boolean statusUpdate(Address from, Optional<AgentEntry> agent, AgentMessage.StatusUpdate u) {
    TaskStatus status = u.status();
    if (agent.isEmpty()) {
      if (status.agentId().isPresent() && gone.contains(status.agentId().get())) {
        return false; // marked gone: the router tells it to shut down
      }
      // Unreachable, or unknown to this master (it restarted, or the update was in flight while the
      // agent was being removed): as Mesos, ignore it. The agent re-registers when it misses our
      // pings, and resends.
      LOG.debug("ignoring update of task {} from {}, which is not registered", status.taskId(), from);
      return true;
    }
    AgentEntry a = agent.get();
    TaskKey key = new TaskKey(u.frameworkId(), status.taskId());
    Killing k = killingOnReturn.get(key);
    if (k == null || !k.agentId.equals(a.id)) {
      FrameworkEntry f = registry.frameworks.get(u.frameworkId());
      if (f != null && reportedLost.containsKey(key) && !f.tasks.containsKey(status.taskId())) {
        // Already terminal (LOST) as the framework sees it: e.g. the agent retries a KILLED update
        // we swallowed before, whose acknowledgement was lost. Acknowledge, do not forward.
        LOG.debug("update {} of task {} reported LOST before: acknowledged, not forwarded", status.state(),
            status.taskId());
        status.uuid().ifPresent(uuid -> master.send(from,
            new AgentMessage.StatusUpdateAcknowledgement(a.id, u.frameworkId(), status.taskId(), uuid)));
        return true;
      }
      return false;
    }
    status.uuid().ifPresent(uuid -> master.send(from,
        new AgentMessage.StatusUpdateAcknowledgement(a.id, u.frameworkId(), status.taskId(), uuid)));
    if (status.state().isTerminal()) {
      killingOnReturn.remove(key);
      if (!k.resources.isEmpty()) {
        master.allocator().recoverResources(u.frameworkId(), a.id, k.resources, Optional.empty());
        master.requestAllocation(a.id);
      }
    }
    return true;
  }

  /** Drops the killed-on-return tasks of an agent that goes away again (the allocator forgets it). */
  void agentRemoved(AgentId id) {
    killingOnReturn.values().removeIf(k -> k.agentId.equals(id));
  }

  // ------------------------------------------------------------------ reconciliation

  /** The task, if its agent is unreachable and its framework partition-aware. */
  Optional<TaskEntry> unreachableTask(FrameworkId frameworkId, TaskId taskId) {
    TaskKey key = new TaskKey(frameworkId, taskId);
    for (Unreachable u : unreachable.values()) {
      TaskEntry t = u.tasks.get(key);
      if (t != null) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** The framework's tasks on unreachable agents, for implicit reconciliation. */
  List<TaskEntry> unreachableTasks(FrameworkId frameworkId) {
    List<TaskEntry> out = new ArrayList<>();
    for (Unreachable u : unreachable.values()) {
      for (TaskEntry t : u.tasks.values()) {
        if (t.frameworkId.equals(frameworkId)) {
          out.add(t);
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ operator

  /**
   * MARK_AGENT_GONE: the agent will not come back. Its live tasks end TASK_GONE_BY_OPERATOR
   * (partition-aware frameworks) or TASK_LOST; a registered agent is told to shut down.
   *
   * @return whether the agent was known (registered or unreachable); false also if already gone
   */
  boolean markGone(AgentId id) {
    if (gone.contains(id)) {
      return false;
    }
    AgentEntry a = registry.agents.get(id);
    Unreachable u = unreachable.remove(id);
    registry.unreachableAgents.remove(id);
    if (a == null && u == null) {
      return false;
    }
    gone.add(id);
    master.registrar().gone(id);
    String why = "Agent " + id + " was marked gone by the operator";
    LOG.warn("{}", why);
    if (u != null) {
      for (TaskEntry t : u.tasks.values()) {
        FrameworkEntry f = registry.frameworks.get(t.frameworkId);
        if (f != null && f.connected) {
          master.send(f.address, new SchedulerEvent.Update(master.masterStatus(t.info.taskId(),
              TaskState.GONE_BY_OPERATOR, id, Reason.REASON_AGENT_REMOVED, why)));
        }
      }
    }
    if (a != null) {
      for (TaskEntry t : new ArrayList<>(a.tasks.values())) {
        FrameworkEntry f = registry.frameworks.get(t.frameworkId);
        if (f != null && f.connected && !t.state().isTerminal()) {
          boolean aware = f.info.has(Capability.PARTITION_AWARE);
          master.send(f.address, new SchedulerEvent.Update(master.masterStatus(t.info.taskId(),
              aware ? TaskState.GONE_BY_OPERATOR : TaskState.LOST, id, Reason.REASON_AGENT_REMOVED, why)));
        }
        if (f != null && !t.state().isTerminal()) {
          reportedLost(f, t.info.taskId(), id);
        }
        tasks.forget(t);
      }
      master.send(a.address, new AgentMessage.ShutdownAgent(why));
      master.forgetAgent(a);
    }
    return true;
  }

  // ------------------------------------------------------------------ garbage collection

  /** Forgets unreachable agents older than the maximum age, then the oldest beyond the maximum count. */
  void collectGarbage() {
    Instant cutoff = master.loop().clock().instant().minus(maxAge);
    Iterator<Map.Entry<AgentId, Unreachable>> it = unreachable.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<AgentId, Unreachable> e = it.next();
      boolean tooMany = unreachable.size() > maxCount;
      if (!tooMany && !e.getValue().since.isBefore(cutoff)) {
        break; // in order of arrival: the rest are younger
      }
      LOG.info("forgetting unreachable agent {} (unreachable since {})", e.getKey(), e.getValue().since);
      registry.unreachableAgents.remove(e.getKey());
      master.registrar().forget(e.getKey());
      it.remove();
    }
  }

  /** The unreachable agents, oldest first. */
  List<AgentId> unreachableAgents() {
    return List.copyOf(unreachable.keySet());
  }

  /** The agents marked gone. */
  Set<AgentId> goneAgents() {
    return Set.copyOf(gone);
  }
}
