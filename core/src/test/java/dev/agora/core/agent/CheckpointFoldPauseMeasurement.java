package dev.agora.core.agent;

import dev.agora.core.agent.CheckpointCodec.TaskRecord;
import dev.agora.core.model.TaskState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: a measurement of how long the agent's loop is held by a checkpoint flush, at the fold
 * point, with 1,000 long-running tasks (run with {@code -Dagora.measureFold=true}; figures in
 * benchmarks/RESULTS.md). Each turn queues the records of 10 tasks and flushes them, as the loop
 * would: launch (STARTING), RUNNING, acknowledgement; then RUNNING updates (health) until three
 * folds have happened.
 */
@EnabledIfSystemProperty(named = "agora.measureFold", matches = "true")
class CheckpointFoldPauseMeasurement {
  @TempDir
  Path dir;

  @Test
  void longestFlushAtTheFoldPoint() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      measure(dir.resolve("round-" + round));
    }
  }

  private static void measure(Path work) throws InterruptedException {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
    List<Long> folds = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.Executor timed = r -> {
      long start = System.nanoTime();
      r.run();
      folds.add((System.nanoTime() - start) / 1_000_000);
    };
    // inline: the fold runs inside the flush, on the loop, as before rotation (a proxy of the old code)
    boolean inline = Boolean.getBoolean("agora.measureFold.inline");
    CheckpointStore store = new CheckpointStore(work, r -> { }, inline ? timed : r -> pool.execute(() -> timed.execute(r)),
        CheckpointStore.DEFAULT_FOLD_ENTRIES);
    List<String> rotations = new ArrayList<>();
    int tasks = 1000;
    int perTurn = 10;
    List<Long> turns = new ArrayList<>();
    long entries = 0;
    long uuid = 0;
    int phase = 0;
    while (entries < 3L * CheckpointStore.DEFAULT_FOLD_ENTRIES + perTurn) {
      for (int first = 0; first < tasks; first += perTurn) {
        for (int t = first; t < first + perTurn; t++) {
          TaskState state = phase == 0 ? TaskState.STARTING : TaskState.RUNNING;
          TaskRecord r = CheckpointStoreTest.record("task-" + t, state, ++uuid);
          store.writeTask(phase == 2 ? new TaskRecord(r.checkpoint(), r.frameworkId(), r.framework(), r.task(),
              r.containerId(), r.pid(), r.sandbox(), r.environment(), r.user(), r.state(), List.of()) : r);
        }
        int before = folds.size();
        boolean wasFolding = store.folding();
        long start = System.nanoTime();
        store.flush();
        long took = System.nanoTime() - start;
        turns.add(took);
        if (!wasFolding && (store.folding() || folds.size() > before)) {
          rotations.add("turn " + turns.size() + ": " + String.format("%.1f ms", took / 1e6));
        }
        entries += perTurn;
      }
      phase = Math.min(phase + 1, 3);
    }
    pool.shutdown();
    pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
    store.close();
    List<Long> sorted = new ArrayList<>(turns);
    sorted.sort(null);
    List<String> slow = new ArrayList<>();
    for (int i = 0; i < turns.size(); i++) {
      if (turns.get(i) > 50_000_000L) {
        slow.add("turn " + i + ": " + turns.get(i) / 1_000_000 + " ms");
      }
    }
    System.out.printf("fold measurement: %d turns of %d records, 1,000 tasks; flush median %.2f ms, p99 %.2f ms,"
        + " max %.1f ms; turns over 50 ms: %s; flushes that rotated: %s; folds (ms, %s): %s%n", turns.size(), perTurn,
        sorted.get(sorted.size() / 2) / 1e6, sorted.get(sorted.size() * 99 / 100) / 1e6,
        sorted.get(sorted.size() - 1) / 1e6, slow, rotations, inline ? "inline, on the loop" : "off the loop", folds);
  }
}
