package dev.agora.coordination;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.master.RegistryStandbyContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A standby's registry copy and a failover's read-back over ZooKeeper (a real ensemble in this JVM). */
class RegistryStandbyZooKeeperTest extends RegistryStandbyContract {
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
    return ensemble.connect(ensemble.newUrl()).stateStore(); // the session is closed with the ensemble
  }
}
