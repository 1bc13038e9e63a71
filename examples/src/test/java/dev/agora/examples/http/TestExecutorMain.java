package dev.agora.examples.http;

import dev.agora.core.executor.Executor;
import dev.agora.core.executor.ExecutorDriver;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.transport.http.HttpExecutorDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A custom executor run as its own JVM by the agent (see {@link ExecutorEndToEndTest}): it speaks
 * the executor API through {@link HttpExecutorDriver} and talks to its scheduler with framework
 * messages. Each task runs until the scheduler sends {@code finish:<task>} (FINISHED) or kills it
 * (KILLED). It tells the scheduler {@code started:<task>}, {@code group:<a,b>} for a task group,
 * {@code acked:<task>} for the first acknowledgement of each task, and answers {@code echo:x}
 * with {@code echo-reply:x}. On SHUTDOWN it kills what runs and writes {@code shutdown} in its
 * sandbox.
 */
public final class TestExecutorMain implements Executor {
  private final Set<TaskId> running = new LinkedHashSet<>();
  private final Set<TaskId> acked = new LinkedHashSet<>();

  public static void main(String[] args) throws IOException {
    HttpExecutorDriver driver = HttpExecutorDriver.fromEnvironment(new TestExecutorMain());
    HttpExecutorDriver.Outcome outcome = driver.run();
    Files.writeString(Path.of(System.getenv("MESOS_SANDBOX")).resolve("outcome"), outcome.name());
    System.exit(outcome == HttpExecutorDriver.Outcome.SHUTDOWN ? 0 : 1);
  }

  private static void send(ExecutorDriver driver, String text) {
    driver.sendFrameworkMessage(text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void launch(ExecutorDriver driver, TaskInfo task) {
    running.add(task.taskId());
    driver.sendStatusUpdate(task.taskId(), TaskState.RUNNING, "running in " + ProcessHandle.current().pid());
    send(driver, "started:" + task.taskId());
  }

  @Override
  public void launchGroup(ExecutorDriver driver, List<TaskInfo> tasks) {
    send(driver, "group:" + tasks.stream().map(t -> t.taskId().value()).collect(Collectors.joining(",")));
    tasks.forEach(t -> launch(driver, t));
  }

  @Override
  public void kill(ExecutorDriver driver, TaskId taskId) {
    if (running.remove(taskId)) {
      driver.sendStatusUpdate(taskId, TaskState.KILLED, "killed by the test executor");
    }
  }

  @Override
  public void acknowledged(ExecutorDriver driver, TaskId taskId, UUID uuid) {
    if (acked.add(taskId)) {
      send(driver, "acked:" + taskId);
    }
  }

  @Override
  public void frameworkMessage(ExecutorDriver driver, byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    if (text.startsWith("finish:")) {
      TaskId id = TaskId.of(text.substring("finish:".length()));
      if (running.remove(id)) {
        driver.sendStatusUpdate(id, TaskState.FINISHED, "finished on request");
      }
    } else if (text.startsWith("echo:")) {
      send(driver, "echo-reply:" + text.substring("echo:".length()));
    }
  }

  @Override
  public void shutdown(ExecutorDriver driver) {
    for (TaskId id : running) {
      driver.sendStatusUpdate(id, TaskState.KILLED, "executor shut down");
    }
    running.clear();
    try {
      Files.writeString(Path.of(System.getenv("MESOS_SANDBOX")).resolve("shutdown"), "shutdown");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
