package dev.agora.coordination;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreContract;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

  private ZooKeeperCoordination zk;

  @Override
  protected StateStore newStore() {
    zk = ensemble.connect(ensemble.newUrl());
    return zk.stateStore();
  }

  private List<String> chunkGenerations() throws Exception {
    String chunks = new Layout(zk.url().root()).chunks();
    return zk.client().checkExists().forPath(chunks) == null
        ? List.of() : zk.client().getChildren().forPath(chunks);
  }

  @Test
  void replacedAndDeletedValuesLeaveNoChunksBehind() throws Exception {
    byte[] big = new byte[ZooKeeperStateStore.CHUNK * 3 + 1];
    new Random(3).nextBytes(big);
    store.compareAndSet("a", big, -1);
    assertThat(chunkGenerations()).hasSize(1);
    store.compareAndSet("a", big, 0);
    assertThat(chunkGenerations()).hasSize(1);
    assertThat(store.compareAndSet("a", big, 0)).isEmpty();
    assertThat(chunkGenerations()).hasSize(1);
    store.compareAndSet("a", new byte[] {1}, 1);
    assertThat(chunkGenerations()).isEmpty();
    store.compareAndSet("a", big, 2);
    store.delete("a", 3);
    assertThat(chunkGenerations()).isEmpty();
  }

  @Test
  void aReaderSeesOneWholeValueWhileItIsReplaced() throws Exception {
    byte[] first = new byte[ZooKeeperStateStore.CHUNK * 2 + 5];
    byte[] second = new byte[ZooKeeperStateStore.CHUNK * 3 + 7];
    Arrays.fill(first, (byte) 1);
    Arrays.fill(second, (byte) 2);
    store.compareAndSet("big", first, -1);
    List<String> torn = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 6; i++) {
        store.compareAndSet("big", i % 2 == 0 ? second : first, i);
      }
    });
    int reads = 0;
    while (!writer.isDone() || reads < 3) {
      byte[] read = store.get("big").orElseThrow().value();
      if (!Arrays.equals(read, first) && !Arrays.equals(read, second)) {
        torn.add("read of " + read.length + " bytes");
      }
      reads++;
    }
    writer.get(60, TimeUnit.SECONDS);
    assertThat(torn).isEmpty();
    assertThat(store.get("big").orElseThrow().version()).isEqualTo(6);
  }
}
