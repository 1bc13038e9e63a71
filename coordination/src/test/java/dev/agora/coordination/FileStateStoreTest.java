package dev.agora.coordination;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest extends StateStoreContract {
  @TempDir
  Path dir;

  @Override
  protected StateStore newStore() {
    return StateStores.file(dir);
  }

  @Test
  void valuesVersionsAndTheEpochSurviveAReopen() {
    byte[] big = new byte[2 * 1024 * 1024];
    new Random(1).nextBytes(big);
    store.compareAndSet("a", "one".getBytes(UTF_8), -1);
    store.compareAndSet("a", "two".getBytes(UTF_8), 0);
    store.compareAndSet("a/b/c", big, -1);
    store.compareAndSet("gone", "x".getBytes(UTF_8), -1);
    store.delete("gone", 0);
    store.beginEpoch(7);
    store.close();

    store = StateStores.file(dir);
    assertThat(store.keys("")).containsExactly("a", "a/b/c");
    assertThat(store.get("a").orElseThrow().version()).isEqualTo(1);
    assertThat(store.get("a").orElseThrow().value()).isEqualTo("two".getBytes(UTF_8));
    assertThat(store.get("a/b/c").orElseThrow().value()).isEqualTo(big);
    assertThat(store.epoch()).isEqualTo(7);
    assertThat(store.fenced(6).compareAndSet("a", "stale".getBytes(UTF_8), 1)).isEmpty();
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() {
    assertThatThrownBy(() -> StateStores.file(dir)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(dir.toString());
    store.close();
    store = StateStores.file(dir);
    assertThat(store.keys("")).isEmpty();
  }

  @Test
  void temporaryFilesOfACrashedWriteAreIgnoredAndRemoved() throws Exception {
    store.compareAndSet("agents/a1", "ok".getBytes(UTF_8), -1);
    store.close();
    Path leftover = dir.resolve("state").resolve("agents.d").resolve(".tmp-crashed");
    Files.write(leftover, new byte[] {1, 2, 3});
    store = StateStores.file(dir);
    assertThat(store.keys("")).containsExactly("agents/a1");
    assertThat(Files.exists(leftover)).isFalse();
  }

  @Test
  void aClosedStoreRefusesCalls() {
    store.close();
    store.close();
    assertThatThrownBy(() -> store.get("a")).isInstanceOf(IllegalStateException.class);
  }
}
