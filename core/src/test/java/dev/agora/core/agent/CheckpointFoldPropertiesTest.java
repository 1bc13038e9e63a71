package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.agent.CheckpointCodec.TaskRecord;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * The checkpoint journal with folds off the loop, against a model: random writes, removals and
 * acknowledgements (a record without pending updates) of a few tasks, flushed at random turns,
 * with folds held and run at random points; at random points a crash image (a copy of the work
 * directory, a held fold partly applied to it: any subset of the rotated journal's latest records
 * written to the task files) recovers exactly what was flushed.
 */
class CheckpointFoldPropertiesTest {
  private static final String[] TASKS = {"a", "b", "c", "d"};
  private static final TaskState[] STATES = {TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED};

  @Property(tries = 100)
  void aCrashAnywhereRecoversWhatWasFlushed(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 999) Integer> ops,
      @ForAll @IntRange(min = 1, max = 5) int foldEntries) throws IOException {
    Path root = Files.createTempDirectory("checkpoint-fold-property");
    try {
      Path dir = root.resolve("work");
      List<Runnable> posted = new ArrayList<>();
      List<Runnable> folds = new ArrayList<>();
      CheckpointStore store = new CheckpointStore(dir, posted::add, folds::add, foldEntries);
      Map<String, String> durable = new TreeMap<>();
      List<String[]> queued = new ArrayList<>(); // {task, state or null}
      long uuid = 0;
      int images = 0;
      for (int code : ops) {
        String task = TASKS[(code / 10) % TASKS.length];
        switch (code % 10) {
          case 0, 1, 2 -> {
            TaskRecord r = CheckpointStoreTest.record(task, STATES[(int) (++uuid % STATES.length)], uuid);
            if (code % 10 == 2) { // an acknowledgement: the same state, no pending update
              r = new TaskRecord(r.checkpoint(), r.frameworkId(), r.framework(), r.task(), r.containerId(), r.pid(),
                  r.sandbox(), r.environment(), r.user(), r.state(), List.of());
            }
            store.writeTask(r);
            queued.add(new String[] {task, r.state() + "/" + r.pending().size()});
          }
          case 3 -> {
            store.removeTask(FrameworkId.of("fw"), TaskId.of(task));
            queued.add(new String[] {task, null});
          }
          case 4, 5, 6 -> {
            List<Runnable> now = new ArrayList<>(posted);
            posted.clear();
            now.forEach(Runnable::run);
            for (String[] q : queued) {
              if (q[1] == null) {
                durable.remove(q[0]);
              } else {
                durable.put(q[0], q[1]);
              }
            }
            queued.clear();
          }
          case 7 -> {
            if (!folds.isEmpty()) {
              folds.remove(0).run();
            }
          }
          default -> {
            Path image = root.resolve("image-" + images++);
            copy(dir, image);
            boolean rotated = Files.exists(image.resolve("meta").resolve(CheckpointStore.ROTATED));
            Statistics.label("crash image").collect(rotated ? "rotated journal, fold partly applied"
                : "no rotated journal");
            foldPartly(image, code / 10);
            assertThat(recover(image)).as("crash image %s after %s", image.getFileName(), ops).isEqualTo(durable);
          }
        }
        assertThat(folds).as("at most one fold in flight").hasSizeLessThanOrEqualTo(1);
      }
      if (!folds.isEmpty() && ops.size() % 2 == 0) {
        folds.remove(0).run();
      }
      store.close(); // flushes what is queued
      for (String[] q : queued) {
        if (q[1] == null) {
          durable.remove(q[0]);
        } else {
          durable.put(q[0], q[1]);
        }
      }
      posted.forEach(Runnable::run); // a flush posted before the close: nothing left to do
      assertThat(recover(dir)).isEqualTo(durable);
      assertThat(recover(dir)).as("recovered again").isEqualTo(durable);
    } finally {
      try (var all = Files.walk(root)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Map<String, String> recover(Path work) {
    Map<String, String> out = new TreeMap<>();
    for (TaskRecord r : new CheckpointStore(work).recover(true).tasks()) {
      out.put(r.task().taskId().value(), r.state() + "/" + r.pending().size());
    }
    return out;
  }

  /** A fold interrupted by the crash: the records of the rotated journal chosen by {@code mask} written, if any. */
  private static void foldPartly(Path work, int mask) throws IOException {
    Path rotated = work.resolve("meta").resolve(CheckpointStore.ROTATED);
    if (!Files.exists(rotated)) {
      return;
    }
    String text = Files.readString(rotated, StandardCharsets.UTF_8);
    int nul = text.indexOf('\0');
    Map<String, String> latest = new LinkedHashMap<>(); // task -> line, or null: removed
    for (String line : (nul < 0 ? text : text.substring(0, nul)).lines().toList()) {
      JsonNode node = CheckpointCodec.MAPPER.readTree(line);
      latest.put(node.get("taskId") != null ? node.get("taskId").asText()
          : CheckpointCodec.decodeTask(node).task().taskId().value(), node.has("removed") ? null : line);
    }
    int bit = 0;
    for (Map.Entry<String, String> e : latest.entrySet()) {
      if ((mask >> bit++ & 1) == 0) {
        continue;
      }
      Path file = work.resolve("meta").resolve("tasks").resolve("fw").resolve(e.getKey() + ".json");
      if (e.getValue() == null) {
        Files.deleteIfExists(file);
      } else {
        CheckpointStore.write(file, e.getValue().getBytes(StandardCharsets.UTF_8), false);
      }
    }
  }

  private static void copy(Path from, Path to) {
    try {
      Files.createDirectories(to);
      if (!Files.exists(from)) {
        return;
      }
      try (var all = Files.walk(from)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          Path target = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
