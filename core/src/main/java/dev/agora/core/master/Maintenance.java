package dev.agora.core.master;

import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.InverseOffer;
import dev.agora.core.model.MachineId;
import dev.agora.core.model.MaintenanceSchedule;
import dev.agora.core.model.MaintenanceStatus;
import dev.agora.core.model.MaintenanceWindow;
import dev.agora.core.model.OfferId;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's maintenance book, as Mesos's maintenance primitives: a schedule of machine
 * unavailability, inverse offers asking the frameworks that use a scheduled machine's agents to
 * vacate them (answered by ACCEPT/DECLINE_INVERSE_OFFERS), machines taken DOWN (their agents
 * removed and refused) and brought back UP, and agents drained (tasks killed, no offers) or
 * deactivated (no offers).
 *
 * <p>Machine modes: a machine in the schedule is DRAINING until START_MAINTENANCE makes it DOWN;
 * STOP_MAINTENANCE makes it UP and takes it out of the schedule. A DOWN machine must stay in the
 * schedule.
 *
 * <p>Concurrency: confined to the master's loop, like {@link MasterActor}; no locks. The state
 * is not persisted: after a master failover the operator sets the schedule again (as weights and
 * quota today).
 *
 * <p>Invariants: {@code down} is a subset of the schedule's machines; an outstanding inverse offer
 * is for a registered agent on a DRAINING machine, and at most one per agent and framework;
 * {@code draining} is a subset of {@code deactivated}.
 */
final class Maintenance {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

  private record Key(AgentId agentId, FrameworkId frameworkId) {}

  private final MasterActor master;
  private final Registry registry;
  private MaintenanceSchedule schedule = MaintenanceSchedule.EMPTY;
  private final Set<MachineId> down = new LinkedHashSet<>();
  /** Answers per scheduled machine and framework. */
  private final Map<MachineId, Map<FrameworkId, MaintenanceStatus.InverseOfferStatus>> statuses = new HashMap<>();
  private final Map<OfferId, InverseOffer> outstanding = new LinkedHashMap<>();
  private final Map<Key, OfferId> outstandingByKey = new HashMap<>();
  private final Set<Key> accepted = new HashSet<>();
  /** Declined inverse offers are not made again before this time (clock nanos). */
  private final Map<Key, Long> declinedUntil = new HashMap<>();
  private final Set<AgentId> deactivated = new LinkedHashSet<>();
  /** Agents being drained, and whether to mark them gone once drained. */
  private final Map<AgentId, Boolean> draining = new LinkedHashMap<>();
  private long nextInverseOffer;

  Maintenance(MasterActor master, Registry registry) {
    this.master = master;
    this.registry = registry;
  }

  // ------------------------------------------------------------------ operator calls

  MaintenanceSchedule schedule() {
    return schedule;
  }

  /**
   * Replaces the schedule. Machines new to it start DRAINING (their frameworks get inverse offers
   * at once); machines left out of it are UP again (their inverse offers are rescinded).
   *
   * @throws IllegalArgumentException naming a DOWN machine the new schedule leaves out
   */
  void updateSchedule(MaintenanceSchedule next) {
    Set<MachineId> machines = next.machines();
    for (MachineId m : down) {
      if (!machines.contains(m)) {
        throw new IllegalArgumentException("machine " + m + " is down: stop its maintenance before"
            + " removing it from the schedule");
      }
    }
    Set<MachineId> dropped = new HashSet<>(schedule.machines());
    dropped.removeAll(machines);
    schedule = next;
    for (MachineId m : dropped) {
      statuses.remove(m);
    }
    for (InverseOffer o : new ArrayList<>(outstanding.values())) {
      if (schedule.windowOf(o.hostname()).isEmpty()) {
        rescind(o);
      }
    }
    accepted.removeIf(k -> !scheduled(k.agentId()));
    declinedUntil.keySet().removeIf(k -> !scheduled(k.agentId()));
    LOG.info("maintenance schedule: {} windows, {} machines", next.windows().size(), machines.size());
    persist();
    tick();
  }

