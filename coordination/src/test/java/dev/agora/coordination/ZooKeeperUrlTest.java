package dev.agora.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZooKeeperUrlTest {
  @Test
  void parsesHostsAndRoot() {
    ZooKeeperUrl url = ZooKeeperUrl.parse("zk://host1:2181,10.0.0.2:2182,host3/agora/prod");
    assertThat(url.hosts()).containsExactly("host1:2181", "10.0.0.2:2182", "host3:2181");
    assertThat(url.root()).isEqualTo("/agora/prod");
    assertThat(url.connectString()).isEqualTo("host1:2181,10.0.0.2:2182,host3:2181");
    assertThat(ZooKeeperUrl.parse(url.toString())).isEqualTo(url);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "http://host:2181/agora | zk://",
      "zk://host:2181 | no path",
      "zk://host:2181/ | '/'",
      "zk:///agora | empty host",
      "zk://a:2181,,b:2181/agora | empty host",
      "zk://host:99999/agora | 'host:99999'",
      "zk://host:x/agora | 'host:x'",
      "zk://ho st:2181/agora | 'ho st:2181'",
      "zk://user:secret@host:2181/agora | 'user:secret'",
      "zk://host:2181/agora/ | '/agora/'",
      "zk://host:2181/a//b | '/a//b'",
      "zk://host:2181/a/../b | '..'",
  })
  void badUrlsAreRefusedNamingTheToken(String url, String named) {
    assertThatThrownBy(() -> ZooKeeperUrl.parse(url)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(named);
  }

  @Test
  void theRecordChecksItsParts() {
    assertThatThrownBy(() -> new ZooKeeperUrl(List.of(), "/agora")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ZooKeeperUrl(List.of("h:1"), "agora")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'agora'");
  }

  @Test
  void theBuilderChecksItsValuesAtOnce() {
    assertThatThrownBy(() -> ZooKeeperCoordination.builder().url("zk://h:1/a").url("zk://h:1/b"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("zk://h:1/a");
    assertThatThrownBy(() -> ZooKeeperCoordination.builder().sessionTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionTimeout");
    assertThatThrownBy(() -> ZooKeeperCoordination.builder().connectionTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> ZooKeeperCoordination.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("url");
    assertThatThrownBy(() -> ZooKeeperCoordination.builder().url("zk:/h/a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zk:/h/a");
  }
}
