package dev.agora.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The executor API's JSON, and the executor parts of the scheduler API and agent messages. */
class ExecutorJsonTest {
  static final FrameworkId FW = FrameworkId.of("fw-1");
  static final ExecutorId EX = ExecutorId.of("ex-1");
  static final AgentId AGENT = AgentId.of("agent-1");
  static final ExecutorInfo EXECUTOR = new ExecutorInfo(EX, "my executor",
      CommandInfo.exec("/usr/bin/java", List.of("java", "-jar", "ex.jar")), Resources.parse("cpus:0.1;mem:32"));
  static final TaskInfo TASK = TaskInfo.of(TaskId.of("t1"), AGENT, Resources.parse("cpus:1;mem:64"),
      CommandInfo.shell("true")).withExecutor(EXECUTOR);

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void executorCallsRoundTrip() {
    TaskStatus status = TaskStatus.of(TaskId.of("t1"), TaskState.RUNNING, TaskStatus.Source.SOURCE_EXECUTOR, null,
        null, "up", Instant.ofEpochSecond(1_700_000_000)).withUuid(UUID.randomUUID());
    for (ExecutorCall call : List.of(new ExecutorCall.Subscribe(FW, EX), new ExecutorCall.Update(FW, EX, status),
        new ExecutorCall.Subscribe(FW, EX, List.of(TASK), List.of(status)),
        new ExecutorCall.FrameworkMessage(FW, EX, b64("hello")))) {
      assertThat(ExecutorJson.decodeCall(MesosJson.parse(MesosJson.bytes(ExecutorJson.encodeCall(call)))))
          .isEqualTo(call);
    }
  }

  @Test
  void executorEventsRoundTrip() {
    FrameworkInfo framework = FrameworkInfo.builder("fw").user("root").build().withId(FW);
    for (ExecutorEvent event : List.of(new ExecutorEvent.Subscribed(EXECUTOR, FW, framework, AGENT),
        new ExecutorEvent.Launch(TASK), new ExecutorEvent.LaunchGroup(List.of(TASK)),
        new ExecutorEvent.Kill(TaskId.of("t1"), Optional.of(Duration.ofSeconds(3))),
        new ExecutorEvent.Acknowledged(TaskId.of("t1"), UUID.randomUUID()),
        new ExecutorEvent.FrameworkMessage(b64("hi")), new ExecutorEvent.Shutdown(),
        new ExecutorEvent.Error("no"), new ExecutorEvent.Heartbeat())) {
      assertThat(ExecutorJson.decodeEvent(MesosJson.parse(MesosJson.bytes(ExecutorJson.encodeEvent(event)))))
          .contains(event);
    }
  }

  @Test
  void readsAMesosExecutorUpdateAndRefusesOneWithoutUuid() {
    String json = "{\"type\":\"UPDATE\",\"framework_id\":{\"value\":\"fw-1\"},\"executor_id\":{\"value\":\"ex-1\"},"
        + "\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_FINISHED\","
        + "\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"" + b64("0123456789abcdef") + "\"}}}";
    ExecutorCall call = ExecutorJson.decodeCall(MesosJson.parse(json.getBytes(StandardCharsets.UTF_8)));
    assertThat(call).isInstanceOfSatisfying(ExecutorCall.Update.class,
        u -> assertThat(u.status().state()).isEqualTo(TaskState.FINISHED));
    String noUuid = json.replaceAll(",\"uuid\":\"[^\"]*\"", "");
    assertThatThrownBy(() -> ExecutorJson.decodeCall(MesosJson.parse(noUuid.getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(CodecException.class).hasMessageContaining("update.status.uuid");
    String unknown = json.replace("\"UPDATE\"", "\"LAUNCH_NESTED_CONTAINER\"");
    assertThatThrownBy(() -> ExecutorJson.decodeCall(MesosJson.parse(unknown.getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(CodecException.class).hasMessageContaining("LAUNCH_NESTED_CONTAINER");
  }

  @Test
  void schedulerMessagesAndLaunchGroupRoundTrip() {
    SchedulerCall message = new SchedulerCall.FrameworkMessage(FW, AGENT, EX, "to executor".getBytes(StandardCharsets.UTF_8));
    assertThat(MesosJson.decodeCall(MesosJson.parse(MesosJson.bytes(MesosJson.encodeCall(message))))).isEqualTo(message);
    SchedulerCall accept = new SchedulerCall.Accept(FW, List.of(OfferId.of("o1")),
        List.of(new Operation.Launch(List.of(TASK)), new Operation.LaunchGroup(EXECUTOR, List.of(TASK))),
        Filters.DEFAULT);
    assertThat(MesosJson.decodeCall(MesosJson.parse(MesosJson.bytes(MesosJson.encodeCall(accept))))).isEqualTo(accept);
    SchedulerEvent event = new SchedulerEvent.FrameworkMessage(AGENT, EX, "to scheduler".getBytes(StandardCharsets.UTF_8));
    assertThat(MesosJson.decodeEvent(MesosJson.parse(MesosJson.bytes(MesosJson.encodeEvent(event))))).contains(event);
    FrameworkInfo framework = FrameworkInfo.builder("fw").user("root").build().withId(FW);
    for (AgentMessage m : List.of(new AgentMessage.RunTaskGroup(FW, framework, EXECUTOR, List.of(TASK)),
        new AgentMessage.FrameworkToExecutor(FW, EX, b64("x")),
        new AgentMessage.ExecutorToFramework(AGENT, FW, EX, b64("y")),
        new AgentMessage.ExitedExecutor(AGENT, FW, EX, "Command exited with status 0"),
        new AgentMessage.ReregisterAgent(AGENT, new dev.agora.core.model.AgentInfo("h", TASK.resources()), List.of(),
            List.of(new AgentMessage.AgentExecutor(FW, framework, EXECUTOR))))) {
      assertThat(MesosJson.decodeAgentMessage(MesosJson.parse(MesosJson.bytes(MesosJson.encodeAgentMessage(m)))))
          .isEqualTo(m);
    }
  }
}
