package dev.agora.coordination;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class ZooKeeperStateStoreTest extends StateStoreContract {
  private static Ensemble ensemble;

  @BeforeAll
  static void startEnsemble() throws Exception {
    ensemble = new Ensemble();
  }

  @AfterAll
  static void stopEnsemble() throws Exception {
    ensemble.close();
  }

  @Override
  protected StateStore newStore() {
    return ensemble.connect(ensemble.newUrl()).stateStore();
  }
}
