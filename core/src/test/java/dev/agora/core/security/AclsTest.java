package dev.agora.core.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.codec.MesosJson;
import dev.agora.core.security.Acls.Action;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Mesos local-authorizer semantics: first matching rule decides, NONE denies, else permissive. */
class AclsTest {
  static Acls parse(String json) {
    return Acls.parse(MesosJson.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void firstMatchingRuleDecidesAndNoneDenies() {
    Acls acls = parse("{\"run_tasks\": ["
        + "{\"principals\": {\"values\": [\"a\"]}, \"users\": {\"type\": \"NONE\"}},"
        + "{\"principals\": {\"type\": \"ANY\"}, \"users\": {\"values\": [\"nobody\"]}},"
        + "{\"principals\": {\"type\": \"ANY\"}, \"users\": {\"type\": \"NONE\"}}]}");
    assertThat(acls.allows(Action.RUN_TASKS, Optional.of("a"), Optional.of("nobody"))).isFalse();
    assertThat(acls.allows(Action.RUN_TASKS, Optional.of("b"), Optional.of("nobody"))).isTrue();
    assertThat(acls.allows(Action.RUN_TASKS, Optional.empty(), Optional.of("nobody"))).isTrue();
    assertThat(acls.allows(Action.RUN_TASKS, Optional.of("b"), Optional.of("root"))).isFalse();
    // No rules for an action: permissive decides (default true).
    assertThat(acls.allows(Action.UPDATE_WEIGHTS, Optional.of("b"), Optional.of("web"))).isTrue();
  }

  @Test
  void unauthenticatedRequestsMatchOnlyAnyOrNonePrincipalsAndPermissiveFalseDenies() {
    Acls acls = parse("{\"permissive\": false, \"update_weights\": ["
        + "{\"principals\": {\"values\": [\"ops\"]}, \"roles\": {\"type\": \"ANY\"}}]}");
    assertThat(acls.allows(Action.UPDATE_WEIGHTS, Optional.of("ops"), Optional.of("web"))).isTrue();
    assertThat(acls.allows(Action.UPDATE_WEIGHTS, Optional.empty(), Optional.of("web"))).isFalse();
    assertThat(acls.allows(Action.VIEW_STATE, Optional.of("ops"), Optional.empty())).isFalse();
  }

  @Test
  void malformedFilesNameTheField() {
    assertThatThrownBy(() -> parse("{\"run_task\": []}")).hasMessageContaining("run_task")
        .hasMessageContaining("run_tasks");
    assertThatThrownBy(() -> parse("{\"run_tasks\": [{\"users\": {\"type\": \"SOME\"}}]}"))
        .hasMessageContaining("run_tasks[0].users.type");
    assertThatThrownBy(() -> parse("{\"permissive\": \"no\"}")).hasMessageContaining("permissive");
  }
}
