package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ResourceUsage;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent's Prometheus text: one series per measured container, labels escaped. */
class AgentApiTest {
  private static AgentSnapshot.TaskView task(String id) {
    return new AgentSnapshot.TaskView(FrameworkId.of("fw"), TaskId.of(id), TaskState.RUNNING, 42, Path.of("/s"),
        new ContainerId("c-" + id));
  }

  @Test
  void eachMeasuredContainerIsASeriesAndLabelsAreEscaped() {
    AgentSnapshot.TaskView quoted = task("a\"b");
    AgentSnapshot.TaskView unmeasured = task("gone");
    AgentSnapshot s = new AgentSnapshot(Optional.of(AgentId.of("a1")), false, List.of(quoted, unmeasured), 0);

    String text = AgentApi.prometheus(s, List.of(
        new AgentApi.Measured(quoted, Optional.of(new ResourceUsage(Duration.ofMillis(1500), 4096, 8192, 3))),
        new AgentApi.Measured(unmeasured, Optional.empty())));

    assertThat(text).contains("agora_agent_registered 0\n").contains("agora_agent_tasks 2\n")
        .contains("# TYPE agora_container_cpu_seconds_total counter\n")
        .contains("agora_container_cpu_seconds_total{framework_id=\"fw\",task_id=\"a\\\"b\","
            + "container_id=\"c-a\\\"b\"} 1.5\n")
        .contains("agora_container_memory_bytes{framework_id=\"fw\"")
        .contains("} 4096\n").contains("} 8192\n").contains("} 3\n")
        .doesNotContain("c-gone");
  }
}
