package dev.agora.core.master;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where the registry keeps agents: spread evenly over its buckets (one admission rewrites one
 * bucket of about 1/256 of the agents), and a registry written with another placement (an older
 * version's) is moved over by the next leader without losing or duplicating an agent.
 */
class RegistryBucketsTest {
  private final Simulation sim = new Simulation(3);
  private final StateStore store = new InMemoryStateStore();
  private final List<String> failures = new ArrayList<>();

  @AfterEach
  void noRegistrarFailed() {
    assertThat(failures).isEmpty();
    assertThat(sim.failures()).isEmpty();
  }

  @Test
  void theAgentsOfOneMasterSpreadEvenlyOverTheBuckets() {
    // Agent ids as a master hands them out: its id, then -S0, -S1, ...
    for (String master : List.of("a", "0ae42b45-1c9e-4a43-9a35-8a2d1bb7e0f1")) {
      int[] count = new int[MasterRegistrar.AGENT_BUCKETS];
      IntStream.range(0, 20_000).forEach(i -> count[MasterRegistrar.bucketIndex(AgentId.of(master + "-S" + i))]++);
      IntSummaryStatistics s = IntStream.of(count).summaryStatistics();
      // 78 a bucket on average (String.hashCode alone, modulo the 32 buckets there were, put 65 to
      // 1,277 agents of 20,000 in one).
      assertThat(s.getMin()).as("fewest agents in a bucket, ids %s-S*", master).isGreaterThan(40);
      assertThat(s.getMax()).as("most agents in a bucket, ids %s-S*", master).isLessThan(120);
    }
  }

  @Test
  void aRegistryWrittenWithTheOldPlacementIsMovedOverByTheNextLeader() {
    // 300 agents stored where the older placement (String.hashCode modulo 32) put them.
    Map<String, List<AgentId>> old = new TreeMap<>();
    Map<AgentId, AgentInfo> infos = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      AgentId id = AgentId.of("m-S" + i);
      infos.put(id, new AgentInfo("host-" + i, Resources.parse("cpus:" + (1 + i % 7) + ";mem:1024")));
      String key = MasterRegistrar.ROOT + "agents/" + String.format("%02d", Math.floorMod(id.value().hashCode(), 32));
      old.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
    }
    old.forEach((key, ids) -> {
      ObjectNode o = MesosJson.mapper().createObjectNode();
      ArrayNode as = o.putArray("agents");
      for (AgentId id : ids) {
        ObjectNode a = as.addObject();
        a.put("id", id.value());
        a.set("info", MesosJson.agentInfo(infos.get(id)));
        a.put("mark", "ADMITTED");
        a.put("since", 7);
      }
      assertThat(store.compareAndSet(key, MesosJson.bytes(o), -1)).isPresent();
    });
    long elsewhere = old.entrySet().stream()
        .mapToLong(e -> e.getValue().stream().filter(id -> !MasterRegistrar.bucket(id).equals(e.getKey())).count()).sum();
    assertThat(elsewhere).as("agents the new placement puts in another bucket").isGreaterThan(250);

    MasterRegistrar first = registrar("first");
    MasterRegistrar.Recovered recovered = recover(first, 1);
    assertThat(recovered.agents()).hasSize(300);
    sim.runUntilIdle(); // the move: one batch of writes

    // Every agent is now in its own bucket, once; every bucket holds only its own agents.
    Map<AgentId, String> where = new HashMap<>();
    for (String key : store.keys(MasterRegistrar.ROOT + "agents/")) {
      JsonNode json = MesosJson.parse(store.get(key).orElseThrow().value());
      for (JsonNode a : json.path("agents")) {
        AgentId id = AgentId.of(a.path("id").asText());
        assertThat(where.put(id, key)).as("%s stored twice", id).isNull();
        assertThat(key).as("bucket of %s", id).isEqualTo(MasterRegistrar.bucket(id));
      }
    }
    assertThat(where).hasSize(300);
    assertThat(where.values().stream().distinct().count()).as("buckets used").isGreaterThan(150);

    // The next leader reads the same agents back, and has nothing to move.
    first.stop();
    MasterRegistrar second = registrar("second");
    MasterRegistrar.Recovered again = recover(second, 2);
    assertThat(again.agents()).isEqualTo(recovered.agents());
    assertThat(again.agents().get(AgentId.of("m-S5")).info()).isEqualTo(infos.get(AgentId.of("m-S5")));
    long version = store.get(MasterRegistrar.bucket(AgentId.of("m-S5"))).orElseThrow().version();
    sim.runUntilIdle();
    assertThat(store.get(MasterRegistrar.bucket(AgentId.of("m-S5"))).orElseThrow().version())
        .as("no rewrite by a leader that found every agent in place").isEqualTo(version);
  }

  @Test
  void anAgentFoundInItsOwnBucketAndInAnotherKeepsItsOwnBucketsRecord() {
    // A move cut short: the agent's own bucket has its newer record, another bucket still the old one.
    String first = MasterRegistrar.ROOT + "agents/00";
    String last = MasterRegistrar.ROOT + "agents/99"; // keys sort as strings: 99 after 00-98 and 100-255
    AgentId id = IntStream.range(0, 100).mapToObj(i -> AgentId.of("m-S" + i))
        .filter(a -> !MasterRegistrar.bucket(a).equals(first) && !MasterRegistrar.bucket(a).equals(last))
        .findFirst().orElseThrow();
    String own = MasterRegistrar.bucket(id);
    // The stale copy in a bucket read before the agent's own, and in one read after it.
    for (String stale : List.of(first, last)) {
      StateStore s = new InMemoryStateStore();
      assertThat(s.compareAndSet(own, bucketBytes(id, "new-host"), -1)).isPresent();
      assertThat(s.compareAndSet(stale, bucketBytes(id, "old-host"), -1)).isPresent();
      MasterRegistrar r = Registrars.registrar(sim, s, "leader-" + stale.substring(stale.length() - 2), failures);
      assertThat(Registrars.recover(sim, r, 1).agents().get(id).info().hostname()).as("stale copy at %s", stale).isEqualTo("new-host");
      assertThat(MesosJson.parse(s.get(stale).orElseThrow().value()).path("agents")).as("stale copy removed")
          .isEmpty();
      assertThat(MesosJson.parse(s.get(own).orElseThrow().value()).path("agents").get(0).path("info")
          .path("hostname").asText()).isEqualTo("new-host");
    }
  }

  private static byte[] bucketBytes(AgentId id, String host) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    ObjectNode a = o.putArray("agents").addObject();
    a.put("id", id.value());
    a.set("info", MesosJson.agentInfo(new AgentInfo(host, Resources.parse("cpus:1;mem:64"))));
    a.put("mark", "ADMITTED");
    a.put("since", 1);
    return MesosJson.bytes(o);
  }

  private MasterRegistrar registrar(String name) {
    return Registrars.registrar(sim, store, name, failures);
  }

  private MasterRegistrar.Recovered recover(MasterRegistrar registrar, long epoch) {
    return Registrars.recover(sim, registrar, epoch);
  }
}
