package dev.agora.core.coordination;

class InMemoryStateStoreTest extends StateStoreContract {
  @Override
  protected StateStore newStore() {
    return new InMemoryStateStore();
  }
}
