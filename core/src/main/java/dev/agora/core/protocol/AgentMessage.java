package dev.agora.core.protocol;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Messages between the master and its agents. */
public sealed interface AgentMessage extends Message {

  /** Agent to master: a new agent asks to join. */
  record RegisterAgent(AgentInfo info) implements AgentMessage {}

  /** Agent to master: a known agent rejoins (after a master failover or reconnect) with its tasks. */
  record ReregisterAgent(AgentId agentId, AgentInfo info, List<AgentTask> tasks, List<AgentExecutor> executors)
      implements AgentMessage {
    public ReregisterAgent {
      tasks = List.copyOf(tasks);
      executors = List.copyOf(executors);
    }

    /** An agent that runs no framework executor. */
    public ReregisterAgent(AgentId agentId, AgentInfo info, List<AgentTask> tasks) {
      this(agentId, info, tasks, List.of());
    }
  }

  /**
   * A framework executor an agent runs, as it reports it when re-registering (Mesos
   * {@code ReregisterSlaveMessage.executor_infos}): the master counts its resources as allocated.
   */
  record AgentExecutor(FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo executor) {}

  /**
   * Agent to master: a framework executor's container ended (Mesos {@code ExitedExecutorMessage});
   * the master takes back the executor's own resources. Best effort: an agent that re-registers
   * reports the executors it still runs, and the master drops those it no longer reports.
   */
  record ExitedExecutor(AgentId agentId, FrameworkId frameworkId, ExecutorId executorId, String message)
      implements AgentMessage {}

  /** A task an agent runs, as it reports it when re-registering. */
  record AgentTask(FrameworkId frameworkId, FrameworkInfo framework, TaskInfo task, TaskState state) {}

  /** Master to agent: admitted under {@code agentId}; the master pings every {@code pingInterval}. */
  record AgentRegistered(AgentId agentId, Duration pingInterval) implements AgentMessage {}

  /** Master to agent: run a task. */
  record RunTask(FrameworkId frameworkId, FrameworkInfo framework, TaskInfo task) implements AgentMessage {}

  /** Master to agent: run a task group under one executor of the framework's (Mesos LAUNCH_GROUP). */
  record RunTaskGroup(FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo executor, List<TaskInfo> tasks)
      implements AgentMessage {
    public RunTaskGroup {
      tasks = List.copyOf(tasks);
    }
  }

  /** Master to agent: a framework message for one of the framework's executors. */
  record FrameworkToExecutor(FrameworkId frameworkId, ExecutorId executorId, String base64Data)
      implements AgentMessage {}

  /** Agent to master: a message from an executor for its framework's scheduler. */
  record ExecutorToFramework(AgentId agentId, FrameworkId frameworkId, ExecutorId executorId, String base64Data)
      implements AgentMessage {}

  /** Master to agent: kill a task (TERM, then KILL after the grace period). */
  record KillTask(FrameworkId frameworkId, TaskId taskId, Optional<Duration> gracePeriod) implements AgentMessage {}

  /** Master to agent: kill every task of a framework and forget it. */
  record ShutdownFramework(FrameworkId frameworkId) implements AgentMessage {}

  /** Agent to master: a task's status, carrying a uuid; resent until acknowledged. */
  record StatusUpdate(FrameworkId frameworkId, TaskStatus status) implements AgentMessage {}

  /** Master to agent: the framework acknowledged update {@code uuid}. */
  record StatusUpdateAcknowledgement(AgentId agentId, FrameworkId frameworkId, TaskId taskId, UUID uuid)
      implements AgentMessage {}

  /** Master to agent: are you alive? */
  record Ping(AgentId agentId) implements AgentMessage {}

  /** Agent to master: yes. */
  record Pong(AgentId agentId) implements AgentMessage {}

  /** Master to agent: you are not (or no longer) part of the cluster; stop your tasks. */
  record ShutdownAgent(String reason) implements AgentMessage {}

  /**
   * Master to agent: {@code message} (a command such as {@link RunTask} or {@link KillTask}) sent by
   * the leader of {@code epoch}. An agent remembers the highest epoch it has seen and refuses
   * (drops, without effect) anything stamped with a lower one, or not stamped at all once it has
   * seen a stamp: a deposed leader that still sends cannot act through the agents.
   *
   * @param epoch the sender's leadership epoch, {@code >= 1}
   * @param message the command; never itself stamped
   */
  record Stamped(long epoch, AgentMessage message) implements AgentMessage {
    public Stamped {
      if (epoch < 1) {
        throw new IllegalArgumentException("epoch must be >= 1 but was " + epoch);
      }
      java.util.Objects.requireNonNull(message, "message");
      if (message instanceof Stamped) {
        throw new IllegalArgumentException("a stamped message must not be stamped again: " + message);
      }
    }
  }
}
