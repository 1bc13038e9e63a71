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

  private final List<Runnable> posted = new ArrayList<>();

  /** A store whose flushes wait in {@link #posted} until the test runs them (as the agent's loop would). */
  private CheckpointStore store(int foldEntries) {
    return new CheckpointStore(dir, posted::add, foldEntries);
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

  private static TaskRecord record(String task, TaskState state, long uuid) {
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
