package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Caller mistakes in the model records throw IllegalArgumentException naming the value. */
class ModelValidationTest {

  static Stream<Arguments> idConstructors() {
    return Stream.of(
        Arguments.of("agentId", (Function<String, Object>) AgentId::of),
        Arguments.of("frameworkId", (Function<String, Object>) FrameworkId::of),
        Arguments.of("offerId", (Function<String, Object>) OfferId::of),
        Arguments.of("taskId", (Function<String, Object>) TaskId::of),
        Arguments.of("executorId", (Function<String, Object>) ExecutorId::of));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("idConstructors")
  void idsRejectUnsafeValues(String kind, Function<String, Object> of) {
    assertThatThrownBy(() -> of.apply(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(kind);
    assertThatThrownBy(() -> of.apply("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    for (String bad : List.of("a/b", "/", "a b", " a", "a\tb", "a\\b", "a\nb", "é")) {
      assertThatThrownBy(() -> of.apply(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'").hasMessageContaining(kind);
    }
    for (String bad : List.of(".", "..")) {
      assertThatThrownBy(() -> of.apply(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
    assertThatThrownBy(() -> of.apply("x".repeat(256))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("256");
    assertThat(of.apply("x".repeat(255)).toString()).hasSize(255);
    assertThat(of.apply("web-1.a_b:c...")).hasToString("web-1.a_b:c...");
  }

  @Test
  void idsHaveValueEqualityAndOrder() {
    assertThat(TaskId.of("a")).isEqualTo(new TaskId("a")).isLessThan(TaskId.of("b"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "eng/", "/eng", "eng//web", ".", "..", "eng/..", "-eng", "eng/-web", "e ng",
      "eng\tweb", "eng(x)", "eng:x", "eng;x", "eng,x", "eng/*", "**"})
  void rolesRejectInvalidNamesNamingThem(String role) {
    assertThatThrownBy(() -> Roles.check(role)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(role.isEmpty() ? "empty" : "'" + role + "'");
  }

  @Test
  void rolesAcceptPathsAndStar() {
    assertThat(Roles.check("*")).isEqualTo("*");
    assertThat(Roles.check("eng/web/frontend")).isEqualTo("eng/web/frontend");
    assertThat(Roles.isSelfOrAncestor("eng", "eng/web")).isTrue();
    assertThat(Roles.isSelfOrAncestor("eng", "engine")).isFalse();
    assertThat(Roles.parent("eng/web")).contains("eng");
    assertThat(Roles.parent("eng")).isEmpty();
    assertThatThrownBy(() -> Roles.check(null)).isInstanceOf(IllegalArgumentException.class);
  }

  private static FrameworkInfo framework(List<String> roles, Duration failover) {
    return new FrameworkInfo(Optional.empty(), "marathon", "root", roles, Optional.empty(), failover, false, Set.of());
  }

  @Test
  void frameworkInfoRejectsBadRolesAndTimeouts() {
    assertThatThrownBy(() -> framework(List.of(), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one role");
    assertThatThrownBy(() -> framework(List.of("eng", "ops", "eng"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'eng' twice");
    assertThatThrownBy(() -> framework(List.of("eng/"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'eng/'");
    assertThatThrownBy(() -> framework(List.of("eng"), Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> framework(List.of("eng"), null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failover");
    assertThatThrownBy(() -> new FrameworkInfo(Optional.empty(), " ", "root", List.of("*"), Optional.empty(),
        Duration.ZERO, false, Set.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    assertThat(framework(List.of("*", "eng/web"), Duration.ofDays(7)).roles()).containsExactly("*", "eng/web");
  }

  @Test
  void frameworkInfoBuilderChecksEachValueAtOnce() {
    FrameworkInfo.Builder b = FrameworkInfo.builder("chronos").role("eng");
    assertThatThrownBy(() -> b.role("eng")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'eng'");
    assertThatThrownBy(() -> b.role("..")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'..'");
    assertThatThrownBy(() -> b.failoverTimeout(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.005S");
    b.failoverTimeout(Duration.ofMinutes(1));
    assertThatThrownBy(() -> b.failoverTimeout(Duration.ofMinutes(2)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("PT1M");
    FrameworkInfo info = b.user("svc").capability(FrameworkInfo.Capability.MULTI_ROLE).build();
    assertThat(info.roles()).containsExactly("eng");
    assertThat(info.has(FrameworkInfo.Capability.MULTI_ROLE)).isTrue();
    assertThat(FrameworkInfo.builder("x").build().roles()).containsExactly("*");
  }

  @Test
  void taskInfoRejectsNegativeKillGracePeriod() {
    TaskInfo task = TaskInfo.of(TaskId.of("t1"), AgentId.of("a1"), Resources.of(1, 128), CommandInfo.shell("sleep 1"));
    assertThatThrownBy(() -> task.withKillGracePeriod(Duration.ofSeconds(-3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'t1'").hasMessageContaining("PT-3S");
    assertThat(task.withKillGracePeriod(Duration.ZERO).killGracePeriod()).contains(Duration.ZERO);
    assertThatThrownBy(() -> new TaskInfo(TaskId.of("t2"), " ", AgentId.of("a1"), Resources.EMPTY,
        CommandInfo.shell("x"), Map.of(), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'t2'");
    assertThatThrownBy(() -> new TaskInfo(TaskId.of("t3"), "t3", AgentId.of("a1"), Resources.EMPTY,
        CommandInfo.shell("x"), Map.of(), null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'t3'");
  }

  @Test
  void commandInfoRejectsEmptyCommandsAndBadEnvironment() {
    assertThatThrownBy(() -> CommandInfo.shell("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> CommandInfo.shell("  ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> CommandInfo.shell(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CommandInfo.shell("a\0b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    CommandInfo c = CommandInfo.exec("/bin/echo", List.of("echo", "hi"));
    for (String bad : List.of("", "A=B", "A\0B")) {
      assertThatThrownBy(() -> c.withEnvironment(Map.of(bad, "v"))).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
    }
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("PATH", null);
    assertThatThrownBy(() -> c.withEnvironment(nullValue)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'PATH'");
    assertThatThrownBy(() -> c.withEnvironment(Map.of("X", "a\0b"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'X'");
    assertThatThrownBy(() -> CommandInfo.exec("/bin/echo", java.util.Arrays.asList("echo", null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argument");
    assertThat(c.withEnvironment(Map.of("PATH", "/bin")).environment()).containsEntry("PATH", "/bin");
  }

  @Test
  void filtersRejectNegativeAndNaN() {
    assertThatThrownBy(() -> Filters.refuseSeconds(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1.0");
    assertThatThrownBy(() -> Filters.refuseSeconds(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> Filters.refuseSeconds(Double.NEGATIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Infinity");
    assertThatThrownBy(() -> new Filters(Duration.ofSeconds(-2))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-2S");
    assertThatThrownBy(() -> new Filters(null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Filters.refuseSeconds(1.5).refuse()).isEqualTo(Duration.ofMillis(1500));
    assertThat(Filters.refuseSeconds(Double.POSITIVE_INFINITY).refuse()).isGreaterThan(Duration.ofDays(365L * 1000));
    assertThat(Filters.refuseSeconds(0)).isEqualTo(Filters.NONE);
  }

  @Test
  void attributesParseAndRejectNamingThePair() {
    Map<String, AttributeValue> attrs = Attributes.parse("rack:r1;zone:us-east-1a;gen:3;cores:[1-4];tags:{ssd,gpu};big:1e20");
    assertThat(attrs.get("rack")).isEqualTo(new AttributeValue.Text("r1"));
    assertThat(attrs.get("gen")).isEqualTo(new AttributeValue.Scalar(3));
    assertThat(Attributes.parse(Attributes.print(attrs))).isEqualTo(attrs);
    assertThat(Attributes.print(attrs)).contains("big:1.0E20").contains("gen:3").contains("tags:{gpu,ssd}");
    assertThatThrownBy(() -> Attributes.parse("rack:")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'rack:'");
    assertThatThrownBy(() -> Attributes.parse(":r1")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("':r1'");
    assertThatThrownBy(() -> Attributes.parse("rack")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'rack'");
    assertThatThrownBy(() -> Attributes.parse("rack:a;rack:b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'rack'");
    assertThatThrownBy(() -> Attributes.parse("cores:[4-1]")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4-1");
    assertThatThrownBy(() -> Attributes.parse("tags:{a,,b}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("{a,,b}");
    assertThatThrownBy(() -> Attributes.parse("tags:{a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("{a");
    assertThat(Attributes.parse("tags:{}").get("tags")).isEqualTo(new AttributeValue.SetValue(new java.util.TreeSet<>()));
    assertThat(Attributes.parse(" ")).isEmpty();
  }
}
