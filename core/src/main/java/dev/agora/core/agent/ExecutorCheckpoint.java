package dev.agora.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint of a framework executor and its tasks (Mesos's {@code meta/slaves/.../executors}):
 * one file per executor, {@code meta/executors/<framework>/<executor>.json}, rewritten atomically
 * (forced to disk for a checkpointing framework) when the executor starts and each time one of its
 * tasks' state or unacknowledged updates change; removed when the executor has ended and its tasks'
 * updates are all acknowledged. For a framework that does not checkpoint, the record names only
 * the container, so that a restarted agent can kill it.
 *
 * <p>Concurrency: called on the agent's loop (writes) or before it starts (reads); blocking file
 * I/O. Writing problems are logged, not thrown, as for the task checkpoints.
 */
final class ExecutorCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorCheckpoint.class);
  private static final int VERSION = 1;

  /** One task of an executor. */
  record TaskRecord(TaskInfo task, TaskState state, boolean killRequested, List<TaskId> group,
      List<TaskStatus> pending) {
    TaskRecord {
      group = List.copyOf(group);
      pending = List.copyOf(pending);
    }
  }

  /** One executor. */
  record ExecutorRecord(boolean checkpoint, FrameworkId frameworkId, FrameworkInfo framework, ExecutorInfo executor,
      String containerId, long pid, Path sandbox, Map<String, String> environment, Optional<String> user,
      List<TaskRecord> tasks) {
    ExecutorRecord {
      environment = Map.copyOf(environment);
      tasks = List.copyOf(tasks);
    }
  }

  private final Path dir;

  ExecutorCheckpoint(Path workDir) {
    this.dir = workDir.resolve("meta").resolve("executors");
  }

  Path file(FrameworkId frameworkId, ExecutorId executorId) {
    return dir.resolve(frameworkId.value()).resolve(executorId.value() + ".json");
  }

  void write(ExecutorRecord r) {
    try {
      CheckpointStore.write(file(r.frameworkId(), r.executor().executorId()),
          CheckpointCodec.MAPPER.writeValueAsBytes(encode(r)), r.checkpoint());
    } catch (IOException e) {
      LOG.error("cannot encode the checkpoint of executor {}", r.executor().executorId(), e);
    }
  }

  void remove(FrameworkId frameworkId, ExecutorId executorId) {
    try {
      Files.deleteIfExists(file(frameworkId, executorId));
    } catch (IOException e) {
      LOG.warn("cannot remove executor checkpoint {}: {}", file(frameworkId, executorId), e.toString());
    }
  }

  /**
   * The executors a previous run left.
   *
   * @throws IllegalStateException in strict mode, naming the first corrupt file
   */
  List<ExecutorRecord> read(boolean strict, List<String> problems) {
    List<ExecutorRecord> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    for (Path fw : list(dir)) {
      for (Path file : list(fw)) {
        if (!file.getFileName().toString().endsWith(".json")) {
          continue; // a temporary file of an interrupted write
        }
        try {
          JsonNode node = CheckpointCodec.MAPPER.readTree(Files.readAllBytes(file));
          if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object (empty or truncated)");
          }
          out.add(decode(node));
        } catch (IOException | RuntimeException e) {
          String message = "corrupt or unreadable executor checkpoint " + file + ": " + e.getMessage();
          if (strict) {
            throw new IllegalStateException(message + " (strict recovery: refusing to start)", e);
          }
          LOG.error("{}; recovering the rest", message);
          problems.add(message);
        }
      }
    }
    return out;
  }

  private static List<Path> list(Path d) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(d)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      ds.forEach(out::add);
    } catch (IOException e) {
      LOG.error("cannot list {}", d, e);
    }
    out.sort(null);
    return out;
  }

  static ObjectNode encode(ExecutorRecord r) {
    ObjectNode n = CheckpointCodec.MAPPER.createObjectNode();
    n.put("version", VERSION);
    n.put("checkpoint", r.checkpoint());
    n.put("frameworkId", r.frameworkId().value());
    n.set("framework", CheckpointCodec.framework(r.framework()));
    n.set("executor", MesosJson.executorInfo(r.executor()));
    n.put("containerId", r.containerId());
    n.put("pid", r.pid());
    n.put("sandbox", r.sandbox().toString());
    ObjectNode env = n.putObject("environment");
    new java.util.TreeMap<>(r.environment()).forEach(env::put);
    r.user().ifPresent(u -> n.put("user", u));
    ArrayNode tasks = n.putArray("tasks");
    for (TaskRecord t : r.tasks()) {
      ObjectNode o = tasks.addObject();
      o.set("task", MesosJson.taskInfo(t.task()));
      o.put("state", t.state().name());
      o.put("killRequested", t.killRequested());
      ArrayNode group = o.putArray("group");
      t.group().forEach(id -> group.add(id.value()));
      ArrayNode pending = o.putArray("pending");
      t.pending().forEach(s -> pending.add(CheckpointCodec.status(s)));
    }
    return n;
  }

  static ExecutorRecord decode(JsonNode n) {
    int version = req(n, "version").asInt();
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported executor checkpoint version " + version);
    }
    List<TaskRecord> tasks = new ArrayList<>();
    for (JsonNode o : req(n, "tasks")) {
      List<TaskId> group = new ArrayList<>();
      req(o, "group").forEach(g -> group.add(TaskId.of(g.asText())));
      List<TaskStatus> pending = new ArrayList<>();
      req(o, "pending").forEach(s -> pending.add(CheckpointCodec.status(s)));
      tasks.add(new TaskRecord(MesosJson.decodeTaskInfo(req(o, "task")), TaskState.valueOf(req(o, "state").asText()),
          req(o, "killRequested").asBoolean(), group, pending));
    }
    Map<String, String> env = new LinkedHashMap<>();
    req(n, "environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    JsonNode user = n.get("user");
    return new ExecutorRecord(req(n, "checkpoint").asBoolean(), FrameworkId.of(req(n, "frameworkId").asText()),
        CheckpointCodec.framework(req(n, "framework")), MesosJson.decodeExecutorInfo(req(n, "executor")),
        req(n, "containerId").asText(), req(n, "pid").asLong(), Path.of(req(n, "sandbox").asText()), env,
        user == null || user.isNull() ? Optional.empty() : Optional.of(user.asText()), tasks);
  }

  private static JsonNode req(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field '" + field + "'");
    }
    return v;
  }
}
