package dev.agora.coordination;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.LeaderElectorContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class ZooKeeperLeaderElectorTest extends LeaderElectorContract {
  private static Ensemble ensemble;
  private final String url = ensemble.newUrl();

  @BeforeAll
  static void startEnsemble() throws Exception {
    ensemble = new Ensemble();
  }

  @AfterAll
  static void stopEnsemble() throws Exception {
    ensemble.close();
  }

  @Override
  protected LeaderElector newElector(String name) {
    return ensemble.elector(url, name);
  }
}