  /**
   * Takes scheduled machines DOWN: their agents are removed (their tasks lost to their
   * frameworks) and told to shut down, and agents on them may not register until
   * {@link #stopMaintenance}.
   *
   * @throws IllegalArgumentException naming a machine that is not scheduled or already down
   */
  void startMaintenance(List<MachineId> machines) {
    Set<MachineId> scheduled = schedule.machines();
    for (MachineId m : machines) {
      if (!scheduled.contains(m)) {
        throw new IllegalArgumentException("machine " + m + " is not in the maintenance schedule");
      }
      if (down.contains(m)) {
        throw new IllegalArgumentException("machine " + m + " is already down");
      }
    }
    for (MachineId m : machines) {
      down.add(m);
      statuses.remove(m);
      for (AgentEntry a : new ArrayList<>(registry.agents.values())) {
        if (m.matches(a.info.hostname())) {
          String why = "machine " + m.hostname() + " is down for maintenance";
          for (InverseOffer o : new ArrayList<>(outstanding.values())) {
            if (o.agentId().equals(a.id)) {
              rescind(o);
            }
          }
          master.tasks().agentLost(a, why);
          master.forgetAgent(a);
          master.send(a.address, new AgentMessage.ShutdownAgent(why));
          deactivated.remove(a.id);
          draining.remove(a.id);
        }
      }
      LOG.info("machine {} is down for maintenance", m);
    }
    persist();
  }

  /**
   * Brings DOWN machines UP again and takes them out of the schedule; their agents may register.
   *
   * @throws IllegalArgumentException naming a machine that is not down
   */
  void stopMaintenance(List<MachineId> machines) {
    for (MachineId m : machines) {
      if (!down.contains(m)) {
        throw new IllegalArgumentException("machine " + m + " is not down");
      }
    }
    Set<MachineId> up = new HashSet<>(machines);
    down.removeAll(up);
    List<MaintenanceWindow> windows = new ArrayList<>();
    for (MaintenanceWindow w : schedule.windows()) {
      List<MachineId> left = w.machines().stream().filter(m -> !up.contains(m)).toList();
      if (!left.isEmpty()) {
        windows.add(new MaintenanceWindow(left, w.start(), w.duration()));
      }
    }
    schedule = new MaintenanceSchedule(windows);
    LOG.info("machines {} are up after maintenance", up);
    persist();
  }

  // ------------------------------------------------------------------ durability

