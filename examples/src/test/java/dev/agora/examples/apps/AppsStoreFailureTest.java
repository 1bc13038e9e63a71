package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.coordination.ForwardingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write of an app or group definition that the state store refuses or fails answers an error
 * naming the app or group, and changes nothing: neither what the API shows nor what a new leader
 * reads from the store. A 2xx answer means the change is stored.
 */
class AppsStoreFailureTest {
  @TempDir
  Path dir;

  /** How the armed write fails. */
  enum Failure {
    REFUSE,
    THROW
  }

  /**
   * An in-memory store whose Nth write (compare-and-set or delete) of an app or group key, counted
   * from {@link #failAt}, is refused or throws, once.
   */
  static final class FailingStore extends ForwardingStateStore {
    private int countdown;
    private Failure failure;

    FailingStore() {
      super(new InMemoryStateStore());
    }

    synchronized void failAt(int n, Failure how) {
      countdown = n;
      failure = how;
    }

    private synchronized boolean fails(String key) {
      if (failure == null || !(key.startsWith("apps/") || key.startsWith("groups/"))) {
        return false;
      }
      if (--countdown > 0) {
        return false;
      }
      Failure how = failure;
      failure = null;
      if (how == Failure.THROW) {
        throw new StateStoreException("no quorum writing " + key, new IOException("connection loss"));
      }
      return true;
    }

    /** The app and group keys with their values, to compare before and after. */
    Map<String, String> definitions() {
      Map<String, String> out = new TreeMap<>();
      for (String k : inner.keys("")) {
        if (k.startsWith("apps/") || k.startsWith("groups/")) {
          inner.get(k).ifPresent(v -> out.put(k, new String(v.value(), java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
      return out;
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      return fails(key) ? Optional.empty() : inner.compareAndSet(key, value, expectedVersion);
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
      return !fails(key) && inner.delete(key, expectedVersion);
    }

    @Override
    public StateStore fenced(long epoch) {
      return this;
    }
  }

  private final FailingStore store = new FailingStore();
  private int generation;

  private AppsSim sim() {
    AppsSim s = new AppsSim(21, dir, store);
    s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "");
    return s.start();
  }

  /** The apps as GET /v2/apps shows them: id -> definition fields that a request changes. */
  private static Map<String, String> apps(JsonNode list) {
    Map<String, String> out = new TreeMap<>();
    list.get("apps").forEach(a -> out.put(a.get("id").asText(), a.get("cmd").asText() + " x"
        + a.get("instances").asInt() + " v" + a.get("version").asText() + " ports "
        + a.get("portDefinitions").findValuesAsText("port")));
    return out;
  }

  /** A new leader on the same store, as after a failover; what its GET /v2/apps shows. */
  private Map<String, String> afterFailover(AppsSim s) {
    s.apps.close();
    generation++;
    AppsService next = AppsService.builder().transport(s.transport).master(s.master.address())
        .address(Address.of("apps-next-" + generation)).loop(s.sim.newLoop("apps-next-" + generation))
        .random(s.sim.random()).stateStore(store).build().start();
    try {
      s.sim.advance(Duration.ofSeconds(2));
      var f = next.api().handle("GET", "/v2/apps", Map.of(), "");
      s.sim.runUntilIdle();
      return apps(AppsSim.MAPPER.readTree(f.join().body()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      next.close();
      s.sim.runUntilIdle();
    }
  }

  private static String web(String cmd, int instances) {
    return "{\"id\":\"/web\",\"cmd\":\"" + cmd + "\",\"cpus\":0.1,\"mem\":16,\"instances\":" + instances
        + ",\"portDefinitions\":[{\"port\":0}]}";
  }

  /** A leader whose term another has since begun in the store: the store refuses its writes. */
  @Test
  void aDeposedLeadersChangeIsRefusedByTheFencedStoreAndAnswers409() {
    InMemoryStateStore plain = new InMemoryStateStore();
    try (AppsSim s = new AppsSim(22, dir, plain)) {
      s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "");
      s.start();
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 1)).status()).isEqualTo(201);
      assertThat(plain.epoch()).as("the leader began its term in the store").isEqualTo(1);
      assertThat(plain.beginEpoch(2)).isTrue(); // another apps service was elected and began its term

      AppsApi.Response r = s.call("POST", "/v2/apps",
          "{\"id\":\"/other\",\"cmd\":\"sleep 1\",\"cpus\":0.1,\"mem\":16,\"instances\":1}");
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.body()).contains("App /other was not changed").contains("refused");
      assertThat(apps(s.json("GET", "/v2/apps", ""))).containsOnlyKeys("/web");
      assertThat(plain.keys("apps/")).noneMatch(k -> k.startsWith("apps/other"));
    }
  }

