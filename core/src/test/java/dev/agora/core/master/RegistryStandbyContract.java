package dev.agora.core.master;

import static java.nio.charset.StandardCharsets.UTF_8;
import static dev.agora.core.master.Registrars.agent;
import static dev.agora.core.master.Registrars.framework;
import static dev.agora.core.master.Registrars.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Quota;
import dev.agora.core.coordination.CountingStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A standby master's copy of the registry over a real store (every store with {@link
 * StateStore#stamps}): a refresh reads the stamps and then the values of only the keys that
 * changed since the last one, the copy is what the store holds after changes, removals and
 * additions, and a new leader recovers exactly the registry, reading only what changed since the
 * standby's last refresh. Each store's test extends this class (in its module).
 */
public abstract class RegistryStandbyContract {
  private static final Duration REFRESH = Duration.ofSeconds(30);
  private final Simulation sim = new Simulation(8);
  private final List<String> failures = new ArrayList<>();
  private CountingStateStore store;
  private int colds;

  /** A new, empty store with stamps; closed by the test. */
  protected abstract StateStore newStore() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = new CountingStateStore(newStore());
    assertThat(store.inner().stamps("")).as("the store under test has stamps").isPresent();
  }

  @AfterEach
  void closeStore() {
    store.close();
    assertThat(failures).isEmpty();
    assertThat(sim.failures()).isEmpty();
  }

  private MasterRegistrar registrar(String name) {
    return Registrars.registrar(sim, store, name, failures);
  }

  /** A leader (epoch 1) with 300 admitted agents, two frameworks, weights, quotas and a schedule. */
  private MasterRegistrar leaderWithBooks() {
    MasterRegistrar leader = registrar("leader");
    leader.recover(1, r -> {});
    sim.runUntilIdle();
    for (int i = 0; i < 300; i++) {
      leader.admitted(agent(i), info(i), () -> {});
    }
    leader.framework(FrameworkId.of("f1"), framework("f1"));
    leader.framework(FrameworkId.of("f2"), framework("f2"));
    leader.weights(Map.of("web", 2.0));
    leader.quotas(Map.of("web", new Quota(Resources.parse("cpus:8"), Resources.parse("cpus:16"))));
    leader.maintenance("schedule-1".getBytes(UTF_8));
    sim.runUntilIdle();
    return leader;
  }

  /** What the store holds, decoded whole by a registrar without a copy (a read that begins no epoch). */
  private MasterRegistrar.Recovered registryInStore() {
    var loop = sim.newLoop("cold-" + ++colds);
    MasterRegistrar cold = new MasterRegistrar(loop, store.inner(), loop, failures::add);
    cold.standBy(REFRESH);
    sim.runUntilIdle();
    MasterRegistrar.Recovered books = cold.warmBooks();
    cold.stop();
    return books;
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

  /** The bytes the store holds under {@code keys}. */
  private long bytesOf(Set<String> keys) {
    return keys.stream().mapToLong(k -> store.inner().get(k).orElseThrow().value().length).sum();
  }

  /** Adds an agent, forgets one, marks one unreachable with a task reported LOST, removes f1, sets weights. */
  private Set<String> changeAddAndRemove(MasterRegistrar leader) {
    leader.admitted(agent(1000), info(1000), () -> {});
    leader.forget(agent(7));
    leader.unreachable(agent(5), null, Instant.parse("2026-01-01T00:01:00Z"));
    leader.reportedLost(agent(5), new TaskKey(FrameworkId.of("f2"), TaskId.of("t-5")));
    leader.frameworkRemoved(FrameworkId.of("f1"));
    leader.weights(Map.of("web", 3.0, "batch", 1.0));
    sim.runUntilIdle();
    return new TreeSet<>(List.of(MasterRegistrar.bucket(agent(1000)), MasterRegistrar.bucket(agent(7)),
        MasterRegistrar.bucket(agent(5)), MasterRegistrar.ROOT + "frameworks", MasterRegistrar.ROOT + "weights"));
  }

  @Test
  void aRefreshReadsNoValueWhenNothingChangedAndOnlyTheChangedKeysOtherwise() {
    MasterRegistrar leader = leaderWithBooks();
    MasterRegistrar standby = registrar("standby");
    standby.standBy(REFRESH);
    sim.runUntilIdle();
    int keys = store.inner().keys(MasterRegistrar.ROOT).size();
    assertThat(standby.lastFetched()).as("the first read reads every key").isEqualTo(keys);
    assertSameBooks(standby.warmBooks(), registryInStore());

    store.resetReads();
    sim.advance(REFRESH);
    assertThat(standby.warmRefreshes()).isEqualTo(2);
    assertThat(store.valuesRead.get()).as("values read by a refresh after no change").isZero();
    assertThat(store.valueBytesRead.get()).isZero();
    assertThat(store.stampsRead.get()).as("one stamp per key").isEqualTo(keys);

    Set<String> changed = changeAddAndRemove(leader);
    store.resetReads();
    sim.advance(REFRESH);
    assertThat(standby.warmRefreshes()).isEqualTo(3);
    assertThat(standby.lastFetched()).isEqualTo(changed.size());
    assertThat(store.valuesRead.get()).as("values read after %s changed", changed).isEqualTo(changed.size());
    assertThat(store.valueBytesRead.get()).isEqualTo(bytesOf(changed));
    MasterRegistrar.Recovered copy = standby.warmBooks();
    assertSameBooks(copy, registryInStore());
    assertThat(copy.agents()).containsKey(agent(1000)).doesNotContainKey(agent(7)).hasSize(300);
    assertThat(copy.agents().get(agent(5)).mark()).isEqualTo(MasterRegistrar.Mark.UNREACHABLE);
    assertThat(copy.frameworks()).containsOnlyKeys(FrameworkId.of("f2"));
    assertThat(copy.removedFrameworks()).containsExactly(FrameworkId.of("f1"));
    assertThat(copy.reportedLost()).containsOnlyKeys(agent(5));
    assertThat(copy.weights()).isEqualTo(Map.of("web", 3.0, "batch", 1.0));
  }

  @Test
  void theNewLeaderRecoversExactlyTheRegistryReadingOnlyWhatChangedSinceTheLastRefresh() {
    MasterRegistrar leader = leaderWithBooks();
    MasterRegistrar standby = registrar("standby");
    standby.standBy(REFRESH);
    sim.runUntilIdle();
    Set<String> changed = changeAddAndRemove(leader); // after the standby's last refresh
    leader.stop(); // the leader dies
    MasterRegistrar.Recovered expected = registryInStore();

    store.resetReads();
    MasterRegistrar.Recovered[] got = new MasterRegistrar.Recovered[1];
    standby.recover(2, r -> got[0] = r);
    sim.runUntilIdle();

    assertThat(got[0]).as("recovered under epoch 2").isNotNull();
    assertSameBooks(got[0], expected);
    assertThat(got[0].agents()).containsKey(agent(1000)).doesNotContainKey(agent(7));
    assertThat(standby.lastFetched()).isEqualTo(changed.size());
    assertThat(standby.lastDecoded()).isEqualTo(changed.size());
    assertThat(store.valueBytesRead.get()).isEqualTo(bytesOf(changed));

    // The new leader's books are the store's: its next write (one bucket) is accepted, and the old leader's is not.
    store.resetReads();
    standby.admitted(agent(2000), info(2000), () -> {});
    sim.runUntilIdle();
    assertThat(registryInStore().agents()).containsKey(agent(2000)).hasSize(301);
    assertThat(store.inner().fenced(1).compareAndSet(MasterRegistrar.ROOT + "weights", new byte[0],
        store.inner().get(MasterRegistrar.ROOT + "weights").orElseThrow().version())).isEmpty();
  }
}
