package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskInfoLimitsTest {
  private final TaskInfo task = TaskInfo.of(TaskId.of("t"), AgentId.of("a"), Resources.parse("cpus:0.5;mem:64"),
      CommandInfo.shell("true"));

  @Test
  void aTaskHasNoLimitsUnlessGivenAndKeepsThemThroughCopies() {
    assertThat(task.limits()).isEmpty();
    assertThat(task.limit("mem")).isEmpty();

    TaskInfo limited = task.withLimits(Map.of("cpus", 2.0, "mem", Double.POSITIVE_INFINITY))
        .withKillGracePeriod(java.time.Duration.ofSeconds(1));

    assertThat(limited.limit("cpus")).hasValue(2.0);
    assertThat(limited.limit("mem")).hasValue(Double.POSITIVE_INFINITY);
  }

  @Test
  void limitsBelowTheRequestOrOfOtherResourcesAreRejectedNamingThem() {
    assertThatThrownBy(() -> task.withLimits(Map.of("mem", 32.0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mem").hasMessageContaining("32.0");
    assertThatThrownBy(() -> task.withLimits(Map.of("disk", 100.0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disk");
    assertThatThrownBy(() -> task.withLimits(Map.of("cpus", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }
}