  @Test
  void aCreateWhoseCurrentDefinitionIsRefusedAnswers409NamingTheAppAndStoresNothing() {
    try (AppsSim s = sim()) {
      store.failAt(2, Failure.REFUSE); // the version is written, the current definition refused
      AppsApi.Response r = s.call("POST", "/v2/apps", web("sleep 1000", 1));
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.body()).contains("App /web was not changed").contains("refused").contains("apps/web");
      assertThat(apps(s.json("GET", "/v2/apps", ""))).isEmpty();
      assertThat(store.definitions()).as("the version written first is undone").isEmpty();
      assertThat(s.json("GET", "/v2/deployments", "")).isEmpty();
      // the service port taken for the failed create is free again
      AppsApi.Response ok = s.call("POST", "/v2/apps", web("sleep 1000", 1));
      assertThat(ok.status()).isEqualTo(201);
      Map<String, String> shown = apps(s.json("GET", "/v2/apps", ""));
      assertThat(shown.get("/web")).endsWith("ports [10000]");
      assertThat(afterFailover(s)).isEqualTo(shown);
    }
  }

  @Test
  void anUpdateTheStoreFailsOnAnswers503AndKeepsTheOldDefinitionHereAndAfterFailover() {
    try (AppsSim s = sim()) {
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 1)).status()).isEqualTo(201);
      s.advanceUntil(() -> s.running("/web") == 1, Duration.ofSeconds(30));
      Map<String, String> before = apps(s.json("GET", "/v2/apps", ""));
      Map<String, String> stored = store.definitions();
      for (int n = 1; n <= 2; n++) {
        store.failAt(n, Failure.THROW);
        AppsApi.Response r = s.call("PUT", "/v2/apps/web", "{\"cmd\":\"sleep 2000\",\"instances\":2}");
        assertThat(r.status()).as("write %s fails", n).isEqualTo(503);
        assertThat(r.body()).contains("App /web was not changed").contains("no quorum writing apps/web");
        assertThat(apps(s.json("GET", "/v2/apps", ""))).isEqualTo(before);
        assertThat(s.json("GET", "/v2/deployments", "")).isEmpty();
        assertThat(store.definitions()).isEqualTo(stored);
      }
      assertThat(s.running("/web")).isEqualTo(1);
      assertThat(afterFailover(s)).isEqualTo(before);
    }
  }

  @Test
  void aDeleteTheStoreRefusesAnswers409AndTheAppStaysHereAndAfterFailover() {
    try (AppsSim s = sim()) {
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 1)).status()).isEqualTo(201);
      s.advanceUntil(() -> s.running("/web") == 1, Duration.ofSeconds(30));
      assertThat(s.call("PUT", "/v2/apps/web", "{\"cmd\":\"sleep 2000\"}").status()).isEqualTo(200);
      s.advanceUntil(() -> s.json("GET", "/v2/deployments", "").isEmpty(), Duration.ofSeconds(30));
      Map<String, String> before = apps(s.json("GET", "/v2/apps", ""));
      Map<String, String> stored = store.definitions();
      assertThat(stored).hasSize(3); // the current definition and two versions
      for (int n = 1; n <= 3; n++) {
        store.failAt(n, Failure.REFUSE);
        AppsApi.Response r = s.call("DELETE", "/v2/apps/web", "");
        assertThat(r.status()).as("delete %s refused", n).isEqualTo(409);
        assertThat(r.body()).contains("App /web was not changed").contains("refused the delete");
        assertThat(apps(s.json("GET", "/v2/apps", ""))).isEqualTo(before);
        assertThat(store.definitions()).as("deletes before the refused one undone").isEqualTo(stored);
      }
      assertThat(s.running("/web")).isEqualTo(1);
      assertThat(afterFailover(s)).isEqualTo(before);
    }
  }

  @Test
  void aGroupWhoseSecondAppIsRefusedCreatesNeitherAppNorGroup() {
    try (AppsSim s = sim()) {
      String group = "{\"id\":\"/prod\",\"apps\":[{\"id\":\"a\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16},"
          + "{\"id\":\"b\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16}]}";
      // writes: group /prod, app a (version, current), app b (version, current): the last is refused
      store.failAt(5, Failure.REFUSE);
      AppsApi.Response r = s.call("POST", "/v2/groups", group);
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.body()).contains("App /prod/b was not changed");
      assertThat(apps(s.json("GET", "/v2/apps", ""))).isEmpty();
      assertThat(s.call("GET", "/v2/groups/prod", "").status()).isEqualTo(404);
      assertThat(store.definitions()).isEmpty();
      assertThat(s.call("POST", "/v2/groups", group).status()).isEqualTo(201);
      Map<String, String> shown = apps(s.json("GET", "/v2/apps", ""));
      assertThat(shown).containsOnlyKeys("/prod/a", "/prod/b");
      store.failAt(3, Failure.THROW); // DELETE: a's current definition and version deleted, b's fails
      AppsApi.Response d = s.call("DELETE", "/v2/groups/prod", "");
      assertThat(d.status()).isEqualTo(503);
      assertThat(d.body()).contains("App /prod/b was not changed");
      assertThat(apps(s.json("GET", "/v2/apps", ""))).isEqualTo(shown);
      assertThat(s.call("GET", "/v2/groups/prod", "").status()).isEqualTo(200);
      assertThat(afterFailover(s)).isEqualTo(shown);
    }
  }

  @Test
  void aScaleDownByKillingTasksThatTheStoreRefusesKillsNothing() {
    try (AppsSim s = sim()) {
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 2)).status()).isEqualTo(201);
      s.advanceUntil(() -> s.running("/web") == 2, Duration.ofSeconds(30));
      Map<String, String> before = apps(s.json("GET", "/v2/apps", ""));
      List<String> ids = new ArrayList<>(s.tasks("/web").keySet());
      store.failAt(1, Failure.REFUSE);
      AppsApi.Response r = s.call("POST", "/v2/tasks/delete", Map.of("scale", List.of("true")),
          "{\"ids\":[\"" + ids.get(0) + "\"]}");
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.body()).contains("App /web was not changed");
      assertThat(s.tasks("/web")).containsOnlyKeys(ids).allSatisfy((id, state) -> assertThat(state)
          .isEqualTo("TASK_RUNNING"));
      assertThat(apps(s.json("GET", "/v2/apps", ""))).isEqualTo(before);
      assertThat(afterFailover(s)).isEqualTo(before);
    }
  }

  @Test
  void deletingAnAppKeepsTheStoredDefinitionOfAnAppWhoseIdItPrefixes() {
    try (AppsSim s = sim()) {
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 1)).status()).isEqualTo(201);
      assertThat(s.call("POST", "/v2/apps", web("sleep 1000", 1).replace("/web", "/web2")).status()).isEqualTo(201);
      assertThat(s.call("DELETE", "/v2/apps/web", "").status()).isEqualTo(200);
      s.advanceUntil(() -> !apps(s.json("GET", "/v2/apps", "")).containsKey("/web"), Duration.ofSeconds(30));
      Map<String, String> shown = apps(s.json("GET", "/v2/apps", ""));
      assertThat(shown).containsOnlyKeys("/web2");
      assertThat(afterFailover(s)).isEqualTo(shown);
    }
  }

  @Test
  void replacingTheRootGroupStoresItsAppsAndAnswers200() {
    try (AppsSim s = sim()) {
      AppsApi.Response r = s.call("PUT", "/v2/groups", "{\"apps\":[{\"id\":\"/r\",\"cmd\":\"sleep 1000\","
          + "\"cpus\":0.1,\"mem\":16}]}");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      Map<String, String> shown = apps(s.json("GET", "/v2/apps", ""));
      assertThat(shown).containsOnlyKeys("/r");
      assertThat(afterFailover(s)).isEqualTo(shown);
    }
  }
}
