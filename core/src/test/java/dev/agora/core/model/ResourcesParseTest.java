package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Mesos text form: what it accepts, and that each input Mesos rejects fails naming its token. */
class ResourcesParseTest {

  static Stream<Arguments> rejected() {
    return Stream.of(
        // input, token the message must name
        Arguments.of("cpus:NaN", "NaN"),
        Arguments.of("cpus:Infinity", "Infinity"),
        Arguments.of("cpus:-Infinity", "-Infinity"),
        Arguments.of("cpus:1e400", "cpus:1e400"),
        Arguments.of("cpus:1e300", "cpus:1e300"),
        Arguments.of("cpus:-1", "cpus:-1"),
        Arguments.of("mem:-0.5", "mem:-0.5"),
        Arguments.of("cpus:0.0001", "0.0001"),
        Arguments.of("cpus:1x", "1x"),
        Arguments.of("cpus:1d", "1d"),
        Arguments.of("cpus:0x1p3", "0x1p3"),
        Arguments.of("cpus:1.2.3", "1.2.3"),
        Arguments.of("cpus(role1)", "cpus(role1)"),
        Arguments.of("cpus(role1):", "cpus(role1):"),
        Arguments.of("mem:1;cpus", "cpus"),
        Arguments.of("cpus(r:1", "cpus(r:1"),
        Arguments.of("cpus(r)):1", "cpus(r)):1"),
        Arguments.of("cpus)r(:1", "cpus)r(:1"),
        Arguments.of("cpus(a)(b):1", "cpus(a)(b)"),
        Arguments.of("cpus(a)b:1", "cpus(a)b"),
        Arguments.of("ports:[1-2", "ports:[1-2"),
        Arguments.of("ports:[1-2]]", "ports:[1-2]]"),
        Arguments.of("ports:[1-2)", "ports:[1-2)"),
        Arguments.of("ports:[1-2]x", "[1-2]x"),
        Arguments.of("ports:[1-2b]", "1-2b"),
        Arguments.of("ports:[a-2]", "a-2"),
        Arguments.of("ports:[5-1]", "5-1"),
        Arguments.of("ports:[-1-5]", "-1-5"),
        Arguments.of("ports:[1-5,3-8]", "3-8"),
        Arguments.of("ports:[1-2,]", "[1-2,]"),
        Arguments.of("ports:[1-2];ports:3", "ports:3"),
        Arguments.of("ports:[1-2];ports(eng):{a}", "ports(eng):{a}"),
        Arguments.of("ports:[1-2];ports:[2-3]", "[2-3]"),
        Arguments.of(":1", ":1"),
        Arguments.of(" :1", ":1"),
        Arguments.of("(eng):1", "(eng):1"),
        Arguments.of("cpus():1", "cpus():1"),
        Arguments.of("cpus( ):1", "cpus( ):1"),
        Arguments.of("cp us:1", "cp us"),
        Arguments.of("cpus(eng/):1", "eng/"),
        Arguments.of("cpus(/eng):1", "/eng"),
        Arguments.of("cpus(eng//web):1", "eng//web"),
        Arguments.of("cpus(..):1", ".."),
        Arguments.of("cpus(eng/.):1", "eng/."),
        Arguments.of("cpus(-eng):1", "-eng"),
        Arguments.of("cpus(e ng):1", "e ng"),
        Arguments.of("cpus(eng/*):1", "eng/*"),
        Arguments.of("disks:{a,,b}", "{a,,b}"),
        Arguments.of("disks:{a,}", "{a,}"),
        Arguments.of("disks:{a,b", "disks:{a,b"),
        Arguments.of("disks:{a}x", "{a}x"),
        Arguments.of("disks:{a,a}", "'a'"),
        Arguments.of("disks:{a};disks:{a}", "'a'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsNamingTheToken(String input, String token) {
    assertThatThrownBy(() -> Resources.parse(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(token);
  }

  @Test
  void rejectsNull() {
    assertThatThrownBy(() -> Resources.parse(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
  }

  @Test
  void parsesTheMesosTextForm() {
    Resources r = Resources.parse(" cpus:4 ; mem:8192;ports:[31000-32000, 33000-33010];cpus(web):2;disks(eng/web):{b, a};");
    assertThat(r.cpus()).isEqualTo(6.0);
    assertThat(r.mem()).isEqualTo(8192.0);
    assertThat(r.ranges("ports")).isEqualTo(Ranges.of(31000, 32000, 33000, 33010));
    assertThat(r.reservationRoles()).containsExactly("eng/web", "web");
    assertThat(r.toString())
        .isEqualTo("cpus:4;cpus(web):2;disks(eng/web):{a,b};mem:8192;ports:[31000-32000,33000-33010]");
    assertThat(Resources.parse("")).isSameAs(Resources.EMPTY);
    assertThat(Resources.parse(" ; ;")).isSameAs(Resources.EMPTY);
    assertThat(Resources.parse("cpus:0;ports:[];disks:{}")).isEqualTo(Resources.EMPTY);
  }

  @Test
  void scalarsRoundToTheResolutionAndAddUp() {
    assertThat(Resources.parse("cpus:0.001").scalarMillis("cpus")).isEqualTo(1);
    assertThat(Resources.parse("cpus:1.0004").toString()).isEqualTo("cpus:1");
    assertThat(Resources.parse("cpus:0.25;cpus:0.5").toString()).isEqualTo("cpus:0.75");
    assertThat(Resources.parse("mem:1e3").mem()).isEqualTo(1000.0);
    assertThat(Resources.parse("cpus:-0").isEmpty()).isTrue();
    assertThat(Resources.parse("gpus:1.05").toString()).isEqualTo("gpus:1.05");
  }

  @Test
  void oneNameWithTwoTypesIsRejectedByAddAndBuilder() {
    Resources ports = Resources.parse("ports:[1-2]");
    assertThatThrownBy(() -> ports.add(Resources.parse("ports:3")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ports'").hasMessageContaining("RANGES").hasMessageContaining("SCALAR");
    assertThatThrownBy(() -> Resources.parse("ports(eng):3").add(ports))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ports'");
    assertThatThrownBy(() -> Resources.builder().add(ports).scalar("ports", "eng", 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ports'");
  }

  @Test
  void builderRejectsBadNamesRolesAndItems() {
    assertThatThrownBy(() -> Resources.scalar(null, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
    assertThatThrownBy(() -> Resources.scalar("", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> Resources.scalar("a;b", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a;b'");
    assertThatThrownBy(() -> Resources.builder().scalar("cpus", null, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("role");
    assertThatThrownBy(() -> Resources.builder().scalar("cpus", "", 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("role");
    assertThatThrownBy(() -> Resources.scalar("cpus", Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> Resources.scalar("cpus", 0.0001)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.0001");
    assertThatThrownBy(() -> Resources.builder().set("disks", List.of("a,b")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a,b'");
    assertThatThrownBy(() -> Resources.builder().set("disks", List.of(" a")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("' a'");
    assertThatThrownBy(() -> Resources.builder().set("disks", List.of("")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty item");
    assertThatThrownBy(() -> Resources.builder().ranges("ports", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ports'");
  }

  @Test
  void subtractingMoreThanHeldNamesBothValues() {
    assertThatThrownBy(() -> Resources.parse("cpus:1").subtract(Resources.parse("cpus:1.5")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus:1.5").hasMessageContaining("cpus:1");
    assertThatThrownBy(() -> Resources.parse("cpus:1").subtract(Resources.parse("cpus(eng):1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus(eng):1");
    assertThatThrownBy(() -> Resources.parse("ports:[1-5]").subtract(Resources.parse("ports:[5-6]")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5-6]");
  }

  @Test
  void rangesParseRejectsNamingTheToken() {
    assertThatThrownBy(() -> Ranges.parse("1-2")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1-2'");
    assertThatThrownBy(() -> Ranges.parse("[1-" + Long.MAX_VALUE + "]")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Long.toString(Long.MAX_VALUE));
    assertThatThrownBy(() -> Ranges.parse("[99999999999999999999]")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("99999999999999999999");
    assertThatThrownBy(() -> Ranges.of(1, 2, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 numbers");
    assertThatThrownBy(() -> Ranges.of(1, 5, 5, 6)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[5-6]");
    assertThat(Ranges.parse("[ 7 , 1-3 ]")).isEqualTo(Ranges.of(1, 3, 7, 7));
    assertThat(Ranges.parse("[]")).isSameAs(Ranges.EMPTY);
  }
}
