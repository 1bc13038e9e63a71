package dev.agora.coordination;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failures of a real three-node ensemble: the leader's session expiring (client-side, the way
 * Curator simulates it, so the old session's node outlives it on the server: the CURATOR-620
 * setting) and the ensemble losing its quorum.
 */
class ZooKeeperFailoverTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private Ensemble ensemble;
  private String url;
  private final List<Master> masters = new ArrayList<>();
  /** Set when a master starts leading while another still acts and holds its candidate node. */
  private final List<String> violations = new CopyOnWriteArrayList<>();
  /**
   * Set when a master starts leading while another still acts but whose candidate node the server
   * has already removed: its session was ended on the server before its client heard of it. The
   * injected expiry can do that (Curator closes the expired handle, and the close may reach the
   * server before the handle is marked closed), as a real server-side expiry does; no elector can
   * stop acting before it hears, so what holds then is the fencing, checked by the tests.
   */
  private final List<String> endedOnServer = new CopyOnWriteArrayList<>();
  /** A session of its own that looks at candidate nodes. */
  private org.apache.curator.framework.CuratorFramework observer;
  private final List<String> history = new CopyOnWriteArrayList<>();

  /** A stand-in for a master: one session, one candidacy, a flag that says it acts. */
  final class Master implements LeaderElector.Listener {
    final String name;
    final ZooKeeperCoordination zk;
    final ZooKeeperLeaderElector elector;
    final ExecutorService executor = Executors.newSingleThreadExecutor();
    volatile boolean acting;
    volatile long epoch;
    /** The candidate node it leads with. */
    volatile String leadPath;

    Master(String name) {
      this(name, Ensemble.SESSION);
    }

    Master(String name, Duration session) {
      this.name = name;
      this.zk = ensemble.connect(url, session);
      this.elector = (ZooKeeperLeaderElector) zk.leaderElector(Address.of(name));
      elector.start(this, executor);
      masters.add(this);
    }

    @Override
    public void isLeader(long value) {
      String path = candidatePath();
      synchronized (masters) {
        for (Master m : masters) {
          if (m != this && m.acting) {
            String overlap = name + " leads " + value + " while " + m.name + " acts under " + m.epoch;
            (nodeExists(m.leadPath) ? violations : endedOnServer).add(overlap);
          }
        }
        epoch = value;
        leadPath = path;
        acting = true;
        history.add(name + " leads " + value);
      }
    }

    private String candidatePath() {
      try {
        return elector.candidatePath().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void notLeader() {
      synchronized (masters) {
        acting = false;
        history.add(name + " stops");
      }
    }

    void expireSession() throws Exception {
      zk.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
    }
  }

  @BeforeEach
  void start() throws Exception {
    ensemble = new Ensemble();
    url = ensemble.newUrl();
    observer = ensemble.connect(url).client();
  }

  private boolean nodeExists(String path) {
    try {
      return path != null && observer.checkExists().forPath(path) != null;
    } catch (Exception e) {
      return true; // unknown: counted as a violation
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Master m : masters) {
      m.elector.close();
      m.executor.shutdownNow();
    }
    ensemble.close();
  }

  private List<Master> acting() {
    return masters.stream().filter(m -> m.acting).toList();
  }

  private Master awaitOneLeader() {
    await().atMost(DEADLINE).until(() -> acting().size() == 1);
    return acting().get(0);
  }

  @Test
  void anExpiredLeaderStopsBeforeTheNextStartsAndItsEpochIsFenced() throws Exception {
    new Master("a");
    new Master("b");
    new Master("c");
    Master first = awaitOneLeader();
    // Every candidate in line (its node made) before the leader's session ends, as in the test below.
    for (Master m : masters) {
      await().atMost(DEADLINE).until(() -> m.elector.candidatePath().get(5, TimeUnit.SECONDS) != null);
    }
    long oldEpoch = first.epoch;
    StateStore store = ensemble.connect(url).stateStore();
    assertThat(store.epoch()).isEqualTo(oldEpoch);
    StateStore oldLeader = store.fenced(oldEpoch);
    assertThat(oldLeader.compareAndSet("registry/agents", "v0".getBytes(UTF_8), -1)).contains(0L);

    MasterDetector detector = ensemble.connect(url).masterDetector();
    List<Optional<Address>> seen = new CopyOnWriteArrayList<>();
    detector.watch(Runnable::run, seen::add);
    await().atMost(DEADLINE).until(() -> detector.leader().equals(Optional.of(Address.of(first.name))));

    first.expireSession();

    await().atMost(DEADLINE).until(() -> acting().size() == 1 && acting().get(0).epoch > oldEpoch);
    Master next = acting().get(0);
    assertThat(violations).as("%s", history).isEmpty();
    if (endedOnServer.isEmpty()) { // else the server ended the session first: the fencing below is what holds
      assertThat(history).containsSubsequence(first.name + " stops", next.name + " leads " + next.epoch);
    }
    // The old term can no longer write; the new one can.
    assertThat(oldLeader.compareAndSet("registry/agents", "stale".getBytes(UTF_8), 0)).isEmpty();
    assertThat(oldLeader.delete("registry/agents", 0)).isFalse();
    assertThat(store.fenced(next.epoch).compareAndSet("registry/agents", "v1".getBytes(UTF_8), 0)).contains(1L);
    assertThat(new String(store.get("registry/agents").orElseThrow().value(), UTF_8)).isEqualTo("v1");
    // Followers and agents see the new leader.
    await().atMost(DEADLINE).until(() -> detector.leader().equals(Optional.of(Address.of(next.name))));
    assertThat(seen).contains(Optional.of(Address.of(first.name)), Optional.of(Address.of(next.name)));
  }

  /**
   * Regression: after a client-side expiry the next leader's {@code isLeader} ran before the
   * expired one's {@code notLeader} had run (about one run in four), because the old candidate
   * node was deleted before the term ended. The elector now ends the term, waits for {@code
   * notLeader()}, and only then deletes the node; {@code violations} checks the order.
   */
  @Test
  void aCandidateNodeOfAnEarlierSessionIsNeverTakenAsOurs() throws Exception {
    // CURATOR-620: after a client-side expiry the old session (and its node, still first in line)
    // lives on the server until its timeout. A latch that resumed with that node would lead next
    // to whoever the server elects when the old session finally ends.
    // A long session, so its old node would block the election for 20 s if not deleted.
    Duration longSession = Duration.ofSeconds(20);
    Master solo = new Master("solo", longSession);
    await().atMost(DEADLINE).until(() -> solo.acting);
    long oldEpoch = solo.epoch;
    String oldPath = solo.elector.candidatePath().get(5, TimeUnit.SECONDS);
    long oldSession = solo.zk.client().getZookeeperClient().getZooKeeper().getSessionId();
    Master other = new Master("other");
    // other is in line (its node exists) before solo's session expires, so it is next.
    await().atMost(DEADLINE).until(() -> other.elector.candidatePath().get(5, TimeUnit.SECONDS) != null);

    solo.expireSession();

    await().atMost(longSession.dividedBy(2))
        .until(() -> acting().size() == 1 && acting().get(0).epoch > oldEpoch);
    assertThat(violations).as("%s", history).isEmpty();
    org.junit.jupiter.api.Assumptions.assumeTrue(endedOnServer.isEmpty(), () -> "the injected expiry reached the"
        + " server (it removed solo's node at once), so the CURATOR-620 setting did not arise: " + endedOnServer);
    // The old node was removed by its owner at once (not left to the session timeout), so the
    // next in line leads after solo stops (on a loaded machine other's own short session may end
    // later, and solo lead again: that is fine), and solo's new node belongs to its new session.
    // (An epoch may be skipped: a claim solo made while its session changed is void.)
    List<String> afterStop = history.subList(history.indexOf("solo stops") + 1, history.size());
    assertThat(afterStop).as("%s", history).isNotEmpty();
    assertThat(afterStop.get(0)).as("%s", history).startsWith("other leads ");
    assertThat(solo.zk.client().checkExists().forPath(oldPath)).isNull();
    await().atMost(DEADLINE).until(() -> {
      String path = solo.elector.candidatePath().get(5, TimeUnit.SECONDS);
      if (path == null || path.equals(oldPath)) {
        return false;
      }
      Stat stat = solo.zk.client().checkExists().forPath(path);
      long session = solo.zk.client().getZookeeperClient().getZooKeeper().getSessionId();
      return stat != null && stat.getEphemeralOwner() == session && session != oldSession;
    });
    assertThat(violations).isEmpty();
    assertThat(solo.acting).isFalse();
  }

  @Test
  void withoutQuorumNobodyLeadsAndNoWriteIsConfirmedThenEverythingResumes() throws Exception {
    new Master("a");
    new Master("b");
    new Master("c");
    Master first = awaitOneLeader();
    long oldEpoch = first.epoch;
    ZooKeeperCoordination storeSession = ensemble.connect(url);
    StateStore store = storeSession.stateStore();
    StateStore leader = store.fenced(oldEpoch);
    assertThat(leader.compareAndSet("registry/frameworks", "before".getBytes(UTF_8), -1)).contains(0L);

    List<InstanceSpec> servers = new ArrayList<>(ensemble.cluster.getInstances());
    ensemble.cluster.killServer(servers.get(0));
    ensemble.cluster.killServer(servers.get(1));

    await().atMost(DEADLINE).until(() -> acting().isEmpty());
    boolean written;
    try {
      written = leader.compareAndSet("registry/frameworks", "during".getBytes(UTF_8), 0).isPresent();
    } catch (StateStoreException e) {
      written = false;
    }
    assertThat(written).isFalse();
    assertThat(acting()).isEmpty();

    ensemble.cluster.restartServer(servers.get(0));
    ensemble.cluster.restartServer(servers.get(1));

    await().atMost(DEADLINE).until(() -> acting().size() == 1 && acting().get(0).epoch > oldEpoch);
    Master next = acting().get(0);
    assertThat(violations).isEmpty();
    await().atMost(DEADLINE).ignoreExceptionsInstanceOf(StateStoreException.class)
        .until(() -> store.get("registry/frameworks").isPresent());
    // The write tried without quorum was never confirmed: ZooKeeper may still apply it once quorum
    // is back (the request was in flight), but only under the old epoch, before the next one began.
    StateStore.Versioned survivor = store.get("registry/frameworks").orElseThrow();
    assertThat(new String(survivor.value(), UTF_8)).isIn("before", "during");
    long version = survivor.version();
    assertThat(leader.compareAndSet("registry/frameworks", "stale".getBytes(UTF_8), version))
        .as("the old epoch is fenced off").isEmpty();
    assertThat(store.fenced(next.epoch).compareAndSet("registry/frameworks", "after".getBytes(UTF_8), version))
        .contains(version + 1);
  }

  @Test
  void theDetectorFollowsTheLeaderAndSeesNoneWhenAllLeave() throws Exception {
    MasterDetector detector = ensemble.connect(url).masterDetector();
    List<Optional<Address>> seen = new CopyOnWriteArrayList<>();
    ExecutorService single = Executors.newSingleThreadExecutor();
    try {
      detector.watch(single, seen::add);
      await().atMost(DEADLINE).until(() -> seen.size() == 1);
      assertThat(seen.get(0)).isEmpty();
      Master a = new Master("a");
      await().atMost(DEADLINE).until(() -> seen.contains(Optional.of(Address.of("a"))));
      Master b = new Master("b");
      a.elector.close();
      await().atMost(DEADLINE).until(() -> seen.contains(Optional.of(Address.of("b"))));
      b.elector.close();
      await().atMost(DEADLINE).until(() -> seen.get(seen.size() - 1).isEmpty());
      assertThat(detector.leader()).isEmpty();
    } finally {
      single.shutdownNow();
    }
  }
}
