package dev.agora.core.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.allocation.Quota;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's durable registry (Mesos's registrar): what must survive a failover, kept in a
 * {@link StateStore} and written through the leader's fenced view. Tasks are not stored: a new
 * leader rebuilds them from its agents' re-registrations, as Mesos does.
 *
 * <p>Stored, under {@code registry/}: admitted agents with their mark ({@code agents/NN}, the
 * agents hashed into {@value #AGENT_BUCKETS} buckets so that one admission rewrites a bucket, not
 * every agent), and in the same bucket the tasks of that agent the master told a framework were
 * LOST (so that a new leader never lets such a task come back, nor forwards its later end: they
 * are recorded when an agent is lost, marked gone or re-registers without them, so they ride on
 * that agent's write); frameworks and removed frameworks ({@code frameworks}); role weights
 * ({@code weights}); quotas ({@code quotas}); and the maintenance schedule ({@code maintenance},
 * opaque bytes, see {@link #maintenance(byte[])}: the hook for the maintenance model).
 *
 * <p>Writes: never per task or offer. A mutation only changes the in-memory sections; one flush
 * per loop turn writes each section whose bytes changed since its last write, one compare-and-set
 * per section, with at most one batch in flight (mutations meanwhile go in the next batch). So a
 * failover costs the store's epoch write and no other unless agents fail to come back (then one
 * write per touched bucket), and an admission at most one write, shared by the admissions of the
 * same moment. Callbacks given with a mutation run on the loop once its batch is committed.
 *
 * <p>Standby: a master that does not lead keeps a warm copy of the registry ({@link #standBy}): it
 * reads every key back at once and then every refresh interval, and keeps each key's bytes with
 * their decoded content and the key's stamp ({@link StateStore#stamps}). A refresh, and a new
 * leader's read-back, first read the stamps alone (with ZooKeeper: one stat per key, no data) and
 * then the values of only the keys whose stamp moved (one parallel read, see {@link
 * StateStore#getAll}), and decode only those whose bytes differ from the copy: when little changed,
 * a refresh reads a few bytes per key and a failover reads and decodes only what changed since the
 * last refresh. A store without stamps has every value read back each time, as before.
 *
 * <p>Failures: a refused compare-and-set (a newer epoch began, or another writer) or an unreachable
 * store ends this registrar: nothing more is written, and {@code onFailure} hears why (the master
 * stops acting, as a Mesos master aborts). A disabled registrar (no store) writes nothing and runs
 * callbacks at once.
 *
 * <p>Concurrency: state confined to the master's loop; store I/O and the decoding of what was read
 * run on {@code io} (pure functions of the bytes read and of the warm copy, an immutable map handed
 * over), and results hop back with {@code loop.execute}. Invariants: at most one batch in flight; {@code versions}
 * holds the version of every key last read or written; a callback runs at most once.
 */
final class MasterRegistrar {
  private static final Logger LOG = LoggerFactory.getLogger(MasterRegistrar.class);
  static final int AGENT_BUCKETS = 256;
  static final String ROOT = "registry/";
  private static final String FRAMEWORKS = ROOT + "frameworks";
  private static final String WEIGHTS = ROOT + "weights";
  private static final String QUOTAS = ROOT + "quotas";
  private static final String MAINTENANCE = ROOT + "maintenance";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** What an admitted agent is now. */
  enum Mark { ADMITTED, UNREACHABLE, GONE }

  /**
   * An agent in the registry; {@code since} (epoch millis) is when it got its mark; {@code total}
   * is its resources with the dynamic reservations made on it (operator RESERVE_RESOURCES, or a
   * framework's RESERVE): what a new leader gives the allocator when the agent re-registers.
   */
  record AgentRecord(AgentInfo info, Mark mark, long since, Resources total) {
    AgentRecord(AgentInfo info, Mark mark, long since) {
      this(info, mark, since, info.resources());
    }
  }

  /** What a new leader reads back. */
  record Recovered(Map<AgentId, AgentRecord> agents, Map<FrameworkId, FrameworkInfo> frameworks,
      Set<FrameworkId> removedFrameworks, Map<String, Double> weights, Map<String, Quota> quotas,
      Optional<byte[]> maintenance, Map<AgentId, Set<TaskKey>> reportedLost) {}

  /**
   * One registry key as read back: its bytes and version, the store's stamp read before them
   * (empty if the store has none: see {@link StateStore#stamps}), and what they say (the sections
   * a key does not hold are empty). Immutable; decoded off the loop.
   */
  record Section(byte[] bytes, long version, OptionalLong stamp, Map<AgentId, AgentRecord> agents,
      Map<AgentId, Set<TaskKey>> lost, Map<FrameworkId, FrameworkInfo> frameworks, Set<FrameworkId> removedFrameworks,
      Optional<Map<String, Double>> weights, Optional<Map<String, Quota>> quotas) {
    Section with(long v, OptionalLong s) {
      return v == version && s.equals(stamp) ? this
          : new Section(bytes, v, s, agents, lost, frameworks, removedFrameworks, weights, quotas);
    }
  }

  /**
   * The registry read back: each key's section, how many keys' values were read from the store, and
   * how many of those had to be decoded.
   */
  private record ReadBack(Map<String, Section> sections, int fetched, int decoded) {}

  private final EventLoop loop;
  private final StateStore store; // null: disabled
  private final Executor io;
  private final Consumer<String> onFailure;

  private StateStore fenced;
  private boolean active;
  private boolean failed;
  private final Map<AgentId, AgentRecord> agents = new LinkedHashMap<>();
  /** By agent: the tasks there that frameworks were told are LOST. */
  private final Map<AgentId, Set<TaskKey>> reportedLost = new LinkedHashMap<>();
  private final Map<FrameworkId, FrameworkInfo> frameworks = new LinkedHashMap<>();
  private final Set<FrameworkId> removedFrameworks = new LinkedHashSet<>();
  private Map<String, Double> weights = Map.of();
  private Map<String, Quota> quotas = Map.of();
  private byte[] maintenance;
  private final Map<String, Long> versions = new HashMap<>();
  private final Map<String, byte[]> written = new HashMap<>();
  private final Set<String> dirty = new LinkedHashSet<>();
  private final List<Runnable> waiting = new ArrayList<>();
  private boolean flushScheduled;
  private boolean inFlight;
  private long writes;
  private long batches;
  /** The standby's warm copy, by key (immutable: handed to {@code io} as it is). Empty once leading. */
  private Map<String, Section> warm = Map.of();
  private boolean standingBy;
  private Cancellable warmTimer;
  private long warmRefreshes;
  private int lastDecoded = -1;
  private int lastReused = -1;
  private int lastFetched = -1;

  /**
   * @param store the store, or null for a registrar that writes nothing
   * @param io where blocking store calls run (the loop itself in a simulation)
   * @param onFailure hears, on the loop, why the registrar stopped writing
   */
  MasterRegistrar(EventLoop loop, StateStore store, Executor io, Consumer<String> onFailure) {
    this.loop = loop;
    this.store = store;
    this.io = io;
    this.onFailure = onFailure;
  }

  boolean enabled() {
    return store != null;
  }

  /** Section writes sent to the store so far (not counting the epoch). On the loop. */
  long writes() {
    return writes;
  }

  /** Write batches sent so far. On the loop. */
  long batches() {
    return batches;
  }

  // ------------------------------------------------------------------ recovery

  /**
   * Begins {@code epoch} in the store and reads the registry back; {@code then} runs on the loop
   * with what was read (empty for a disabled registrar), unless the registrar fails or is stopped
   * meanwhile.
   */
  void recover(long epoch, Consumer<Recovered> then) {
    failed = false;
    if (store == null) {
      active = true;
      then.accept(new Recovered(Map.of(), Map.of(), Set.of(), Map.of(), Map.of(), Optional.empty(), Map.of()));
      return;
    }
    endStandby();
    Map<String, Section> copy = warm;
    warm = Map.of(); // a leader keeps its own books
    io.execute(() -> {
      ReadBack read = null;
      String error = null;
      try {
        if (!store.beginEpoch(epoch)) {
          error = "epoch " + epoch + " is stale: a newer one began (store epoch " + store.epoch() + ")";
        } else {
          read = readBack(store, copy);
        }
      } catch (Unreadable e) {
        error = "the registry is unreadable: " + e.getCause();
      } catch (RuntimeException e) {
        error = "reading the registry failed: " + e;
      }
      String why = error;
      ReadBack got = read;
      loop.execute(() -> {
        if (why != null) {
          fail(why);
          return;
        }
        Recovered recovered = load(got.sections());
        fenced = store.fenced(epoch);
        active = true;
        if (!dirty.isEmpty()) {
          LOG.info("registry: moving the agents of {} buckets written with an older placement", dirty.size());
          scheduleFlush();
        }
        lastDecoded = got.decoded();
        lastReused = got.sections().size() - got.decoded();
        lastFetched = got.fetched();
        LOG.info("registry recovered under epoch {}: {} agents, {} frameworks ({} keys: {} read, {} decoded, {}"
            + " unchanged since this standby's last read)", epoch, recovered.agents().size(),
            recovered.frameworks().size(), got.sections().size(), got.fetched(), lastDecoded, lastReused);
        then.accept(recovered);
      });
    });
  }

  // ------------------------------------------------------------------ standby

  /**
   * While this master stands by, keeps a warm copy of the registry: reads it now and then every
   * {@code every} (through the loop's clock), decoding only the keys whose bytes changed, until
   * {@link #recover} or {@link #stop}. A failed read is logged and tried again at the next
   * refresh. Nothing for a disabled registrar or a zero interval. On the loop; once.
   */
  void standBy(Duration every) {
    if (store == null || every.isZero() || active || standingBy) {
      return;
    }
    standingBy = true;
    refreshWarm(every);
  }

  private void refreshWarm(Duration every) {
    warmTimer = null;
    if (!standingBy) {
      return;
    }
    Map<String, Section> copy = warm;
    io.execute(() -> {
      ReadBack read = null;
      try {
        read = readBack(store, copy);
      } catch (RuntimeException e) {
        LOG.warn("standby: reading the registry failed (tried again in {}): {}", every, e.toString());
      }
      ReadBack got = read;
      loop.execute(() -> {
        if (!standingBy) {
          return; // elected (or stopped) meanwhile: the recovery reads for itself
        }
        if (got != null) {
          warm = got.sections();
          warmRefreshes++;
          lastFetched = got.fetched();
          LOG.debug("standby: registry refreshed, {} keys, {} read, {} decoded", got.sections().size(), got.fetched(),
              got.decoded());
        }
        warmTimer = loop.schedule(every, () -> refreshWarm(every));
      });
    });
  }

  private void endStandby() {
    standingBy = false;
    if (warmTimer != null) {
      warmTimer.cancel();
      warmTimer = null;
    }
  }

  /** Reads of the registry this standby completed. On the loop. */
  long warmRefreshes() {
    return warmRefreshes;
  }

  /** Keys the last recovery had to decode (-1 before one); the others came from the warm copy. On the loop. */
  int lastDecoded() {
    return lastDecoded;
  }

  /** Keys the last recovery took from the warm copy unchanged (-1 before one). On the loop. */
  int lastReused() {
    return lastReused;
  }

  /** Keys whose values the last refresh or recovery read from the store (-1 before one). On the loop. */
  int lastFetched() {
    return lastFetched;
  }

  /** The books the standby's warm copy holds (as a recovery from it alone would give). On the loop. */
  Recovered warmBooks() {
    return books(warm);
  }

  /** A key's bytes could not be decoded. */
  private static final class Unreadable extends RuntimeException {
    Unreadable(String key, RuntimeException cause) {
      super(key, cause);
    }
  }

  /**
   * Reads the registry back: first the keys' stamps ({@link StateStore#stamps}, no value), then
   * (one {@link StateStore#getAll}) the values of the keys whose stamp is not the one {@code warm}
   * holds (all of them for a store without stamps), and decodes those whose bytes are not those
   * of the same key in {@code warm}. A key kept from {@code warm} has the same stamp, so the same
   * bytes and version; a value read is kept with the stamp read before it (a later write meanwhile
   * makes the next read fetch it again, never the reverse). Off the loop: touches no field.
   */
  private static ReadBack readBack(StateStore store, Map<String, Section> warm) {
    Optional<SortedMap<String, Long>> stamps = store.stamps(ROOT);
    Map<String, Section> sections = new TreeMap<>();
    Map<String, StateStore.Versioned> read;
    if (stamps.isPresent()) {
      List<String> stale = new ArrayList<>();
      stamps.get().forEach((key, stamp) -> {
        Section known = warm.get(key);
        if (known != null && known.stamp().isPresent() && known.stamp().getAsLong() == stamp) {
          sections.put(key, known);
        } else {
          stale.add(key);
        }
      });
      read = stale.isEmpty() ? Map.of() : store.getAll(stale);
    } else {
      read = store.getAll(store.keys(ROOT));
    }
    int decoded = 0;
    for (Map.Entry<String, StateStore.Versioned> e : read.entrySet()) {
      Section known = warm.get(e.getKey());
      StateStore.Versioned v = e.getValue();
      OptionalLong stamp = stamps.map(s -> OptionalLong.of(s.get(e.getKey()))).orElse(OptionalLong.empty());
      if (known != null && Arrays.equals(known.bytes(), v.value())) {
        sections.put(e.getKey(), known.with(v.version(), stamp));
        continue;
      }
      try {
        sections.put(e.getKey(), decode(e.getKey(), v).with(v.version(), stamp));
      } catch (RuntimeException ex) {
        throw new Unreadable(e.getKey(), ex);
      }
      decoded++;
    }
    return new ReadBack(Collections.unmodifiableMap(sections), read.size(), decoded);
  }

  /** Takes the sections read back as this registrar's books. On the loop. */
  private Recovered load(Map<String, Section> sections) {
    agents.clear();
    reportedLost.clear();
    frameworks.clear();
    removedFrameworks.clear();
    versions.clear();
    written.clear();
    dirty.clear();
    weights = Map.of();
    quotas = Map.of();
    maintenance = null;
    sections.forEach((key, section) -> {
      versions.put(key, section.version());
      written.put(key, section.bytes());
      if (key.equals(MAINTENANCE)) {
        maintenance = section.bytes();
      }
      if (!putAgents(agents, key, section)) {
        // Written with another placement (an older version's): the next flush moves its agents to
        // their buckets and rewrites this one without them.
        dirty.add(key);
        section.agents().keySet().forEach(id -> dirty.add(bucket(id)));
        section.lost().keySet().forEach(id -> dirty.add(bucket(id)));
      }
      section.lost().forEach((id, keys) -> reportedLost.computeIfAbsent(id, k -> new LinkedHashSet<>()).addAll(keys));
      frameworks.putAll(section.frameworks());
      removedFrameworks.addAll(section.removedFrameworks());
      section.weights().ifPresent(w -> weights = w);
      section.quotas().ifPresent(q -> quotas = q);
    });
    return books(sections);
  }

  /**
   * Adds the agents of the section at {@code key} to {@code into}: the record in an agent's own
   * bucket wins over one left in another bucket (a move to a new placement cut short by a crash);
   * whether every agent and lost entry of the section is in its own bucket.
   */
  private static boolean putAgents(Map<AgentId, AgentRecord> into, String key, Section section) {
    boolean placed = true;
    for (Map.Entry<AgentId, AgentRecord> e : section.agents().entrySet()) {
      if (bucket(e.getKey()).equals(key)) {
        into.put(e.getKey(), e.getValue());
      } else {
        placed = false;
        into.putIfAbsent(e.getKey(), e.getValue());
      }
    }
    for (AgentId id : section.lost().keySet()) {
      placed &= bucket(id).equals(key);
    }
    return placed;
  }

  /** What {@code sections} say together. A pure function. */
  private static Recovered books(Map<String, Section> sections) {
    Map<AgentId, AgentRecord> agentsIn = new LinkedHashMap<>();
    Map<AgentId, Set<TaskKey>> lostIn = new LinkedHashMap<>();
    Map<FrameworkId, FrameworkInfo> frameworksIn = new LinkedHashMap<>();
    Set<FrameworkId> removedIn = new LinkedHashSet<>();
    Map<String, Double> weightsIn = Map.of();
    Map<String, Quota> quotasIn = Map.of();
    byte[] maintenanceIn = null;
    for (Map.Entry<String, Section> e : sections.entrySet()) {
      Section section = e.getValue();
      if (e.getKey().equals(MAINTENANCE)) {
        maintenanceIn = section.bytes();
      }
      putAgents(agentsIn, e.getKey(), section);
      section.lost().forEach((id, keys) -> lostIn.computeIfAbsent(id, k -> new LinkedHashSet<>()).addAll(keys));
      frameworksIn.putAll(section.frameworks());
      removedIn.addAll(section.removedFrameworks());
      weightsIn = section.weights().orElse(weightsIn);
      quotasIn = section.quotas().orElse(quotasIn);
    }
    Map<AgentId, Set<TaskKey>> lost = new LinkedHashMap<>();
    lostIn.forEach((id, keys) -> lost.put(id, Set.copyOf(keys)));
    return new Recovered(Map.copyOf(agentsIn), Map.copyOf(frameworksIn), Set.copyOf(removedIn), weightsIn,
        quotasIn, Optional.ofNullable(maintenanceIn).map(byte[]::clone), Map.copyOf(lost));
  }

  /** What one key's bytes say. A pure function (runs off the loop); throws if they do not parse. */
  static Section decode(String key, StateStore.Versioned v) {
    byte[] bytes = v.value();
    Map<AgentId, AgentRecord> agentsIn = new LinkedHashMap<>();
    Map<AgentId, Set<TaskKey>> lostIn = new LinkedHashMap<>();
    Map<FrameworkId, FrameworkInfo> frameworksIn = new LinkedHashMap<>();
    Set<FrameworkId> removedIn = new LinkedHashSet<>();
    Optional<Map<String, Double>> weightsIn = Optional.empty();
    Optional<Map<String, Quota>> quotasIn = Optional.empty();
    boolean known = key.startsWith(ROOT + "agents/") || key.equals(FRAMEWORKS) || key.equals(WEIGHTS)
        || key.equals(QUOTAS);
    if (known) { // else the maintenance schedule (opaque bytes), or another component's key (none today)
      JsonNode json = MesosJson.parse(bytes);
      if (key.startsWith(ROOT + "agents/")) {
        for (JsonNode a : json.path("agents")) {
          AgentInfo info = MesosJson.decodeAgentInfo(a.path("info"));
          Resources total = a.has("resources") ? MesosJson.decodeResources(a, "agent resources") : info.resources();
          agentsIn.put(AgentId.of(a.path("id").asText()), new AgentRecord(info, Mark.valueOf(a.path("mark").asText()),
              a.path("since").asLong(), total));
        }
        for (JsonNode l : json.path("lost")) {
          Set<TaskKey> keys = lostIn.computeIfAbsent(AgentId.of(l.path("agent").asText()), k -> new LinkedHashSet<>());
          for (JsonNode t : l.path("tasks")) {
            keys.add(new TaskKey(FrameworkId.of(t.path("framework").asText()), TaskId.of(t.path("task").asText())));
          }
        }
      } else if (key.equals(FRAMEWORKS)) {
        for (JsonNode f : json.path("frameworks")) {
          frameworksIn.put(FrameworkId.of(f.path("id").asText()), MesosJson.decodeFrameworkInfo(f.path("info")));
        }
        for (JsonNode id : json.path("removed")) {
          removedIn.add(FrameworkId.of(id.asText()));
        }
      } else if (key.equals(WEIGHTS)) {
        Map<String, Double> w = new LinkedHashMap<>();
        json.fields().forEachRemaining(f -> w.put(f.getKey(), f.getValue().asDouble()));
        weightsIn = Optional.of(Map.copyOf(w));
      } else {
        Map<String, Quota> q = new LinkedHashMap<>();
        json.fields().forEachRemaining(f -> q.put(f.getKey(), new Quota(
            MesosJson.decodeResources(f.getValue(), "quota guarantee"),
            MesosJson.decodeResources(limitHolder(f.getValue()), "quota limit"))));
        quotasIn = Optional.of(Map.copyOf(q));
      }
    }
    Map<AgentId, Set<TaskKey>> lostFrozen = new LinkedHashMap<>();
    lostIn.forEach((id, keys) -> lostFrozen.put(id, Collections.unmodifiableSet(keys)));
    // Unmodifiable views of ordered maps: the order of the agents is the order a bucket is written back in.
    return new Section(bytes, v.version(), OptionalLong.empty(), Collections.unmodifiableMap(agentsIn),
        Collections.unmodifiableMap(lostFrozen), Collections.unmodifiableMap(frameworksIn),
        Collections.unmodifiableSet(removedIn), weightsIn, quotasIn);
  }

  private static JsonNode limitHolder(JsonNode quota) {
    ObjectNode o = F.objectNode();
    o.set("resources", quota.path("limit"));
    return o;
  }

  /** Stops writing (the term ended); pending callbacks are dropped. Idempotent. */
  void stop() {
    endStandby();
    active = false;
    waiting.clear();
    dirty.clear();
  }

  // ------------------------------------------------------------------ mutations (on the loop)

  /** The agent is admitted (registered, or back); {@code committed} runs once that is durable. */
  void admitted(AgentId id, AgentInfo info, Runnable committed) {
    AgentRecord old = agents.get(id);
    if (old == null || old.mark() != Mark.ADMITTED || !old.info().equals(info)) {
      putAgent(id, new AgentRecord(info, Mark.ADMITTED, now(), totalOf(old, info)));
    }
    after(committed);
  }

  /**
   * Runs {@code committed} once every change made so far is durable (at once without a store);
   * never if the term ends first.
   */
  void afterCommit(Runnable committed) {
    after(committed);
  }

  /** The agent is unreachable since {@code since}. */
  void unreachable(AgentId id, AgentInfo info, Instant since) {
    AgentRecord old = agents.get(id);
    AgentInfo known = info != null ? info : old != null ? old.info() : null;
    if (known != null) {
      putAgent(id, new AgentRecord(known, Mark.UNREACHABLE, since.toEpochMilli(), totalOf(old, known)));
    }
  }

  /**
   * The agent's resources, reservations included, as recorded: those the agent had under the same
   * info; an agent that comes back with other resources starts from them (its reservations were
   * of resources it no longer has).
   */
  private static Resources totalOf(AgentRecord old, AgentInfo info) {
    return old != null && old.info().equals(info) ? old.total() : info.resources();
  }

  /**
   * Resources of the agent were reserved or unreserved: {@code from} became {@code to}. One write
   * of the agent's bucket (reservations are operator and framework operations, rare; never per
   * task or offer). An agent not in the registry is ignored.
   */
  void converted(AgentId id, Resources from, Resources to) {
    AgentRecord old = agents.get(id);
    if (old != null) {
      putAgent(id, new AgentRecord(old.info(), old.mark(), old.since(), old.total().subtract(from).add(to)));
    }
  }

  /** The operator marked the agent gone. */
  void gone(AgentId id) {
    AgentRecord old = agents.get(id);
    putAgent(id, new AgentRecord(old != null ? old.info() : new AgentInfo("unknown", Resources.EMPTY),
        Mark.GONE, now()));
  }

  /** The agent is forgotten (its unreachable mark was collected). */
  void forget(AgentId id) {
    if (agents.remove(id) != null) {
      dirty(bucket(id));
    }
  }

  /**
   * The framework was told that its task on the agent is LOST. Written with the agent's bucket
   * (the callers do this when an agent is lost, marked gone or re-registers: one write per agent).
   */
  void reportedLost(AgentId agent, TaskKey task) {
    if (store == null) {
      return;
    }
    if (reportedLost.computeIfAbsent(agent, k -> new LinkedHashSet<>()).add(task)) {
      dirty(bucket(agent));
    }
  }

  /**
   * The task is no longer remembered as reported LOST (its id was launched again, or the memory
   * is full). Writes only if it was recorded.
   */
  void lostForgotten(AgentId agent, TaskKey task) {
    Set<TaskKey> keys = reportedLost.get(agent);
    if (keys != null && keys.remove(task)) {
      if (keys.isEmpty()) {
        reportedLost.remove(agent);
      }
      dirty(bucket(agent));
    }
  }

  /** The framework is known with {@code info} (written only if that changed). */
  void framework(FrameworkId id, FrameworkInfo info) {
    if (!info.equals(frameworks.get(id))) {
      frameworks.put(id, info);
      dirty(FRAMEWORKS);
    }
  }

  /** The framework was removed (torn down, or its failover timeout elapsed): it may not come back. */
  void frameworkRemoved(FrameworkId id) {
    frameworks.remove(id);
    if (removedFrameworks.add(id)) {
      dirty(FRAMEWORKS);
    }
    // What it was told no longer matters: one write per bucket that held some of it.
    Iterator<Map.Entry<AgentId, Set<TaskKey>>> it = reportedLost.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<AgentId, Set<TaskKey>> e = it.next();
      if (e.getValue().removeIf(k -> k.frameworkId().equals(id))) {
        dirty(bucket(e.getKey()));
      }
      if (e.getValue().isEmpty()) {
        it.remove();
      }
    }
  }

  /** The weights now set, by role. */
  void weights(Map<String, Double> value) {
    weights = Map.copyOf(value);
    dirty(WEIGHTS);
  }

  /** The quotas now set, by role. */
  void quotas(Map<String, Quota> value) {
    quotas = Map.copyOf(value);
    dirty(QUOTAS);
  }

  /**
   * The maintenance schedule, in whatever form the maintenance model encodes it; recovered as
   * {@link Recovered#maintenance()}. The hook for the maintenance model: call it whenever the
   * schedule changes.
   */
  void maintenance(byte[] schedule) {
    maintenance = schedule.clone();
    dirty(MAINTENANCE);
  }

  /** The agents recorded with {@code mark}. */
  List<AgentId> agentsMarked(Mark mark) {
    List<AgentId> out = new ArrayList<>();
    agents.forEach((id, r) -> {
      if (r.mark() == mark) {
        out.add(id);
      }
    });
    return out;
  }

  Optional<AgentRecord> agent(AgentId id) {
    return Optional.ofNullable(agents.get(id));
  }

  private void putAgent(AgentId id, AgentRecord r) {
    agents.put(id, r);
    dirty(bucket(id));
  }

  private long now() {
    return loop.clock().instant().toEpochMilli();
  }

  static String bucket(AgentId id) {
    return BUCKET_KEYS[bucketIndex(id)];
  }

  /**
   * The agent's bucket: its id's hash, mixed (the murmur3 finaliser), modulo the bucket count.
   * Earlier versions kept 32 buckets placed by {@code String.hashCode} modulo 32, which is nearly
   * an alternating sum of the id's characters (31 is -1 modulo 32): the ids of one master
   * ({@code <uuid>-S0}, {@code -S1}, ...) crowded a few buckets (65 to 1,277 of 20,000 agents), and
   * an admission rewrote up to 280 KB. With 256 evenly filled buckets an admission at 20,000 agents
   * rewrites about 18 KB. A registry written with the older placement is moved over by the next
   * leader (see {@link #load}).
   */
  static int bucketIndex(AgentId id) {
    int h = id.value().hashCode();
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return Math.floorMod(h, AGENT_BUCKETS);
  }

  private static final String[] BUCKET_KEYS = new String[AGENT_BUCKETS];

  static {
    for (int i = 0; i < AGENT_BUCKETS; i++) {
      BUCKET_KEYS[i] = ROOT + "agents/" + String.format("%02d", i);
    }
  }

  private void dirty(String key) {
    if (store == null) {
      return;
    }
    dirty.add(key);
    scheduleFlush();
  }

  private void after(Runnable committed) {
    if (store == null) {
      committed.run();
      return;
    }
    waiting.add(committed);
    scheduleFlush();
  }

  // ------------------------------------------------------------------ writing

  private void scheduleFlush() {
    if (!flushScheduled && !inFlight && active) {
      flushScheduled = true;
      loop.execute(this::flush);
    }
  }

  private void flush() {
    flushScheduled = false;
    if (!active || inFlight || failed) {
      return;
    }
    Map<String, byte[]> batch = new LinkedHashMap<>();
    for (String key : dirty) {
      byte[] bytes = serialize(key);
      if (!Arrays.equals(bytes, written.get(key))) {
        batch.put(key, bytes);
      }
    }
    dirty.clear();
    List<Runnable> callbacks = new ArrayList<>(waiting);
    waiting.clear();
    if (batch.isEmpty()) {
      callbacks.forEach(Runnable::run);
      return;
    }
    inFlight = true;
    writes += batch.size();
    batches++;
    Map<String, Long> expected = new HashMap<>();
    batch.keySet().forEach(k -> expected.put(k, versions.getOrDefault(k, -1L)));
    StateStore view = fenced;
    io.execute(() -> {
      Map<String, Long> committed = new HashMap<>();
      String error = null;
      try {
        for (Map.Entry<String, byte[]> e : batch.entrySet()) {
          Optional<Long> v = view.compareAndSet(e.getKey(), e.getValue(), expected.get(e.getKey()));
          if (v.isEmpty()) {
            error = "the write of " + e.getKey() + " was refused (a newer epoch began, or another master wrote)";
            break;
          }
          committed.put(e.getKey(), v.get());
        }
      } catch (RuntimeException ex) {
        error = "the store failed: " + ex;
      }
      String why = error;
      loop.execute(() -> {
        inFlight = false;
        committed.forEach(versions::put);
        committed.keySet().forEach(k -> written.put(k, batch.get(k)));
        if (why != null) {
          fail(why);
          return;
        }
        if (active) {
          callbacks.forEach(Runnable::run);
          if (!dirty.isEmpty() || !waiting.isEmpty()) {
            scheduleFlush();
          }
        }
      });
    });
  }

  private void fail(String why) {
    if (failed) {
      return;
    }
    failed = true;
    LOG.error("master registry: {}; this master stops acting", why);
    stop();
    onFailure.accept(why);
  }

  private byte[] serialize(String key) {
    ObjectNode o = F.objectNode();
    if (key.equals(MAINTENANCE)) {
      return maintenance == null ? new byte[0] : maintenance.clone();
    } else if (key.equals(FRAMEWORKS)) {
      ArrayNode fs = o.putArray("frameworks");
      frameworks.forEach((id, info) -> {
        ObjectNode f = fs.addObject();
        f.put("id", id.value());
        f.set("info", MesosJson.frameworkInfo(info));
      });
      ArrayNode removed = o.putArray("removed");
      removedFrameworks.forEach(id -> removed.add(id.value()));
    } else if (key.equals(WEIGHTS)) {
      new TreeMap<>(weights).forEach(o::put);
    } else if (key.equals(QUOTAS)) {
      new TreeMap<>(quotas).forEach((role, q) -> {
        ObjectNode r = o.putObject(role);
        r.set("resources", MesosJson.resources(q.guarantee()));
        r.set("limit", MesosJson.resources(q.limit()));
      });
    } else {
      ArrayNode as = o.putArray("agents");
      agents.forEach((id, r) -> {
        if (bucket(id).equals(key)) {
          ObjectNode a = as.addObject();
          a.put("id", id.value());
          a.set("info", MesosJson.agentInfo(r.info()));
          a.put("mark", r.mark().name());
          a.put("since", r.since());
          if (!r.total().equals(r.info().resources())) {
            a.set("resources", MesosJson.resources(r.total())); // absent without reservations
          }
        }
      });
      ArrayNode lost = F.arrayNode();
      reportedLost.forEach((id, keys) -> {
        if (bucket(id).equals(key) && !keys.isEmpty()) {
          ObjectNode l = lost.addObject();
          l.put("agent", id.value());
          ArrayNode ts = l.putArray("tasks");
          keys.forEach(k -> ts.addObject().put("framework", k.frameworkId().value()).put("task", k.taskId().value()));
        }
      });
      if (!lost.isEmpty()) {
        o.set("lost", lost); // absent when empty: a bucket without such tasks keeps its old bytes
      }
    }
    return MesosJson.bytes(o);
  }
}
