package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.examples.store.HeldExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apps service calls the state store off its loop: its state is read at leadership start, and
 * an API change written, on the store's executor; while that work is held back the loop goes on
 * (reads answered, invariants checked) and the change answers only once it is stored; a change
 * arriving meanwhile waits for it.
 */
class AppsStoreOffLoopTest {
  @TempDir
  Path dir;

  private static String app(String id, int instances) {
    return "{\"id\":\"" + id + "\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":" + instances + "}";
  }

  @Test
  void aNewLeaderReadsItsStateOnTheStoreExecutorAndLeadsOnlyOnceRead() {
    HeldExecutor io = new HeldExecutor();
    AppsStoreFailureTest.FailingStore store = new AppsStoreFailureTest.FailingStore();
    try (AppsSim first = new AppsSim(31, dir, store)) {
      first.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "").start();
      assertThat(first.call("POST", "/v2/apps", app("/kept", 1)).status()).isEqualTo(201);
    }
    io.hold = true;
    try (AppsSim s = new AppsSim(32, dir.resolve("second"), store, io)) {
      s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "").start();
      assertThat(io.held).as("the state is read on the store's executor").isNotEmpty();
      assertThat(s.call("GET", "/v2/apps", "").status()).as("not leading before its state is read").isEqualTo(503);
      io.release();
      s.sim.runUntilIdle();
      assertThat(s.json("GET", "/v2/apps", "").get("apps").get(0).get("id").asText()).isEqualTo("/kept");
    }
  }

  @Test
  void whileAWriteIsHeldTheLoopGoesOnAndThePostAnswersOnlyOnceStored() {
    HeldExecutor io = new HeldExecutor();
    AppsStoreFailureTest.FailingStore store = new AppsStoreFailureTest.FailingStore();
    try (AppsSim s = new AppsSim(33, dir, store, io)) {
      s.addAgent("cpus:4;mem:4096;ports:[31000-31099]", "").start();
      assertThat(s.call("POST", "/v2/apps", app("/a", 1)).status()).isEqualTo(201);
      s.advanceUntil(() -> s.running("/a") == 1, Duration.ofSeconds(30));

      io.hold = true;
      CompletableFuture<AppsApi.Response> post = s.apps.api().handle("POST", "/v2/apps", java.util.Map.of(),
          app("/b", 1));
      CompletableFuture<AppsApi.Response> put = s.apps.api().handle("PUT", "/v2/apps/a", java.util.Map.of(),
          "{\"instances\":2}");
      s.sim.advance(Duration.ofSeconds(5));
      assertThat(post).as("the POST waits for its write").isNotDone();
      assertThat(put).as("the PUT waits behind the POST").isNotDone();
      assertThat(io.held).as("the write is handed to the store's executor, not made on the loop").isNotEmpty();
      assertThat(store.definitions()).doesNotContainKey("apps/b");
      s.checkInvariants(); // the loop is free
      assertThat(s.json("GET", "/v2/apps", "").get("apps")).as("reads answered, without the pending app")
          .hasSize(1);
      assertThat(s.running("/a")).isEqualTo(1);

      io.release();
      io.hold = true; // the PUT's write, handed once the POST's is done, is held in turn
      s.sim.runUntilIdle();
      assertThat(post.join().status()).isEqualTo(201);
      assertThat(store.definitions()).containsKey("apps/b");
      assertThat(put).as("its write handed on once the POST's was done").isNotDone();
      io.release();
      s.sim.runUntilIdle();
      assertThat(put.join().status()).isEqualTo(200);
      s.advanceUntil(() -> s.running("/a") == 2 && s.running("/b") == 1, Duration.ofSeconds(30));
    }
  }
}
