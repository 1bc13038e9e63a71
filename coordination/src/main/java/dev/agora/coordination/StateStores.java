package dev.agora.coordination;

import dev.agora.core.coordination.StateStore;
import java.nio.file.Path;

/**
 * The durable {@link StateStore}s of this module that need no ZooKeeper. (The ZooKeeper store
 * comes from {@link ZooKeeperCoordination#stateStore()}.)
 */
public final class StateStores {
  private StateStores() {}

  /**
   * A store in a local directory (created if needed), for a single durable master: each write is
   * fsynced and atomically renamed into place before it returns; the whole state is kept in memory
   * for reads. One open store per directory: it holds an exclusive lock on {@code
   * directory/lock} until closed, which the caller must do.
   *
   * @throws IllegalStateException if another store, in this or another process, has it open
   * @throws dev.agora.core.coordination.StateStoreException if the directory cannot be used
   */
  public static StateStore file(Path directory) {
    return FileStateStore.open(directory);
  }
}
