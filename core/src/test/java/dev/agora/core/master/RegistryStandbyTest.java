package dev.agora.core.master;

import static java.nio.charset.StandardCharsets.UTF_8;
import static dev.agora.core.master.Registrars.agent;
import static dev.agora.core.master.Registrars.framework;
import static dev.agora.core.master.Registrars.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Quota;
import dev.agora.core.coordination.CountingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A standby registrar's warm copy of the registry: it is read at once and refreshed through the
 * loop's clock, a recovery decodes only the keys whose bytes changed since, and what it recovers is
 * what a registrar without a copy recovers from the same store.
 */
class RegistryStandbyTest {
  private final Simulation sim = new Simulation(5);
  private final StateStore store = new InMemoryStateStore();
  private final List<String> failures = new ArrayList<>();

  @AfterEach
  void noRegistrarFailed() {
    assertThat(failures).isEmpty();
    assertThat(sim.failures()).isEmpty();
  }

  private MasterRegistrar registrar(String name) {
    return Registrars.registrar(sim, store, name, failures);
  }

  private MasterRegistrar.Recovered recover(MasterRegistrar registrar, long epoch) {
    return Registrars.recover(sim, registrar, epoch);
  }

  /** A leader (epoch 1) with 200 admitted agents, a framework, weights, quotas and a maintenance schedule. */
  private MasterRegistrar leaderWithBooks() {
    MasterRegistrar leader = registrar("leader");
    recover(leader, 1);
    for (int i = 0; i < 200; i++) {
      leader.admitted(agent(i), info(i), () -> {});
    }
    leader.framework(FrameworkId.of("f1"), framework("f1"));
    leader.weights(Map.of("web", 2.0));
    leader.quotas(Map.of("web", new Quota(Resources.parse("cpus:8"), Resources.parse("cpus:16"))));
    leader.maintenance("schedule-1".getBytes(UTF_8));
    sim.runUntilIdle();
    return leader;
  }

  private static void assertSameBooks(MasterRegistrar.Recovered actual, MasterRegistrar.Recovered expected) {
    assertThat(actual.agents()).isEqualTo(expected.agents());
    assertThat(actual.frameworks()).isEqualTo(expected.frameworks());
    assertThat(actual.removedFrameworks()).isEqualTo(expected.removedFrameworks());
    assertThat(actual.weights()).isEqualTo(expected.weights());
    assertThat(actual.quotas()).isEqualTo(expected.quotas());
    assertThat(actual.reportedLost()).isEqualTo(expected.reportedLost());
    assertThat(actual.maintenance().map(b -> new String(b, UTF_8)))
        .isEqualTo(expected.maintenance().map(b -> new String(b, UTF_8)));
  }

  @Test
  void aStandbyDecodesOnlyWhatTheLeaderChangedSinceItsLastReadAndRecoversTheSameBooks() {
    MasterRegistrar leader = leaderWithBooks();
    MasterRegistrar standby = registrar("standby");
    standby.standBy(Duration.ofSeconds(30));
    sim.runUntilIdle();
    assertThat(standby.warmRefreshes()).isEqualTo(1);
    // The leader changes three agent buckets and the frameworks after the standby's read.
    leader.admitted(agent(500), info(500), () -> {});
    leader.unreachable(agent(5), null, Instant.parse("2026-01-01T00:01:00Z"));
    leader.reportedLost(agent(5), new TaskKey(FrameworkId.of("f1"), TaskId.of("t-5")));
    leader.frameworkRemoved(FrameworkId.of("f1"));
    leader.framework(FrameworkId.of("f2"), framework("f2"));
    sim.runUntilIdle();
    leader.stop(); // the leader dies
    int keys = store.keys(MasterRegistrar.ROOT).size(); // agent 500's bucket may be new
    List<String> changed = new ArrayList<>(List.of(MasterRegistrar.bucket(agent(500)), MasterRegistrar.bucket(agent(5)),
        "registry/frameworks"));

    MasterRegistrar.Recovered warm = recover(standby, 2);

    assertThat(standby.lastDecoded()).isEqualTo((int) changed.stream().distinct().count());
    assertThat(standby.lastReused()).isEqualTo(keys - standby.lastDecoded()).isPositive();
    assertThat(warm.agents()).hasSize(201).containsKey(agent(500));
    assertThat(warm.agents().get(agent(5)).mark()).isEqualTo(MasterRegistrar.Mark.UNREACHABLE);
    assertThat(warm.reportedLost()).isEmpty(); // what f1 was told went with f1
    assertThat(warm.frameworks()).containsOnlyKeys(FrameworkId.of("f2"));
    assertThat(warm.removedFrameworks()).containsExactly(FrameworkId.of("f1"));
    assertThat(warm.weights()).isEqualTo(Map.of("web", 2.0));

    MasterRegistrar cold = registrar("cold");
    MasterRegistrar.Recovered fresh = recover(cold, 3);
    assertThat(cold.lastDecoded()).isEqualTo(keys);
    assertThat(cold.lastReused()).isZero();
    assertSameBooks(warm, fresh);
  }

