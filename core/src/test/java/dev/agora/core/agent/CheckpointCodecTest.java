package dev.agora.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The streamed checkpoint encoding is the tree encoding, byte for byte, and decodes back. */
class CheckpointCodecTest {
  @Test
  void streamedBytesEqualTheTreeEncodingWithAndWithoutOptionalParts() throws Exception {
    for (CheckpointCodec.TaskRecord r : List.of(rich(), bare())) {
      byte[] streamed = CheckpointCodec.encodeBytes(r);
      assertThat(new String(streamed, java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(new String(CheckpointCodec.MAPPER.writeValueAsBytes(CheckpointCodec.encode(r)),
              java.nio.charset.StandardCharsets.UTF_8));
      assertThat(CheckpointCodec.decodeTask(CheckpointCodec.MAPPER.readTree(streamed))).isEqualTo(r);
    }
  }

  @Test
  void aRecordFromTheEncodedPrefixOfAnEarlierStateIsTheWholeEncoding() throws Exception {
    CheckpointCodec.TaskRecord r = rich();
    CheckpointCodec.TaskRecord launched = new CheckpointCodec.TaskRecord(r.checkpoint(), r.frameworkId(), r.framework(),
        r.task(), r.containerId(), 0, r.sandbox(), r.environment(), r.user(), TaskState.STARTING, List.of());
    byte[] prefix = CheckpointCodec.encodePrefix(launched);
    for (CheckpointCodec.TaskRecord x : List.of(launched, r)) {
      assertThat(new String(CheckpointCodec.encodeBytes(x, prefix), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(new String(CheckpointCodec.MAPPER.writeValueAsBytes(CheckpointCodec.encode(x)),
              java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static CheckpointCodec.TaskRecord rich() {
    FrameworkInfo f = FrameworkInfo.builder("marathon").id(FrameworkId.of("fw-1")).user("svc").role("web")
        .principal("ops").failoverTimeout(Duration.ofDays(7)).checkpoint(true)
        .capability(FrameworkInfo.Capability.PARTITION_AWARE).build();
    TaskInfo t = new TaskInfo(TaskId.of("web.abc"), "web", AgentId.of("a1"), Resources.parse("cpus:0.5;mem:64"),
        new CommandInfo(true, "sleep 10 \"quoted\" \u00e9", List.of(), Map.of("PORT0", "31000", "B", "2", "A", "1"),
            Optional.of("nobody")),
        Map.of("z", "last", "MARATHON_APP_ID", "/web"), Optional.of(Duration.ofSeconds(3)))
        .withHealthCheck(new HealthCheck(HealthCheck.Type.HTTP, 31000, "/health", Optional.empty(), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(5), 3, Duration.ofSeconds(20)));
    TaskStatus s = new TaskStatus(t.taskId(), TaskState.RUNNING,
        Optional.of(TaskStatus.Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED), Optional.of("ok"),
        TaskStatus.Source.SOURCE_EXECUTOR, Optional.of(AgentId.of("a1")), Optional.of(new UUID(1, 2)),
        Optional.of(true), Instant.parse("2026-01-01T00:00:00Z"));
    return new CheckpointCodec.TaskRecord(true, FrameworkId.of("fw-1"), f, t, "c-1", 4242, Path.of("/tmp/sandbox"),
        Map.of("HOME", "/tmp", "X", "y"), Optional.of("nobody"), TaskState.RUNNING, List.of(s, s));
  }

  private static CheckpointCodec.TaskRecord bare() {
    FrameworkInfo f = FrameworkInfo.builder("batch").build();
    TaskInfo t = new TaskInfo(TaskId.of("t"), "t", AgentId.of("a"), Resources.parse("cpus:1"),
        new CommandInfo(false, "/bin/true", List.of("/bin/true", "x"), Map.of(), Optional.empty()), Map.of(),
        Optional.empty());
    return new CheckpointCodec.TaskRecord(false, FrameworkId.of("fw-2"), f, t, "c-2", 0, Path.of("sb"), Map.of(),
        Optional.empty(), TaskState.STAGING, List.of());
  }
}
