package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TaskStateTest {
  @Test
  void happyPathIsLegal() {
    assertThat(TaskState.STAGING.transitionTo(TaskState.STARTING)).isEqualTo(TaskState.STARTING);
    assertThat(TaskState.STARTING.canTransitionTo(TaskState.RUNNING)).isTrue();
    assertThat(TaskState.RUNNING.canTransitionTo(TaskState.KILLING)).isTrue();
    assertThat(TaskState.KILLING.canTransitionTo(TaskState.KILLED)).isTrue();
    assertThat(TaskState.RUNNING.canTransitionTo(TaskState.RUNNING)).isTrue();
    assertThat(TaskState.UNREACHABLE.canTransitionTo(TaskState.RUNNING)).isTrue();
  }

  @Test
  void terminalStatesAreFinal() {
    for (TaskState terminal : TaskState.values()) {
      if (!terminal.isTerminal()) {
        continue;
      }
      for (TaskState next : TaskState.values()) {
        assertThat(terminal.canTransitionTo(next)).as("%s -> %s", terminal, next).isFalse();
      }
    }
  }

  @Test
  void illegalTransitionNamesBothStates() {
    assertThatThrownBy(() -> TaskState.FINISHED.transitionTo(TaskState.RUNNING))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("FINISHED -> RUNNING");
    assertThatThrownBy(() -> TaskState.RUNNING.transitionTo(TaskState.ERROR))
        .hasMessageContaining("RUNNING -> ERROR");
    assertThatThrownBy(() -> TaskState.RUNNING.transitionTo(TaskState.STAGING))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TaskState.STAGING.transitionTo(TaskState.UNKNOWN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsesWireNames() {
    assertThat(TaskState.parse("TASK_GONE_BY_OPERATOR")).isEqualTo(TaskState.GONE_BY_OPERATOR);
    assertThat(TaskState.parse("RUNNING")).isEqualTo(TaskState.RUNNING);
    assertThatThrownBy(() -> TaskState.parse("TASK_SLEEPING")).hasMessageContaining("TASK_SLEEPING");
  }
}
