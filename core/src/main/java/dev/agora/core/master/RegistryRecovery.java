package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.transport.Address;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new leader's recovery from the durable registry (Mesos's master recovery): while the
 * registry is read back, messages are held and then handled in order; weights, quotas,
 * frameworks (disconnected until they resubscribe), the unreachable and gone marks and the tasks
 * frameworks were told are LOST are restored; admitted agents wait to re-register with their tasks, and those that have not within
 * the agent re-registration timeout are marked unreachable (one batched write).
 *
 * <p>Operator calls ({@link #afterRecovery}) wait with the messages, in arrival order: answered
 * before the registry is back, a read would miss what it holds (weights, quotas, marks) and a
 * change would be overwritten by it. A held call is never dropped: it runs when the recovery ends,
 * however it ends.
 *
 * <p>Concurrency: confined to the master's loop. Invariants: messages and calls are held only
 * while a recovery of the current term runs; {@code registry.recoveringAgents} is empty when not
 * leading.
 */
final class RegistryRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryRecovery.class);
  /** Messages held while recovering, beyond which the oldest are dropped (senders retry). */
  static final int MAX_HELD = 1_000_000;

  /** A held message (from, message), or a held operator call (call). */
  private record Held(Address from, Message message, Runnable call) {}

  private final MasterActor master;
  private final Registry registry;
  private final java.util.ArrayDeque<Held> held = new java.util.ArrayDeque<>();
  private boolean recovering;
  private long term;
  private Cancellable timeout;
  private long dropped;

  RegistryRecovery(MasterActor master, Registry registry) {
    this.master = master;
    this.registry = registry;
  }

  /** The term {@code epoch} began: reads the registry back, holding messages meanwhile. */
  void begin(long epoch) {
    recovering = true;
    term = epoch;
    master.registrar().recover(epoch, recovered -> {
      if (recovering && term == epoch && master.isLeading()) {
        apply(recovered);
      }
    });
  }

  /** Whether the message is held for later (the registry is being read back). */
  boolean holds(Address from, Message message) {
    if (!recovering) {
      return false;
    }
    if (held.size() >= MAX_HELD) {
      Held oldest = held.removeFirst();
      if (oldest.call() != null) {
        oldest.call().run(); // calls are not dropped: this one answers early
      } else {
        dropped++;
      }
    }
    held.add(new Held(from, message, null));
    return true;
  }

  /** Runs the operator call now, or after the registry is read back if it is being read. */
  void afterRecovery(Runnable call) {
    if (recovering) {
      held.add(new Held(null, null, call));
    } else {
      call.run();
    }
  }

  /** The term ended: drops held messages and the re-registration deadline. */
  void end() {
    recovering = false;
    List<Held> calls = held.stream().filter(h -> h.call() != null).toList();
    held.clear();
    calls.forEach(h -> h.call().run()); // answered as the follower this master now is
    registry.recoveringAgents.clear();
    if (timeout != null) {
      timeout.cancel();
      timeout = null;
    }
  }

  /** The agent re-registered: it no longer counts as recovering. */
  void reregistered(AgentId id) {
    registry.recoveringAgents.remove(id);
  }

  private void apply(MasterRegistrar.Recovered r) {
    if (!r.weights().isEmpty()) {
      master.allocator().updateWeights(r.weights());
    }
    r.quotas().forEach(master.allocator()::updateQuota);
    r.maintenance().ifPresent(master.maintenance()::restore);
    registry.removedFrameworks.addAll(r.removedFrameworks());
    r.frameworks().forEach((id, info) -> {
      if (!registry.frameworks.containsKey(id) && !registry.removedFrameworks.contains(id)) {
        // Disconnected, with no failover timer (as Mesos): its tasks run on until it resubscribes.
        FrameworkEntry f = new FrameworkEntry(id, info, null);
        f.connected = false;
        registry.frameworks.put(id, f);
        master.allocator().addFramework(id, info, Map.of(), false);
      }
    });
    r.agents().forEach((id, record) -> {
      switch (record.mark()) {
        case ADMITTED -> {
          if (!registry.agents.containsKey(id)) {
            registry.recoveringAgents.add(id);
          }
        }
        case UNREACHABLE -> master.partitions().restoreUnreachable(id, Instant.ofEpochMilli(record.since()));
        case GONE -> master.partitions().restoreGone(id);
      }
    });
    r.reportedLost().forEach(master.partitions()::restoreReportedLost);
    recovering = false;
    if (!registry.recoveringAgents.isEmpty()) {
      timeout = master.loop().schedule(master.settings().agentReregistrationTimeout(), this::timedOut);
    }
    List<Held> replay = new ArrayList<>(held);
    held.clear();
    LOG.info("recovered: {} agents to re-register within {}, {} frameworks; handling {} held messages{}",
        registry.recoveringAgents.size(), master.settings().agentReregistrationTimeout(), r.frameworks().size(),
        replay.size(), dropped > 0 ? " (" + dropped + " dropped)" : "");
    dropped = 0;
    for (Held h : replay) {
      if (h.call() != null) {
        h.call().run();
      } else if (master.isLeading()) {
        master.dispatch(h.from(), h.message());
      }
    }
    if (!master.isLeading()) {
      return;
    }
    master.requestAllocation();
  }

  private void timedOut() {
    timeout = null;
    if (!master.isLeading() || registry.recoveringAgents.isEmpty()) {
      return;
    }
    Instant now = master.loop().clock().instant();
    LOG.warn("{} agents did not re-register within {}: marking them unreachable", registry.recoveringAgents.size(),
        master.settings().agentReregistrationTimeout());
    for (AgentId id : new ArrayList<>(registry.recoveringAgents)) {
      master.partitions().restoreUnreachable(id, now);
      master.registrar().unreachable(id, null, now);
    }
    registry.recoveringAgents.clear();
  }
}
