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
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's checkpoint on its local disk, under {@code <workDir>/meta}: the agent id
 * ({@code meta/agent.id}) and one JSON file per task ({@code meta/tasks/<framework>/<task>.json})
 * holding its framework, task info, container id and pid, sandbox, state and unacknowledged
 * status updates.
 *
 * <p>Atomic writes: each file is written whole to a temporary file in the same directory, forced
 * to disk, then renamed over the old one (an atomic rename on POSIX file systems), so a crash
 * leaves either the old or the new content, never a mix. A leftover temporary file (crash before
 * the rename) is ignored and removed on recovery.
 *
 * <p>Recovery: strict mode refuses to start on any unreadable or corrupt file, with a message
 * naming it; non-strict mode logs it, moves it aside ({@code .corrupt}) and recovers the rest.
 *
 * <p>Concurrency: called on the agent's loop only. Writes are small and synchronous (a checkpoint
 * is only worth something once it is on disk before the agent acts on it). I/O failures while
 * writing are logged, not thrown: the agent keeps running without the durability.
 */
final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final String TMP = ".tmp";

  private final Path meta;

  CheckpointStore(Path workDir) {
    this.meta = workDir.resolve("meta");
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
    List<ExecutorCheckpoint.ExecutorRecord> executors =
        new ExecutorCheckpoint(meta.getParent()).read(strict, problems);
    return new Recovered(agentId, tasks, problems, executors);
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

  /**
   * Writes a task's record; forced to disk only for checkpointing frameworks (for the others the
   * record is a best-effort note that lets a restarted agent find and kill their processes).
   */
  void writeTask(TaskRecord r) {
    try {
      write(taskFile(r.frameworkId(), r.task().taskId()),
          CheckpointCodec.encodeBytes(r), r.checkpoint());
    } catch (IOException e) {
      LOG.error("cannot encode the checkpoint of task {}", r.task().taskId(), e);
    }
  }

  void removeTask(FrameworkId frameworkId, TaskId taskId) {
    deleteQuietly(taskFile(frameworkId, taskId));
  }

  Path taskFile(FrameworkId frameworkId, TaskId taskId) {
    return meta.resolve("tasks").resolve(frameworkId.value()).resolve(taskId.value() + ".json");
  }

  /** Writes {@code bytes} to {@code file} atomically: temporary file, force ({@code sync}), rename. */
  static void write(Path file, byte[] bytes, boolean sync) {
    Path tmp = file.resolveSibling(file.getFileName() + TMP);
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
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
    } catch (IOException e) {
      LOG.error("cannot write checkpoint {}", file, e);
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
