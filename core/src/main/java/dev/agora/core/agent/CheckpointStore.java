package dev.agora.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.agent.CheckpointCodec.TaskRecord;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's checkpoint on its local disk, under {@code <workDir>/meta}: the agent id
 * ({@code meta/agent.id}) and one JSON file per task ({@code meta/tasks/<framework>/<task>.json})
 * holding its framework, task info, container id and pid, sandbox, state and unacknowledged
 * status updates.
 *
 * <p>Journal: a task's new record (or its removal) is first appended, as one JSON line, to
 * {@code meta/tasks.journal}. The records of one loop turn are batched: {@link #writeTask} and
 * {@link #removeTask} queue them, and one flush, posted to the agent's loop (so it runs after what
 * is queued there), appends the batch in one write and forces it once. What must not happen before
 * a record is on disk (sending the status update it holds) is passed to {@link #afterFlush}.
 * Acknowledgements are forced too: a lost one would resend an update the framework has seen, which
 * may look to it like a task going back (RUNNING, then STARTING again). Creating, forcing and
 * renaming a file per update cost several times an append (the whole cluster's launch throughput
 * was bound by it).
 *
 * <p>Fold, by rotation: once the journal holds {@code foldEntries} entries, the flush renames it
 * aside to {@code meta/tasks.journal.1} (the directory forced), and the next flush starts a new
 * journal. The rotated journal is folded on the folder: the latest record of every task it names
 * is written to the task's file (atomically, forced; a removal deletes the file), the directories
 * of those files are forced, then the rotated journal is deleted. Writing ~1,000 task files took
 * the loop 0.5-1.3 s when the fold ran on it (benchmarks/RESULTS.md, branch j5); the loop now
 * only renames. One fold at a time: while one is in flight the current journal keeps growing past
 * {@code foldEntries} (never does the loop wait for the fold), and is rotated at the first flush
 * after the fold ends. A fold that fails (a task file cannot be written, the rotated journal cannot
 * be read) keeps the rotated journal and stops rotation: the current journal grows until the
 * agent restarts and recovery folds both. A fold not started when the store is closed is left to
 * recovery as well.
 *
 * <p>Atomic writes: each task file is written whole to a temporary file in the same directory,
 * forced to disk, then renamed over the old one (an atomic rename on POSIX file systems), so a
 * crash leaves either the old or the new content, never a mix. A leftover temporary file (crash
 * before the rename) is ignored and removed on recovery. A journal line is complete once its
 * newline is on disk: a last line without one (a crash during the append, before the update was
 * sent) is ignored on recovery. The journal is preallocated with zeros: its entries end at the
 * first NUL byte (JSON text has none).
 *
 * <p>Recovery: the task files, then the rotated journal's entries if it is there, then the current
 * journal's, in order over them (the last entry of a task wins). A crash at any point of a fold
 * recovers the same state: a task file the fold wrote holds the rotated journal's latest record of
 * its task, which the replay of the rotated journal writes again anyway, and the current journal
 * comes after both. The result is written to the task files, their directories forced, then the
 * rotated journal is deleted (the directory forced) before the current one: the task files then
 * hold the current journal's records, which an older rotated journal must never be replayed over.
 * Strict mode refuses to start on any unreadable or corrupt file or journal line, with a message
 * naming it; non-strict mode logs it, moves it aside ({@code .corrupt}) and recovers the rest.
 *
 * <p>Concurrency: {@link #recover} runs before the loop starts; every other method runs on the
 * agent's loop, except the fold of the rotated journal, which runs on {@code folder}. They share
 * only files that never have two writers at once, and two flags: the task files and the rotated
 * journal belong to the folder while a fold is in flight (the loop writes neither once recovery is
 * done; it renames the journal to the rotated one only when no fold is in flight and the rotated
 * journal is gone), and the current journal belongs to the loop. {@code folding} (atomic) is set
 * by the loop before it hands a fold over and cleared by the folder when the fold ends;
 * {@code closed} (volatile) is set by the loop at {@link #close}. The fold reads what it folds from
 * the rotated journal on disk, not from the loop's memory. Invariants: at most one fold in flight;
 * the rotated journal exists only while a fold is in flight, or after one failed or was not run.
 * I/O failures while writing are logged, not thrown: the agent keeps running without the
 * durability.
 */
final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final String TMP = ".tmp";
  static final String JOURNAL = "tasks.journal";
  /** The journal being folded, renamed aside from {@link #JOURNAL}. */
  static final String ROTATED = JOURNAL + ".1";
  /** Bytes the journal is grown by, zeros, ahead of its entries. */
  static final int PREALLOCATE = 64 * 1024;
  /** Journal entries after which they are folded into the task files, by default. */
  static final int DEFAULT_FOLD_ENTRIES = 4096;

  private final Path meta;
  private final Path journalFile;
  private final Path rotatedFile;
  private final Executor flusher;
  private final Executor folder;
  private final int foldEntries;
  private FileChannel journal;
  /** Where the next entry goes, and how far the journal is preallocated. */
  private long journalEnd;
  private long journalAllocated;
  /** The batch: its lines, and the task files it changes (null: removed). */
  private final java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream(4096);
  private final Map<Path, byte[]> batchFiles = new LinkedHashMap<>();
  private final List<Runnable> afterFlush = new ArrayList<>();
  private boolean flushPosted;
  /** The constant part of each live task's record, encoded once (the task's whole life). */
  private final Map<Path, Prefix> prefixes = new java.util.HashMap<>();
  /** Entries appended to the current journal (by this store). */
  private int journalEntries;
  /** Set (loop) when a fold is handed to the folder, cleared (folder) when it ends. */
  private final AtomicBoolean folding = new AtomicBoolean();
  /** A rotated journal is left (a fold failed or did not run): no rotation until recovery. */
  private boolean rotationStopped;
  /** Set (loop) by {@link #close}: a fold not yet started is left to recovery. */
  private volatile boolean closed;

  /** A store that writes and folds each record at once (for reading, and for tests). */
  CheckpointStore(Path workDir) {
    this(workDir, Runnable::run, Runnable::run, 1);
  }

  /**
   * @param flusher where the flush of a batch is posted (the agent's loop: after what is queued)
   * @param folder where the fold of a rotated journal runs (off the loop; one fold at a time is
   *     handed to it; a rejected fold is left to recovery)
   * @param foldEntries journal entries after which they are folded into the task files (1: after
   *     every flush, if no fold is in flight)
   */
  CheckpointStore(Path workDir, Executor flusher, Executor folder, int foldEntries) {
    if (foldEntries < 1) {
      throw new IllegalArgumentException("foldEntries must be >= 1 but was " + foldEntries);
    }
    this.meta = workDir.resolve("meta");
    this.journalFile = meta.resolve(JOURNAL);
    this.rotatedFile = meta.resolve(ROTATED);
    this.flusher = flusher;
    this.folder = folder;
    this.foldEntries = foldEntries;
  }

  /** What a previous run of the agent left. */
  record Recovered(Optional<AgentId> agentId, List<TaskRecord> tasks, List<String> problems,
      List<ExecutorCheckpoint.ExecutorRecord> executors) {
    Recovered {
      tasks = List.copyOf(tasks);
      executors = List.copyOf(executors);
      problems = List.copyOf(problems);
    }
  }

  /**
   * Reads the checkpoint.
   *
   * @throws IllegalStateException in strict mode, naming the first unreadable or corrupt file
   */
  Recovered recover(boolean strict) {
    List<String> problems = new ArrayList<>();
    Optional<AgentId> agentId = Optional.empty();
    Path idFile = meta.resolve("agent.id");
    if (Files.exists(idFile)) {
      try {
        agentId = Optional.of(AgentId.of(Files.readString(idFile, StandardCharsets.UTF_8).trim()));
      } catch (IOException | RuntimeException e) {
        problem(strict, problems, idFile, e);
      }
    }
    List<TaskRecord> tasks = new ArrayList<>();
    Path tasksDir = meta.resolve("tasks");
    if (Files.isDirectory(tasksDir)) {
      for (Path fw : list(tasksDir)) {
        for (Path file : list(fw)) {
          String name = file.getFileName().toString();
          if (name.endsWith(TMP)) {
            deleteQuietly(file);
            continue;
          }
          if (!name.endsWith(".json")) {
            continue;
          }
          try {
            JsonNode node = CheckpointCodec.MAPPER.readTree(Files.readAllBytes(file));
            if (node == null || !node.isObject()) {
              throw new IllegalArgumentException("not a JSON object (empty or truncated)");
            }
            tasks.add(CheckpointCodec.decodeTask(node));
          } catch (IOException | RuntimeException e) {
            problem(strict, problems, file, e);
            moveAside(file);
          }
        }
      }
    }
    replayJournal(strict, problems, tasks);
    List<ExecutorCheckpoint.ExecutorRecord> executors =
        new ExecutorCheckpoint(meta.getParent()).read(strict, problems);
    return new Recovered(agentId, tasks, problems, executors);
  }

  /**
   * Applies the rotated journal's entries, then the current journal's, to {@code tasks} (read from
   * the task files), writes the result to the task files and removes the journals (moved aside if a
   * line was corrupt), the rotated one first.
   */
  private void replayJournal(boolean strict, List<String> problems, List<TaskRecord> tasks) {
    boolean rotated = Files.exists(rotatedFile);
    boolean current = Files.exists(journalFile);
    if (!rotated && !current) {
      return;
    }
    Map<Path, TaskRecord> byFile = new LinkedHashMap<>();
    for (TaskRecord t : tasks) {
      byFile.put(taskFile(t.frameworkId(), t.task().taskId()), t);
    }
    Map<Path, byte[]> changed = new LinkedHashMap<>();
    boolean rotatedCorrupt = rotated && !readJournal(rotatedFile, strict, problems, byFile, changed);
    boolean currentCorrupt = current && !readJournal(journalFile, strict, problems, byFile, changed);
    tasks.clear();
    tasks.addAll(byFile.values());
    if (!apply(changed)) {
      LOG.error("checkpoint journals {} kept: their records could not all be written to the task files", meta);
      return;
    }
    if (rotated) {
      finish(rotatedFile, rotatedCorrupt);
      // Gone for good before the current journal goes: never replayed over the task files written here.
      forceDirectoryQuietly(meta);
    }
    if (current) {
      finish(journalFile, currentCorrupt);
      forceDirectoryQuietly(meta);
    }
  }

  private static void finish(Path journalFile, boolean corrupt) {
    if (corrupt) {
      moveAside(journalFile);
    } else {
      deleteQuietly(journalFile);
    }
  }

  /**
   * Reads a journal's entries over {@code byFile} (the tasks so far, by file), noting in
   * {@code changed} the latest record of each task file it names (null: removed).
   *
   * @return whether every entry could be read (an incomplete last one, a crash during its append,
   *     is ignored)
   * @throws IllegalStateException in strict mode, naming the file and line of the first bad entry
   */
  private boolean readJournal(Path file, boolean strict, List<String> problems, Map<Path, TaskRecord> byFile,
      Map<Path, byte[]> changed) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      problem(strict, problems, file, e);
      return false;
    }
    boolean complete = true;
    int start = 0;
    int line = 0;
    int end = used(bytes);
    for (int i = 0; i < end; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      line++;
      try {
        JsonNode node = CheckpointCodec.MAPPER.readTree(bytes, start, i - start);
        if (node == null || !node.isObject()) {
          throw new IllegalArgumentException("not a JSON object");
        }
        if (node.has("removed")) {
          Path task = taskFile(FrameworkId.of(node.get("frameworkId").asText()), TaskId.of(node.get("taskId").asText()));
          byFile.remove(task);
          changed.put(task, null);
        } else {
          TaskRecord r = CheckpointCodec.decodeTask(node);
          Path task = taskFile(r.frameworkId(), r.task().taskId());
          byFile.put(task, r);
          changed.put(task, java.util.Arrays.copyOfRange(bytes, start, i));
        }
      } catch (IOException | RuntimeException e) {
        problem(strict, problems, Path.of(file + " line " + line), e);
        complete = false;
      }
      start = i + 1;
    }
    if (start < end) {
      LOG.warn("checkpoint journal {} ends with an incomplete entry ({} bytes, a crash while it was written): ignored",
          file, end - start);
    }
    return complete;
  }

  /**
   * Writes each record to its task file (null: deletes it), then forces the directories changed.
   *
   * @return whether all of it reached the disk
   */
  private static boolean apply(Map<Path, byte[]> changed) {
    boolean ok = true;
    java.util.Set<Path> dirs = new java.util.LinkedHashSet<>();
    for (Map.Entry<Path, byte[]> e : changed.entrySet()) {
      if (e.getValue() == null) {
        try {
          Files.deleteIfExists(e.getKey());
        } catch (IOException ex) {
          LOG.error("cannot delete checkpoint {}", e.getKey(), ex);
          ok = false;
        }
      } else {
        ok &= write(e.getKey(), e.getValue(), true);
      }
      dirs.add(e.getKey().getParent());
    }
    for (Path dir : dirs) {
      if (Files.isDirectory(dir)) {
        ok &= forceDirectoryQuietly(dir);
      }
    }
    return ok;
  }

  /** Forces a directory's entries (renames, creations, deletions in it) to disk. */
  private static boolean forceDirectoryQuietly(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
      return true;
    } catch (IOException e) {
      LOG.error("cannot force checkpoint directory {}", dir, e);
      return false;
    }
  }

  private static void problem(boolean strict, List<String> problems, Path file, Exception e) {
    String message = "corrupt or unreadable checkpoint " + file + ": " + e.getMessage();
    if (strict) {
      throw new IllegalStateException(message + " (strict recovery: refusing to start)", e);
    }
    LOG.error("{}; recovering the rest", message);
    problems.add(message);
  }

  void writeAgentId(AgentId id) {
    write(meta.resolve("agent.id"), (id.value() + "\n").getBytes(StandardCharsets.UTF_8), true);
  }

  /** Queues a task's record for the next flush. */
  void writeTask(TaskRecord r) {
    Path file = taskFile(r.frameworkId(), r.task().taskId());
    try {
      Prefix p = prefixes.get(file);
      if (p == null || !p.fits(r)) {
        p = new Prefix(r, CheckpointCodec.encodePrefix(r));
        prefixes.put(file, p);
      }
      queue(file, CheckpointCodec.encodeBytes(r, p.bytes));
    } catch (IOException e) {
      LOG.error("cannot encode the checkpoint of task {}", r.task().taskId(), e);
    }
  }

  /** Queues the removal of a task's record for the next flush. */
  void removeTask(FrameworkId frameworkId, TaskId taskId) {
    Path file = taskFile(frameworkId, taskId);
    prefixes.remove(file);
    queue(file, null);
  }

  /** A task's record encoded up to what changes ({@link CheckpointCodec#encodePrefix}), and what it was made of. */
  private record Prefix(TaskRecord of, byte[] bytes) {
    boolean fits(TaskRecord r) {
      return r.framework() == of.framework() && r.task() == of.task() && r.checkpoint() == of.checkpoint()
          && r.containerId().equals(of.containerId()) && r.sandbox().equals(of.sandbox())
          && r.environment().equals(of.environment()) && r.user().equals(of.user());
    }
  }

  /**
   * Runs {@code action} once every record queued so far is on disk: at once if none is waiting,
   * else after the flush, in the order given.
   */
  void afterFlush(Runnable action) {
    if (batchFiles.isEmpty()) {
      action.run();
    } else {
      afterFlush.add(action);
    }
  }

  private void queue(Path file, byte[] record) {
    if (record == null) {
      batch.writeBytes(("{\"removed\":true,\"frameworkId\":" + quote(file.getParent().getFileName().toString())
          + ",\"taskId\":" + quote(taskIdOf(file)) + "}").getBytes(StandardCharsets.UTF_8));
    } else {
      batch.writeBytes(record);
    }
    batch.write('\n');
    batchFiles.put(file, record);
    if (!flushPosted) {
      flushPosted = true;
      flusher.execute(this::flush);
    }
  }

  private static String taskIdOf(Path file) {
    String name = file.getFileName().toString();
    return name.substring(0, name.length() - ".json".length());
  }

  private static String quote(String s) {
    try {
      return CheckpointCodec.MAPPER.writeValueAsString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How much of a journal's bytes hold entries: up to the first NUL (the rest was preallocated). */
  private static int used(byte[] journal) {
    for (int i = 0; i < journal.length; i++) {
      if (journal[i] == 0) {
        return i;
      }
    }
    return journal.length;
  }

  /**
   * Opens the journal for writing after its last complete entry; what follows (an incomplete
   * entry) is zeroed. Normally the journal does not exist here: recovery folded it.
   */
  private void openJournal() throws IOException {
    Files.createDirectories(meta);
    boolean created = !Files.exists(journalFile);
    journal = FileChannel.open(journalFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    if (created) {
      forceDirectoryQuietly(meta); // its entries, once forced, must not be lost with its directory entry
    }
    journalAllocated = journal.size();
    journalEnd = 0;
    if (journalAllocated > 0) {
      byte[] bytes = Files.readAllBytes(journalFile);
      int used = used(bytes);
      int end = used;
      while (end > 0 && bytes[end - 1] != '\n') {
        end--;
      }
      journalEnd = end;
      writeFully(java.nio.ByteBuffer.allocate(used - end), end);
    }
  }

  private void writeFully(java.nio.ByteBuffer buf, long position) throws IOException {
    long at = position;
    while (buf.hasRemaining()) {
      at += journal.write(buf, at);
    }
  }

  /**
   * Appends the batch to the journal, forced, then runs what waited for it. The journal is
   * preallocated (zeros, forced once per {@link #PREALLOCATE} bytes) so that forcing an append
   * writes data only, not the file's size as well.
   */
  void flush() {
    flushPosted = false;
    if (!batchFiles.isEmpty()) {
      int entries = batchFiles.size();
      try {
        if (journal == null) {
          openJournal();
        }
        byte[] bytes = batch.toByteArray();
        if (journalEnd + bytes.length > journalAllocated) {
          long size = journalEnd + bytes.length + PREALLOCATE;
          writeFully(java.nio.ByteBuffer.allocate((int) (size - journalAllocated)), journalAllocated);
          journal.force(true);
          journalAllocated = size;
        }
        writeFully(java.nio.ByteBuffer.wrap(bytes), journalEnd);
        journal.force(false);
        journalEnd += bytes.length;
      } catch (IOException e) {
        LOG.error("cannot append to checkpoint journal {}", journalFile, e);
        closeJournal();
      }
      journalEntries += entries;
      batch.reset();
      batchFiles.clear();
      if (journalEntries >= foldEntries && journal != null) {
        rotate();
      }
    }
    if (!afterFlush.isEmpty()) {
      List<Runnable> ready = new ArrayList<>(afterFlush);
      afterFlush.clear();
      ready.forEach(Runnable::run);
    }
  }

  /**
   * Renames the (full) journal aside and hands its fold to the folder; the next flush starts a new
   * journal. Does nothing while a fold is in flight: the journal grows until it ends.
   */
  private void rotate() {
    if (rotationStopped || folding.get()) {
      return;
    }
    if (Files.exists(rotatedFile)) {
      LOG.error("checkpoint journal {} is left from a fold that failed or did not run: {} grows until recovery"
          + " folds both", rotatedFile, journalFile);
      rotationStopped = true;
      return;
    }
    closeJournal();
    try {
      try {
        Files.move(journalFile, rotatedFile, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(journalFile, rotatedFile);
      }
    } catch (IOException e) {
      LOG.error("cannot rotate checkpoint journal {}: it grows until recovery folds it", journalFile, e);
      rotationStopped = true;
      return;
    }
    // The new journal must not be found on disk without the old one's rename.
    forceDirectoryQuietly(meta);
    journalEntries = 0;
    folding.set(true);
    try {
      folder.execute(this::foldRotated);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.warn("checkpoint fold rejected (the agent stops?): recovery will fold {}", rotatedFile);
      folding.set(false);
      rotationStopped = true;
    }
  }

  /**
   * On the folder: writes the latest record of every task the rotated journal names to its file,
   * forced, then deletes the rotated journal. On failure the rotated journal stays, for recovery.
   */
  private void foldRotated() {
    try {
      if (closed) {
        LOG.debug("checkpoint store closed: {} is left to recovery", rotatedFile);
        return;
      }
      List<String> problems = new ArrayList<>();
      Map<Path, byte[]> latest = new LinkedHashMap<>();
      if (!readJournal(rotatedFile, false, problems, new java.util.HashMap<>(), latest) || !apply(latest)) {
        LOG.error("checkpoint journal {} could not be folded: kept for recovery", rotatedFile);
        return;
      }
      deleteQuietly(rotatedFile);
      LOG.debug("checkpoint journal {} folded into {} task file(s)", rotatedFile, latest.size());
    } catch (RuntimeException e) {
      LOG.error("checkpoint fold of {} failed: kept for recovery", rotatedFile, e);
    } finally {
      folding.set(false);
    }
  }

  /** Whether a fold of the rotated journal is in flight (handed to the folder, not ended). */
  boolean folding() {
    return folding.get();
  }

  /** Flushes what is queued and closes the journal (the agent stops). */
  void close() {
    flush();
    closed = true;
    closeJournal();
  }

  private void closeJournal() {
    journalEnd = 0;
    journalAllocated = 0;
    if (journal != null) {
      try {
        journal.close();
      } catch (IOException e) {
        LOG.warn("cannot close checkpoint journal {}", journalFile, e);
      }
      journal = null;
    }
  }

  Path taskFile(FrameworkId frameworkId, TaskId taskId) {
    return meta.resolve("tasks").resolve(frameworkId.value()).resolve(taskId.value() + ".json");
  }

  /**
   * Writes {@code bytes} to {@code file} atomically: temporary file, force ({@code sync}), rename.
   * Thread-safe for distinct files.
   *
   * @return false if it failed (logged)
   */
  static boolean write(Path file, byte[] bytes, boolean sync) {
    Path tmp = file.resolveSibling(file.getFileName() + TMP);
    try {
      FileChannel opened;
      try {
        opened = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
      } catch (java.nio.file.NoSuchFileException e) {
        Files.createDirectories(file.getParent()); // only when missing: a create per write costs a syscall or two
        opened = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
      }
      try (FileChannel ch = opened) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (sync) {
          ch.force(true);
        }
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException e) {
      LOG.error("cannot write checkpoint {}", file, e);
      return false;
    }
  }

  private static List<Path> list(Path dir) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoint directory " + dir, e);
    }
    out.sort(null);
    return out;
  }

  private static void moveAside(Path file) {
    try {
      Files.move(file, file.resolveSibling(file.getFileName() + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      LOG.warn("cannot move corrupt checkpoint {} aside", file, e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete checkpoint {}", file, e);
    }
  }
}
