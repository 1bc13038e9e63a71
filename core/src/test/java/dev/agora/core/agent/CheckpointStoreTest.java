package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.agent.CheckpointCodec.TaskRecord;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task checkpoint's journal: batched appends, what waits for them, recovery and folding. */
class CheckpointStoreTest {
  @TempDir
  Path dir;

  /** Where copies of {@link #dir} go (crash images). */
  @TempDir
  Path scratch;

  private final List<Runnable> posted = new ArrayList<>();

  /**
   * A store whose flushes wait in {@link #posted} until the test runs them (as the agent's loop
   * would), and which folds at once.
   */
  private CheckpointStore store(int foldEntries) {
    return new CheckpointStore(dir, posted::add, Runnable::run, foldEntries);
  }

  private void runPosted() {
    List<Runnable> now = new ArrayList<>(posted);
    posted.clear();
    now.forEach(Runnable::run);
  }

  private List<TaskRecord> onDisk() {
    return new CheckpointStore(dir).recover(true).tasks();
  }

  @Test
  void recordsOfOneTurnAreAppendedOnceAndWhatWaitsForThemRunsAfter() {
    CheckpointStore store = store(100);
    List<String> sent = new ArrayList<>();
    store.afterFlush(() -> sent.add("nothing queued: at once"));
    store.writeTask(record("a", TaskState.STARTING, 1));
    store.writeTask(record("b", TaskState.STARTING, 2));
    store.afterFlush(() -> sent.add("update of a and b, " + onDiskCopy().size() + " on disk"));
    store.writeTask(record("a", TaskState.RUNNING, 3));
    assertThat(sent).containsExactly("nothing queued: at once");
    assertThat(posted).as("one flush posted for the turn").hasSize(1);
    assertThat(Files.exists(dir.resolve("meta").resolve(CheckpointStore.JOURNAL))).isFalse();

    runPosted();

    assertThat(sent).containsExactly("nothing queued: at once", "update of a and b, 2 on disk");
    assertThat(journalLines()).hasSize(3);
    assertThat(onDiskCopy()).extracting(r -> r.task().taskId().value() + "=" + r.state())
        .containsExactlyInAnyOrder("a=RUNNING", "b=STARTING");
  }

  @Test
  void recoveryReplaysTheJournalOverTheTaskFilesAndFoldsIt() throws Exception {
    CheckpointStore first = new CheckpointStore(dir); // writes each task file at once
    first.writeTask(record("a", TaskState.STARTING, 1));
    first.writeTask(record("gone", TaskState.RUNNING, 2));
    CheckpointStore store = store(100);
    store.writeTask(record("a", TaskState.RUNNING, 3));
    store.removeTask(FrameworkId.of("fw"), TaskId.of("gone"));
    store.writeTask(record("c", TaskState.STARTING, 4));
    runPosted();
    Path taskFiles = dir.resolve("meta").resolve("tasks").resolve("fw");
    assertThat(Files.exists(taskFiles.resolve("gone.json"))).as("not folded yet").isTrue();

    List<TaskRecord> recovered = onDisk();

    assertThat(recovered).extracting(r -> r.task().taskId().value() + "=" + r.state())
        .containsExactlyInAnyOrder("a=RUNNING", "c=STARTING");
    assertThat(Files.exists(dir.resolve("meta").resolve(CheckpointStore.JOURNAL))).isFalse();
    assertThat(Files.exists(taskFiles.resolve("gone.json"))).isFalse();
    assertThat(CheckpointCodec.decodeTask(CheckpointCodec.MAPPER.readTree(taskFiles.resolve("a.json").toFile())).state())
        .isEqualTo(TaskState.RUNNING);
    assertThat(onDisk()).as("the same once folded").isEqualTo(recovered);
  }