  @Test
  void theCopyIsRefreshedThroughTheClockUntilElectedAndThenAFailoverDecodesNothing() {
    MasterRegistrar leader = leaderWithBooks();
    MasterRegistrar standby = registrar("standby");
    standby.standBy(Duration.ofSeconds(30));
    sim.runUntilIdle();
    leader.admitted(agent(777), info(777), () -> {});
    leader.weights(Map.of("web", 3.0));
    sim.runUntilIdle();

    sim.advance(Duration.ofSeconds(29));
    assertThat(standby.warmRefreshes()).isEqualTo(1);
    sim.advance(Duration.ofSeconds(1));
    assertThat(standby.warmRefreshes()).isEqualTo(2);
    leader.stop();

    MasterRegistrar.Recovered recovered = recover(standby, 2);
    assertThat(standby.lastDecoded()).isZero();
    assertThat(recovered.agents()).containsKey(agent(777));
    assertThat(recovered.weights()).isEqualTo(Map.of("web", 3.0));
    sim.advance(Duration.ofMinutes(5));
    assertThat(standby.warmRefreshes()).as("a leader stops refreshing").isEqualTo(2);
  }

  @Test
  void aKeyRewrittenWithOtherBytesUnderTheVersionTheCopyHadIsDecodedAgain() {
    MasterRegistrar leader = leaderWithBooks();
    leader.stop();
    MasterRegistrar standby = registrar("standby");
    standby.standBy(Duration.ofSeconds(30));
    sim.runUntilIdle();
    // Another registrar's bucket, deleted and written again: version 0 again, other bytes.
    String key = MasterRegistrar.bucket(agent(0));
    StateStore.Versioned before = store.get(key).orElseThrow();
    assertThat(before.version()).isZero();
    assertThat(store.delete(key, before.version())).isTrue();
    String rewritten = "{\"agents\":[{\"id\":\"x-S1\",\"info\":" + new String(dev.agora.core.codec.MesosJson.bytes(
        dev.agora.core.codec.MesosJson.agentInfo(info(1))), UTF_8) + ",\"mark\":\"GONE\",\"since\":7}]}";
    assertThat(store.compareAndSet(key, rewritten.getBytes(UTF_8), -1)).contains(0L);

    MasterRegistrar.Recovered recovered = recover(standby, 2);

    assertThat(standby.lastDecoded()).isEqualTo(1);
    assertThat(recovered.agents()).containsKey(AgentId.of("x-S1")).doesNotContainKey(agent(0));
    assertThat(recovered.agents().get(AgentId.of("x-S1")).mark()).isEqualTo(MasterRegistrar.Mark.GONE);
  }

  @Test
  void overAStoreWithoutStampsEveryRefreshReadsEveryValueAndARecoveryStillDecodesOnlyWhatChanged() {
    CountingStateStore plain = CountingStateStore.withoutStamps(store);
    MasterRegistrar leader = leaderWithBooks();
    var loop = sim.newLoop("plain-standby");
    MasterRegistrar standby = new MasterRegistrar(loop, plain, loop, failures::add);
    standby.standBy(Duration.ofSeconds(30));
    sim.runUntilIdle();
    int keys = store.keys(MasterRegistrar.ROOT).size();
    plain.resetReads();
    sim.advance(Duration.ofSeconds(30));
    assertThat(plain.valuesRead.get()).as("no stamps: every value, as before").isEqualTo(keys);
    assertThat(standby.lastFetched()).isEqualTo(keys);

    leader.weights(Map.of("web", 5.0));
    sim.runUntilIdle();
    leader.stop();
    MasterRegistrar.Recovered recovered = recover(standby, 2);
    assertThat(standby.lastDecoded()).isEqualTo(1);
    assertThat(recovered.weights()).isEqualTo(Map.of("web", 5.0));
    assertThat(recovered.agents()).hasSize(200);
  }
}
