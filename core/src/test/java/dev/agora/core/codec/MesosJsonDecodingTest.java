package dev.agora.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Operation;
import dev.agora.core.protocol.SchedulerCall;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a Mesos v1 client sends is read; what is wrong is named by its field path. */
class MesosJsonDecodingTest {
  private static SchedulerCall call(String json) {
    return MesosJson.decodeCall(MesosJson.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsAMesosSubscribeWithLegacyRoleAndUnknownFields() {
    SchedulerCall c = call("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"u\",\"name\":\"n\","
        + "\"role\":\"web\",\"failover_timeout\":60.5,\"capabilities\":[{\"type\":\"PARTITION_AWARE\"},"
        + "{\"type\":\"SOME_FUTURE_CAPABILITY\"}],\"webui_url\":\"http://x\"}}}");
    FrameworkInfo info = ((SchedulerCall.Subscribe) c).info();
    assertThat(info.roles()).containsExactly("web");
    assertThat(info.failoverTimeout()).isEqualTo(Duration.ofMillis(60_500));
    assertThat(info.has(FrameworkInfo.Capability.PARTITION_AWARE)).isTrue();
  }

  @Test
  void readsAnAcceptWithLaunchAndInt64AsStrings() {
    SchedulerCall c = call("{\"framework_id\":{\"value\":\"f\"},\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":"
        + "[{\"value\":\"o1\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\","
        + "\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a\"},\"resources\":[{\"name\":\"cpus\","
        + "\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5}},{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":"
        + "{\"range\":[{\"begin\":\"31000\",\"end\":\"31001\"}]}}],\"command\":{\"value\":\"echo hi\"},"
        + "\"kill_policy\":{\"grace_period\":{\"nanoseconds\":\"2000000000\"}}}]}}],"
        + "\"filters\":{\"refuse_seconds\":1.0}}}");
    SchedulerCall.Accept a = (SchedulerCall.Accept) c;
    Operation.Launch launch = (Operation.Launch) a.operations().get(0);
    assertThat(launch.tasks().get(0).resources().cpus()).isEqualTo(0.5);
    assertThat(launch.tasks().get(0).resources().ranges("ports").size()).isEqualTo(2);
    assertThat(launch.tasks().get(0).killGracePeriod()).contains(Duration.ofSeconds(2));
    assertThat(a.filters().refuse()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void errorsNameTheFieldPath() {
    assertThatThrownBy(() -> call("{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"f\"},\"accept\":{\"offer_ids\":"
        + "[{\"value\":\"o\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\","
        + "\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},\"resources\":[{\"name\":\"cpus\","
        + "\"type\":\"SCALAR\",\"scalar\":{\"value\":\"lots\"}}],\"command\":{\"value\":\"x\"}}]}}]}}"))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("accept.operations[0].launch.task_infos[0].resources[0].scalar.value")
        .hasMessageContaining("must be a number");
    assertThatThrownBy(() -> call("{\"type\":\"KILL\",\"framework_id\":{\"value\":\"f\"}}"))
        .hasMessageContaining("field 'kill' is required");
    assertThatThrownBy(() -> call("{\"type\":\"DECLINE\"}")).hasMessageContaining("field 'framework_id' is required");
    assertThatThrownBy(() -> call("[1,2]")).hasMessageContaining("must be a JSON object");
    assertThatThrownBy(() -> call("{\"type\":\"REQUEST\",\"framework_id\":{\"value\":\"f\"}}"))
        .isInstanceOf(MesosJson.UnsupportedCallException.class).hasMessageContaining("REQUEST");
    assertThatThrownBy(() -> call("{\"type\":\"MESSAGE\",\"framework_id\":{\"value\":\"f\"}}"))
        .isInstanceOf(CodecException.class).hasMessageContaining("field 'message' is required");
    assertThatThrownBy(() -> call("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"u\","
        + "\"name\":\"n\",\"roles\":[\"a\",\"a\"]}}}"))
        .isInstanceOf(CodecException.class).hasMessageContaining("subscribe.framework_info").hasMessageContaining("twice");
  }

  @Test
  void deepNestingAndDuplicateKeysAreRefused() {
    String deep = "[".repeat(200) + "]".repeat(200);
    assertThatThrownBy(() -> MesosJson.parse(deep.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(CodecException.class).hasMessageContaining("malformed JSON");
    assertThatThrownBy(() -> MesosJson.parse("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(CodecException.class);
    assertThatThrownBy(() -> MesosJson.parse("{} {}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(CodecException.class);
  }

  @Test
  void readsAMesosHealthCheckWithDefaultsAndHttpsScheme() {
    dev.agora.core.model.HealthCheck h = MesosJson.decodeHealthCheck(MesosJson.parse(("{\"type\":\"HTTP\","
        + "\"http\":{\"scheme\":\"https\",\"port\":31000,\"path\":\"/health\"},\"interval_seconds\":2.5}")
        .getBytes(StandardCharsets.UTF_8)));
    assertThat(h.type()).isEqualTo(dev.agora.core.model.HealthCheck.Type.HTTPS);
    assertThat(h.port()).isEqualTo(31000);
    assertThat(h.interval()).isEqualTo(Duration.ofMillis(2500));
    assertThat(h.delay()).isEqualTo(Duration.ofSeconds(15));
    assertThat(h.timeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(h.consecutiveFailures()).isEqualTo(3);
    assertThat(h.gracePeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> MesosJson.decodeHealthCheck(MesosJson.parse("{\"type\":\"TCP\",\"tcp\":{\"port\":0}}"
        .getBytes(StandardCharsets.UTF_8)))).isInstanceOf(CodecException.class).hasMessageContaining("port");
    assertThatThrownBy(() -> MesosJson.decodeHealthCheck(MesosJson.parse("{\"type\":\"GRPC\"}"
        .getBytes(StandardCharsets.UTF_8)))).isInstanceOf(CodecException.class).hasMessageContaining("GRPC");
  }

  @Test
  void updateFrameworkRoundTripsAndAnIdOfAnotherFrameworkIsRefused() {
    dev.agora.core.model.FrameworkInfo info = dev.agora.core.model.FrameworkInfo.builder("web").user("nobody")
        .role("web").role("batch").build().withId(dev.agora.core.model.FrameworkId.of("f1"));
    dev.agora.core.protocol.SchedulerCall.UpdateFramework update =
        new dev.agora.core.protocol.SchedulerCall.UpdateFramework(info, java.util.Set.of("batch"));
    assertThat(MesosJson.decodeCall(MesosJson.encodeCall(update))).isEqualTo(update);
    assertThatThrownBy(() -> call("{\"type\":\"UPDATE_FRAMEWORK\",\"framework_id\":{\"value\":\"f1\"},"
        + "\"update_framework\":{\"framework_info\":{\"id\":{\"value\":\"f2\"},\"user\":\"u\",\"name\":\"n\"}}}"))
        .isInstanceOf(CodecException.class).hasMessageContaining("update_framework.framework_info.id");
    assertThatThrownBy(() -> call("{\"type\":\"UPDATE_FRAMEWORK\",\"framework_id\":{\"value\":\"f1\"}}"))
        .hasMessageContaining("field 'update_framework' is required");
  }
}
