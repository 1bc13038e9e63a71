package dev.agora.core.master;

import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;

class RegistryStandbyInMemoryTest extends RegistryStandbyContract {
  @Override
  protected StateStore newStore() {
    return new InMemoryStateStore();
  }
}
