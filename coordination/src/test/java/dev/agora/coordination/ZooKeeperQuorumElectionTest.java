package dev.agora.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --quorum}: no master takes office before that many contenders are in the election. */
class ZooKeeperQuorumElectionTest {
  private static Ensemble ensemble;

  @BeforeAll
  static void startEnsemble() throws Exception {
    ensemble = new Ensemble();
  }

  @AfterAll
  static void stopEnsemble() throws Exception {
    ensemble.close();
  }

  /** The epoch the listener last heard, 0 while not leading. */
  private static AtomicLong start(LeaderElector elector) {
    AtomicLong leading = new AtomicLong();
    elector.start(new LeaderElector.Listener() {
      @Override
      public void isLeader(long epoch) {
        leading.set(epoch);
      }

      @Override
      public void notLeader() {
        leading.set(0);
      }
    }, Runnable::run);
    return leading;
  }

  @Test
  void theFirstInLineTakesOfficeOnlyOnceAQuorumIsPresent() {
    String url = ensemble.newUrl();
    LeaderElector first = ensemble.connect(url).leaderElector(Address.of("m1"), 2);
    AtomicLong firstLeads = start(first);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> firstLeads.get() == 0);

    ZooKeeperCoordination second = ensemble.connect(url);
    AtomicLong secondLeads = start(second.leaderElector(Address.of("m2"), 2));
    await().atMost(Duration.ofSeconds(20)).until(() -> firstLeads.get() > 0);
    assertThat(secondLeads.get()).isZero();

    second.close(); // a contender leaves: the leader in office stays
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> firstLeads.get() > 0);
    first.close();
  }

  @Test
  void aQuorumOfOneIsTheUsualElection() {
    AtomicLong leads = start(ensemble.connect(ensemble.newUrl()).leaderElector(Address.of("m1"), 1));
    await().atMost(Duration.ofSeconds(20)).until(() -> leads.get() > 0);
  }

  @Test
  void aQuorumBelowOneIsRefused() {
    ZooKeeperCoordination c = ensemble.connect(ensemble.newUrl());
    assertThatThrownBy(() -> c.leaderElector(Address.of("m1"), 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
  }
}
