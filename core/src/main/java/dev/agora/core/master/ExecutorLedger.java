package dev.agora.core.master;

import dev.agora.core.allocation.Allocator;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.protocol.AgentMessage;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's books of framework executors (Mesos's {@code Slave::executors}): which custom
 * executor runs on which agent, so that an executor's own resources ({@link ExecutorInfo#resources()})
 * are allocated once per (framework, executor id, agent) from the first task that starts it until
 * the agent reports it ended, and are never offered meanwhile.
 *
 * <p>Invariants: an entry's resources are held in the allocator for its framework on its agent
 * exactly while the entry exists; they go back exactly once: when the agent reports the executor
 * ended ({@link AgentMessage.ExitedExecutor}) or no longer reports it when re-registering, or when
 * the framework is removed. An agent's removal drops its entries without recovering (the
 * allocator forgets the whole agent).
 *
 * <p>Concurrency: confined to the master's loop, as the rest of the registry.
 */
final class ExecutorLedger {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorLedger.class);

  record Key(FrameworkId frameworkId, ExecutorId executorId, AgentId agentId) {}

  private final Allocator allocator;
  private final Map<Key, ExecutorInfo> executors = new LinkedHashMap<>();

  ExecutorLedger(Allocator allocator) {
    this.allocator = allocator;
  }

  /**
   * What launching a task under {@code executor} on {@code agentId} costs beyond the task's own
   * resources: the executor's resources if it does not run there yet, else nothing.
   */
  Resources charge(FrameworkId frameworkId, AgentId agentId, Optional<ExecutorInfo> executor) {
    if (executor.isEmpty() || executors.containsKey(new Key(frameworkId, executor.get().executorId(), agentId))) {
      return Resources.EMPTY;
    }
    return executor.get().resources();
  }

  /** A task under {@code executor} was sent to the agent: the executor runs there from now on. */
  void launched(FrameworkId frameworkId, AgentId agentId, ExecutorInfo executor) {
    executors.putIfAbsent(new Key(frameworkId, executor.executorId(), agentId), executor);
  }

  /** Whether the master counts {@code executorId} as running on the agent. */
  boolean runs(FrameworkId frameworkId, ExecutorId executorId, AgentId agentId) {
    return executors.containsKey(new Key(frameworkId, executorId, agentId));
  }

  /** The resources the executors of a framework hold on an agent. */
  Resources held(FrameworkId frameworkId, AgentId agentId) {
    Resources sum = Resources.EMPTY;
    for (Map.Entry<Key, ExecutorInfo> e : executors.entrySet()) {
      if (e.getKey().frameworkId().equals(frameworkId) && e.getKey().agentId().equals(agentId)) {
        sum = sum.add(e.getValue().resources());
      }
    }
    return sum;
  }

  /** The agent reports the executor ended: its resources go back. Idempotent. */
  void exited(AgentId agentId, FrameworkId frameworkId, ExecutorId executorId) {
    ExecutorInfo info = executors.remove(new Key(frameworkId, executorId, agentId));
    if (info != null) {
      LOG.info("executor {} of framework {} on agent {} ended; recovering {}", executorId, frameworkId, agentId,
          info.resources());
      recover(frameworkId, agentId, info);
    }
  }

  /**
   * A known agent re-registered reporting {@code reported}: executors the master counts there but
   * the agent no longer runs ended while the books were not told; their resources go back.
   */
  void reconcile(AgentId agentId, List<AgentMessage.AgentExecutor> reported) {
    Set<Key> running = new HashSet<>();
    for (AgentMessage.AgentExecutor e : reported) {
      running.add(new Key(e.frameworkId(), e.executor().executorId(), agentId));
    }
    for (Iterator<Map.Entry<Key, ExecutorInfo>> it = executors.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, ExecutorInfo> e = it.next();
      if (e.getKey().agentId().equals(agentId) && !running.contains(e.getKey())) {
        it.remove();
        LOG.info("executor {} of framework {} is no longer on re-registered agent {}; recovering {}",
            e.getKey().executorId(), e.getKey().frameworkId(), agentId, e.getValue().resources());
        recover(e.getKey().frameworkId(), agentId, e.getValue());
      }
    }
  }

  /**
   * An agent unknown to the master (after a failover or a partition) re-registered running
   * {@code executor}: it is counted again. The caller adds the returned resources to what it
   * tells the allocator the framework uses on the agent.
   */
  Resources adopt(AgentId agentId, AgentMessage.AgentExecutor executor) {
    Key key = new Key(executor.frameworkId(), executor.executor().executorId(), agentId);
    if (executors.putIfAbsent(key, executor.executor()) != null) {
      return Resources.EMPTY;
    }
    return executor.executor().resources();
  }

  /** The framework is gone: its executors' resources go back (the agents shut the executors down). */
  void frameworkRemoved(FrameworkId frameworkId) {
    for (Iterator<Map.Entry<Key, ExecutorInfo>> it = executors.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, ExecutorInfo> e = it.next();
      if (e.getKey().frameworkId().equals(frameworkId)) {
        it.remove();
        recover(frameworkId, e.getKey().agentId(), e.getValue());
      }
    }
  }

  /** The agent left the books (the allocator forgets it whole): its entries go without recovery. */
  void agentRemoved(AgentId agentId) {
    executors.keySet().removeIf(k -> k.agentId().equals(agentId));
  }

  /** The executors the master counts, for tests and snapshots. */
  Map<Key, ExecutorInfo> all() {
    return Map.copyOf(executors);
  }

  private void recover(FrameworkId frameworkId, AgentId agentId, ExecutorInfo info) {
    if (!info.resources().isEmpty()) {
      allocator.recoverResources(frameworkId, agentId, info.resources(), Optional.empty());
    }
  }
}