  /**
   * Hands the schedule and the machines now down to the registrar, which keeps them in the store
   * (one small record, rewritten only on an operator's change, never per offer or task).
   */
  private void persist() {
    com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
        .objectNode();
    o.set("schedule", MesosJson.maintenanceSchedule(schedule));
    com.fasterxml.jackson.databind.node.ArrayNode machines = o.putObject("down").putArray("machines");
    down.forEach(m -> machines.add(MesosJson.machineId(m)));
    master.registrar().maintenance(o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Takes back what {@link #persist()} wrote, on a new leader's recovery: the schedule and the
   * machines that are down (agents on them are refused until maintenance stops). Inverse offers
   * are made afresh by the next {@link #tick()}.
   *
   * @throws dev.agora.core.codec.CodecException if the record is not what {@link #persist()} writes
   */
  void restore(byte[] record) {
    com.fasterxml.jackson.databind.JsonNode o = MesosJson.parse(record);
    schedule = MesosJson.decodeMaintenanceSchedule(o.path("schedule"), "registry maintenance.schedule");
    down.clear();
    down.addAll(MesosJson.decodeMachines(o.path("down"), "registry maintenance.down"));
    LOG.info("recovered maintenance: {} windows, machines down {}", schedule.windows().size(), down);
  }

  /** Whether an agent with this hostname runs on a machine that is down. */
  boolean isDown(String hostname) {
    for (MachineId m : down) {
      if (m.matches(hostname)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Drains a registered agent (Mesos DRAIN_AGENT): it is deactivated (no offers), its offers are
   * rescinded and its tasks killed, with {@code maxGracePeriod} if given; once no task is left it
   * is DRAINED, and marked gone if {@code markGone}.
   *
   * @throws IllegalArgumentException if the agent is not registered
   */
  void drainAgent(AgentId id, Optional<Duration> maxGracePeriod, boolean markGone) {
    AgentEntry a = requireAgent(id);
    deactivate(a);
    draining.put(id, markGone);
    for (TaskEntry t : new ArrayList<>(a.tasks.values())) {
      if (!t.state().isTerminal()) {
        master.send(a.address, new AgentMessage.KillTask(t.frameworkId, t.info.taskId(), maxGracePeriod));
      }
    }
    LOG.info("draining agent {} ({} tasks)", id, a.tasks.size());
    collectDrained();
  }

  /**
   * Deactivates a registered agent (Mesos DEACTIVATE_AGENT): no offers are made for it and its
   * outstanding offers are rescinded; its tasks keep running. Idempotent.
   *
   * @throws IllegalArgumentException if the agent is not registered
   */
  void deactivateAgent(AgentId id) {
    deactivate(requireAgent(id));
  }

  /**
   * Reactivates an agent (Mesos REACTIVATE_AGENT), ending a drain too: it is offered again.
   *
   * @throws IllegalArgumentException if the agent is not registered or not deactivated
   */
  void reactivateAgent(AgentId id) {
    requireAgent(id);
    if (!deactivated.remove(id)) {
      throw new IllegalArgumentException("agent " + id + " is not deactivated");
    }
    draining.remove(id);
    master.allocator().activateAgent(id);
    master.requestAllocation(id);
    LOG.info("agent {} reactivated", id);
  }

  MaintenanceStatus status() {
    Map<MachineId, List<MaintenanceStatus.InverseOfferStatus>> byMachine = new TreeMap<>(
        Comparator.comparing(MachineId::hostname).thenComparing(MachineId::ip));
    for (MachineId m : schedule.machines()) {
      if (!down.contains(m)) {
        List<MaintenanceStatus.InverseOfferStatus> list = new ArrayList<>(
            statuses.getOrDefault(m, Map.of()).values());
        list.sort(Comparator.comparing(s -> s.frameworkId().value()));
        byMachine.put(m, list);
      }
    }
    List<MaintenanceStatus.DrainingMachine> machines = new ArrayList<>();
    byMachine.forEach((m, list) -> machines.add(new MaintenanceStatus.DrainingMachine(m, list)));
    List<MaintenanceStatus.DrainingAgent> drains = new ArrayList<>();
    draining.keySet().forEach(id -> drains.add(new MaintenanceStatus.DrainingAgent(id, drained(id))));
    return new MaintenanceStatus(machines, List.copyOf(down), drains, List.copyOf(deactivated));
  }

  // ------------------------------------------------------------------ master hooks

  /** A (re-)registered agent: the allocator must not offer it if it is deactivated. */
  void agentAdded(AgentEntry a) {
    if (deactivated.contains(a.id)) {
      master.allocator().deactivateAgent(a.id);
    }
  }

  /** A framework answers inverse offers. Unknown ids or other frameworks' offers are ignored. */
  void respond(FrameworkEntry f, SchedulerCall call) {
    boolean accept = call instanceof SchedulerCall.AcceptInverseOffers;
    List<OfferId> ids = accept
        ? ((SchedulerCall.AcceptInverseOffers) call).inverseOfferIds()
        : ((SchedulerCall.DeclineInverseOffers) call).inverseOfferIds();
    Filters filters = accept
        ? ((SchedulerCall.AcceptInverseOffers) call).filters()
        : ((SchedulerCall.DeclineInverseOffers) call).filters();
    for (OfferId id : ids) {
      InverseOffer o = outstanding.get(id);
      if (o == null || !o.frameworkId().equals(f.id)) {
        continue;
      }
      remove(o);
      Key key = new Key(o.agentId(), f.id);
      MaintenanceStatus.Answer answer = accept ? MaintenanceStatus.Answer.ACCEPT : MaintenanceStatus.Answer.DECLINE;
      machineOf(o.hostname()).ifPresent(m -> statuses.computeIfAbsent(m, k -> new HashMap<>())
          .put(f.id, new MaintenanceStatus.InverseOfferStatus(f.id, answer, master.loop().clock().instant())));
      if (accept) {
        accepted.add(key);
      } else {
        declinedUntil.put(key, master.loop().clock().nanoTime() + filters.refuse().toNanos());
      }
      LOG.info("framework {} {} inverse offer {} for agent {}", f.id, accept ? "accepted" : "declined", id,
          o.agentId());
    }
  }

  /**
   * Periodic work (every allocation interval): makes inverse offers to the frameworks running
   * tasks on agents of DRAINING machines that have none outstanding, have not accepted, and whose decline
   * has expired; collects drained agents.
   */
  void tick() {
    outstanding.values().removeIf(o -> {
      boolean stale = !registry.frameworks.containsKey(o.frameworkId()) || !registry.agents.containsKey(o.agentId());
      if (stale) {
        outstandingByKey.remove(new Key(o.agentId(), o.frameworkId()));
      }
      return stale;
    });
    long now = master.loop().clock().nanoTime();
    Map<FrameworkId, List<InverseOffer>> byFramework = new LinkedHashMap<>();
    for (AgentEntry a : registry.agents.values()) {
      Optional<MaintenanceWindow> window = schedule.windowOf(a.info.hostname());
      if (window.isEmpty() || isDown(a.info.hostname())) {
        continue;
      }
      Set<FrameworkId> users = new LinkedHashSet<>();
      a.tasks.values().forEach(t -> users.add(t.frameworkId));
      for (FrameworkId fid : users) {
        FrameworkEntry f = registry.frameworks.get(fid);
        Key key = new Key(a.id, fid);
        if (f == null || !f.connected || outstandingByKey.containsKey(key) || accepted.contains(key)) {
          continue;
        }
        Long until = declinedUntil.get(key);
        if (until != null && until - now > 0) {
          continue;
        }
        declinedUntil.remove(key);
        InverseOffer o = new InverseOffer(OfferId.of(master.id() + "-IO" + nextInverseOffer++), fid, a.id,
            a.info.hostname(), window.get().start(), window.get().duration());
        outstanding.put(o.id(), o);
        outstandingByKey.put(key, o.id());
        MachineId m = machineOf(a.info.hostname()).orElseThrow();
        statuses.computeIfAbsent(m, k -> new HashMap<>()).putIfAbsent(fid,
            new MaintenanceStatus.InverseOfferStatus(fid, MaintenanceStatus.Answer.UNKNOWN,
                master.loop().clock().instant()));
        byFramework.computeIfAbsent(fid, k -> new ArrayList<>()).add(o);
      }
    }
    byFramework.forEach((fid, offers) ->
        master.send(registry.frameworks.get(fid).address, new SchedulerEvent.InverseOffers(offers)));
    collectDrained();
  }

  // ------------------------------------------------------------------ internals

  private void deactivate(AgentEntry a) {
    if (deactivated.add(a.id)) {
      master.allocator().deactivateAgent(a.id);
      LOG.info("agent {} deactivated", a.id);
    }
    master.rescindAgentOffers(a);
  }

  private boolean drained(AgentId id) {
    AgentEntry a = registry.agents.get(id);
    return a == null || a.tasks.values().stream().allMatch(t -> t.state().isTerminal());
  }

  private void collectDrained() {
    for (Map.Entry<AgentId, Boolean> e : new ArrayList<>(draining.entrySet())) {
      if (e.getValue() && drained(e.getKey()) && registry.agents.containsKey(e.getKey())) {
        LOG.info("agent {} is drained: marking it gone", e.getKey());
        draining.remove(e.getKey());
        deactivated.remove(e.getKey());
        master.partitions().markGone(e.getKey());
      }
    }
  }

  private boolean scheduled(AgentId id) {
    AgentEntry a = registry.agents.get(id);
    return a != null && schedule.windowOf(a.info.hostname()).isPresent();
  }

  private Optional<MachineId> machineOf(String hostname) {
    for (MachineId m : schedule.machines()) {
      if (m.matches(hostname)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  private void rescind(InverseOffer o) {
    remove(o);
    FrameworkEntry f = registry.frameworks.get(o.frameworkId());
    if (f != null && f.connected) {
      master.send(f.address, new SchedulerEvent.RescindInverseOffer(o.id()));
    }
  }

  private void remove(InverseOffer o) {
    outstanding.remove(o.id());
    outstandingByKey.remove(new Key(o.agentId(), o.frameworkId()));
  }

  private AgentEntry requireAgent(AgentId id) {
    AgentEntry a = registry.agents.get(id);
    if (a == null) {
      throw new IllegalArgumentException("unknown agent " + id);
    }
    return a;
  }
}