  @Test
  void anIncompleteLastEntryIsACrashDuringTheAppendAndIsIgnored() throws Exception {
    CheckpointStore store = store(100);
    store.writeTask(record("a", TaskState.STARTING, 1));
    runPosted();
    byte[] torn = CheckpointCodec.encodeBytes(record("a", TaskState.RUNNING, 2));
    writeAtEnd(java.util.Arrays.copyOf(torn, torn.length / 2));

    assertThat(onDisk()).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(TaskState.STARTING));
  }

  @Test
  void aCorruptEntryStopsStrictRecoveryAndNonStrictRecoversTheRest() throws Exception {
    CheckpointStore store = store(100);
    store.writeTask(record("a", TaskState.STARTING, 1));
    runPosted();
    Path journal = dir.resolve("meta").resolve(CheckpointStore.JOURNAL);
    writeAtEnd("{\"version\":1,\"task\":\n".getBytes());
    store(100).writeTask(record("b", TaskState.STARTING, 2)); // a new store appends after what it finds
    runPosted();

    assertThatThrownBy(() -> new CheckpointStore(dir).recover(true)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(journal + " line 2");
    CheckpointStore.Recovered rest = new CheckpointStore(dir).recover(false);
    assertThat(rest.tasks()).extracting(r -> r.task().taskId().value()).containsExactlyInAnyOrder("a", "b");
    assertThat(rest.problems()).singleElement().asString().contains("line 2");
    assertThat(Files.exists(journal.resolveSibling(CheckpointStore.JOURNAL + ".corrupt"))).isTrue();
    assertThat(Files.exists(journal)).isFalse();
  }

  @Test
  void aStoreOpeningAJournalWithAnIncompleteEntryWritesOverIt() throws Exception {
    store(100).writeTask(record("a", TaskState.STARTING, 1));
    runPosted();
    byte[] torn = CheckpointCodec.encodeBytes(record("a", TaskState.RUNNING, 2));
    writeAtEnd(java.util.Arrays.copyOf(torn, torn.length - 10));
    store(100).writeTask(record("b", TaskState.STARTING, 3));
    runPosted();

    assertThat(journalLines()).hasSize(2);
    assertThat(onDiskCopy()).extracting(r -> r.task().taskId().value() + "=" + r.state())
        .containsExactlyInAnyOrder("a=STARTING", "b=STARTING");
  }

  @Test
  void aFullJournalIsFoldedIntoTheTaskFiles() throws Exception {
    CheckpointStore store = store(3);
    store.writeTask(record("a", TaskState.STARTING, 1));
    store.writeTask(record("b", TaskState.STARTING, 2));
    runPosted();
    Path taskFiles = dir.resolve("meta").resolve("tasks").resolve("fw");
    assertThat(taskFiles).doesNotExist();
    store.writeTask(record("a", TaskState.RUNNING, 3));
    store.removeTask(FrameworkId.of("fw"), TaskId.of("b"));
    runPosted();

    assertThat(journalLines()).isEmpty();
    try (var files = Files.list(taskFiles)) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly("a.json");
    }
    assertThat(onDiskCopy()).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(TaskState.RUNNING));
  }

  @Test
  void aFullJournalIsRotatedAndTheLoopGoesOnWhileItsFoldWaits() throws Exception {
    List<Runnable> folds = new ArrayList<>();
    CheckpointStore store = new CheckpointStore(dir, posted::add, folds::add, 3);
    store.writeTask(record("a", TaskState.STARTING, 1));
    store.writeTask(record("b", TaskState.STARTING, 2));
    store.writeTask(record("c", TaskState.STARTING, 3));
    runPosted();
    Path meta = dir.resolve("meta");
    Path taskFiles = meta.resolve("tasks").resolve("fw");
    assertThat(folds).as("the fold is handed over, not run by the flush").hasSize(1);
    assertThat(store.folding()).isTrue();
    assertThat(meta.resolve(CheckpointStore.ROTATED)).exists();
    assertThat(meta.resolve(CheckpointStore.JOURNAL)).doesNotExist();
    assertThat(taskFiles).doesNotExist();

    // The loop goes on while the fold waits: appends to a new journal, past the limit, and what waits for them runs.
    List<String> sent = new ArrayList<>();
    store.writeTask(record("a", TaskState.RUNNING, 4));
    store.removeTask(FrameworkId.of("fw"), TaskId.of("b"));
    store.writeTask(record("d", TaskState.STARTING, 5));
    store.writeTask(record("c", TaskState.RUNNING, 6));
    store.afterFlush(() -> sent.add("update of a, c, d"));
    runPosted();
    assertThat(sent).containsExactly("update of a, c, d");
    assertThat(folds).as("one fold in flight: the journal grows past the limit").hasSize(1);
    assertThat(journalLines()).hasSize(4);
    assertThat(states(onDiskCopy())).as("a crash now recovers everything flushed")
        .containsExactlyInAnyOrder("a=RUNNING", "c=RUNNING", "d=STARTING");

    folds.remove(0).run();
    assertThat(store.folding()).isFalse();
    assertThat(meta.resolve(CheckpointStore.ROTATED)).doesNotExist();
    assertThat(states(taskFilesOnly(taskFiles))).as("the rotated journal's records, folded")
        .containsExactlyInAnyOrder("a=STARTING", "b=STARTING", "c=STARTING");
    assertThat(states(onDiskCopy())).containsExactlyInAnyOrder("a=RUNNING", "c=RUNNING", "d=STARTING");

    store.writeTask(record("e", TaskState.STARTING, 7));
    runPosted();
    assertThat(folds).as("the grown journal is rotated at the first flush after the fold").hasSize(1);
    folds.remove(0).run();
    assertThat(journalLines()).isEmpty();
    assertThat(states(taskFilesOnly(taskFiles)))
        .containsExactlyInAnyOrder("a=RUNNING", "c=RUNNING", "d=STARTING", "e=STARTING");
    store.close();
    assertThat(states(onDisk())).containsExactlyInAnyOrder("a=RUNNING", "c=RUNNING", "d=STARTING", "e=STARTING");
  }

  @Test
  void aCrashAtAnyPointOfAFoldRecoversTheSameTasks() throws Exception {
    CheckpointStore first = new CheckpointStore(dir); // writes each task file at once
    first.writeTask(record("a", TaskState.STARTING, 1));
    first.writeTask(record("b", TaskState.STARTING, 2));
    first.writeTask(record("gone", TaskState.RUNNING, 3));
    List<Runnable> folds = new ArrayList<>();
    CheckpointStore store = new CheckpointStore(dir, posted::add, folds::add, 3);
    store.writeTask(record("a", TaskState.RUNNING, 4));
    store.removeTask(FrameworkId.of("fw"), TaskId.of("gone"));
    store.writeTask(record("c", TaskState.STARTING, 5));
    runPosted();
    Path meta = dir.resolve("meta");
    Path rotated = meta.resolve(CheckpointStore.ROTATED);
    assertThat(rotated).exists();
    assertThat(folds).hasSize(1);

    Path renamed = copy(dir); // crash right after the rename: the rotated journal only
    store.writeTask(record("b", TaskState.RUNNING, 6));
    store.removeTask(FrameworkId.of("fw"), TaskId.of("c"));
    store.writeTask(record("d", TaskState.STARTING, 7));
    runPosted();
    Path both = copy(dir); // the rotated journal and the current one, the fold not started
    Path partly = copy(dir); // the fold wrote a's file, not c's, and did not delete gone's
    CheckpointStore.write(taskFile(partly, "a"), CheckpointCodec.encodeBytes(record("a", TaskState.RUNNING, 4)), true);
    folds.remove(0).run();
    Path undeleted = copy(dir); // the fold done, the rotated journal not deleted yet
    Files.copy(both.resolve("meta").resolve(CheckpointStore.ROTATED), undeleted.resolve("meta")
        .resolve(CheckpointStore.ROTATED));
    Path folded = copy(dir); // the rotated journal deleted
    assertThat(folded.resolve("meta").resolve(CheckpointStore.ROTATED)).doesNotExist();
    // A crash during recovery itself: the task files written, then either journal left.
    Path recovering = copy(both);
    Path rotatedBack = Files.createTempDirectory(scratch, "journals");
    for (String journal : List.of(CheckpointStore.ROTATED, CheckpointStore.JOURNAL)) {
      Files.copy(recovering.resolve("meta").resolve(journal), rotatedBack.resolve(journal));
    }
    new CheckpointStore(recovering).recover(true);
    Path recoveredBeforeDeletes = copy(recovering);
    Path recoveredRotatedDeleted = copy(recovering);
    for (String journal : List.of(CheckpointStore.ROTATED, CheckpointStore.JOURNAL)) {
      Files.copy(rotatedBack.resolve(journal), recoveredBeforeDeletes.resolve("meta").resolve(journal));
    }
    Files.copy(rotatedBack.resolve(CheckpointStore.JOURNAL),
        recoveredRotatedDeleted.resolve("meta").resolve(CheckpointStore.JOURNAL));

    assertThat(states(renamed)).containsExactlyInAnyOrder("a=RUNNING", "b=STARTING", "c=STARTING");
    for (Path image : List.of(both, partly, undeleted, folded, recoveredBeforeDeletes, recoveredRotatedDeleted, dir)) {
      assertThat(states(image)).as(image.getFileName().toString())
          .containsExactlyInAnyOrder("a=RUNNING", "b=RUNNING", "d=STARTING");
      assertThat(image.resolve("meta").resolve(CheckpointStore.ROTATED)).as("recovery folds it").doesNotExist();
      assertThat(image.resolve("meta").resolve(CheckpointStore.JOURNAL)).doesNotExist();
      assertThat(states(image)).as("and recovers the same again").containsExactlyInAnyOrder("a=RUNNING", "b=RUNNING",
          "d=STARTING");
    }
  }

  @Test
  void aCorruptRotatedJournalStopsStrictRecoveryNamingItsLine() throws Exception {
    List<Runnable> folds = new ArrayList<>();
    CheckpointStore store = new CheckpointStore(dir, posted::add, folds::add, 2);
    store.writeTask(record("a", TaskState.STARTING, 1));
    store.writeTask(record("b", TaskState.STARTING, 2));
    runPosted();
    store.writeTask(record("c", TaskState.STARTING, 3));
    runPosted();
    Path rotated = dir.resolve("meta").resolve(CheckpointStore.ROTATED);
    byte[] bytes = Files.readAllBytes(rotated);
    int second = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).indexOf('\n') + 1;
    bytes[second] = '[';
    Files.write(rotated, bytes);

    assertThatThrownBy(() -> new CheckpointStore(dir).recover(true)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(rotated + " line 2");
    CheckpointStore.Recovered rest = new CheckpointStore(dir).recover(false);
    assertThat(rest.tasks()).extracting(r -> r.task().taskId().value()).containsExactlyInAnyOrder("a", "c");
    assertThat(rest.problems()).singleElement().asString().contains(CheckpointStore.ROTATED + " line 2");
    assertThat(rotated.resolveSibling(CheckpointStore.ROTATED + ".corrupt")).exists();
  }

  @Test
  void aFoldThatCannotReadItsJournalKeepsItAndStopsRotation() throws Exception {
    List<Runnable> folds = new ArrayList<>();
    CheckpointStore store = new CheckpointStore(dir, posted::add, folds::add, 1);
    store.writeTask(record("a", TaskState.STARTING, 1));
    runPosted();
    Path rotated = dir.resolve("meta").resolve(CheckpointStore.ROTATED);
    Files.write(rotated, "not json\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    folds.remove(0).run();
    assertThat(rotated).as("kept for recovery").exists();
    store.writeTask(record("b", TaskState.STARTING, 2));
    runPosted();
    store.writeTask(record("c", TaskState.STARTING, 3));
    runPosted();
    assertThat(folds).as("no rotation over the kept journal").isEmpty();
    assertThat(journalLines()).hasSize(2);
  }

  private static List<String> states(List<TaskRecord> tasks) {
    return tasks.stream().map(r -> r.task().taskId().value() + "=" + r.state()).toList();
  }

  /** What recovery reads from {@code work}. */
  private static List<String> states(Path work) {
    return states(new CheckpointStore(work).recover(true).tasks());
  }

  /** The task files as they are, without any journal. */
  private List<TaskRecord> taskFilesOnly(Path taskFiles) throws java.io.IOException {
    List<TaskRecord> out = new ArrayList<>();
    try (var files = Files.list(taskFiles)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".json")) {
          out.add(CheckpointCodec.decodeTask(CheckpointCodec.MAPPER.readTree(f.toFile())));
        }
      }
    }
    return out;
  }

  private static Path taskFile(Path work, String task) {
    return work.resolve("meta").resolve("tasks").resolve("fw").resolve(task + ".json");
  }

  /** A copy of {@code work}, under {@link #scratch}. */
  private Path copy(Path work) {
    try {
      Path copy = Files.createTempDirectory(scratch, "copy");
      try (var all = Files.walk(work)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          Path to = copy.resolve(work.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else {
            Files.copy(p, to);
          }
        }
      }
      return copy;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What a restarted agent would read, without folding the journal (a copy of the directory). */
  private List<TaskRecord> onDiskCopy() {
    return readCopy(dir, dir.getParent());
  }

  /** What a restarted agent would read from {@code work}, recovered from a copy made under {@code scratch}. */
  static List<TaskRecord> readCopy(Path work, Path scratch) {
    try {
      Path copy = Files.createTempDirectory(scratch, "copy");
      if (!Files.exists(work)) {
        return List.of();
      }
      try (var all = Files.walk(work)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          Path to = copy.resolve(work.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else {
            Files.copy(p, to);
          }
        }
      }
      return new CheckpointStore(copy).recover(true).tasks();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The journal's entries (it is preallocated: they end at the first NUL). */
  private List<String> journalLines() {
    try {
      Path journal = dir.resolve("meta").resolve(CheckpointStore.JOURNAL);
      if (!Files.exists(journal)) {
        return List.of();
      }
      String text = Files.readString(journal);
      int nul = text.indexOf('\0');
      return (nul < 0 ? text : text.substring(0, nul)).lines().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Writes {@code bytes} where the journal's next entry would go, as a crash or a bad disk might. */
  private void writeAtEnd(byte[] bytes) throws java.io.IOException {
    Path journal = dir.resolve("meta").resolve(CheckpointStore.JOURNAL);
    byte[] all = Files.readAllBytes(journal);
    int end = String.join("\n", journalLines()).length() + 1;
    assertThat(all.length).as("preallocated room").isGreaterThan(end + bytes.length);
    System.arraycopy(bytes, 0, all, end, bytes.length);
    Files.write(journal, all);
  }

  static TaskRecord record(String task, TaskState state, long uuid) {
    FrameworkInfo f = FrameworkInfo.builder("fw").id(FrameworkId.of("fw")).user("nobody").checkpoint(true).build();
    TaskInfo t = new TaskInfo(TaskId.of(task), task, AgentId.of("a1"), Resources.parse("cpus:0.1"),
        new CommandInfo(true, "sleep 10", List.of(), Map.of(), Optional.empty()), Map.of(), Optional.empty());
    TaskStatus s = new TaskStatus(t.taskId(), state, Optional.empty(), Optional.empty(), TaskStatus.Source.SOURCE_AGENT,
        Optional.of(AgentId.of("a1")), Optional.of(new UUID(0, uuid)), Optional.empty(),
        Instant.parse("2026-01-01T00:00:00Z"));
    return new TaskRecord(true, FrameworkId.of("fw"), f, t, "c-" + task, 42, Path.of("/sb/" + task), Map.of(),
        Optional.empty(), state, List.of(s));
  }
}
