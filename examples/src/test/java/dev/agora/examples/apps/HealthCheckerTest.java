package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.runtime.Simulation;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {
  static HealthChecker.Spec tcp(int port, int grace, int max) {
    return new HealthChecker.Spec(HealthChecker.Protocol.TCP, "127.0.0.1", port, "/", null, Duration.ofSeconds(grace),
        Duration.ofSeconds(10), Duration.ofSeconds(1), max, Duration.ofSeconds(1));
  }

  @Test
  void tcpHealthyThenUnhealthyThenKillAfterMaxFailures() throws IOException {
    Simulation sim = new Simulation(1);
    List<HealthChecker.Result> results = new ArrayList<>();
    ServerSocket server = new ServerSocket(0);
    int port = server.getLocalPort();
    HealthChecker c = HealthChecker.start(tcp(port, 0, 3), sim.newLoop("hc"), Runnable::run, results::add);
    sim.advance(Duration.ofSeconds(2));
    assertThat(results).extracting(HealthChecker.Result::healthy).containsExactly(true);
    server.close();
    sim.advance(Duration.ofSeconds(10));
    assertThat(results).hasSize(2);
    assertThat(results.get(1).healthy()).isFalse();
    assertThat(results.get(1).killRecommended()).isFalse();
    sim.advance(Duration.ofSeconds(20));
    assertThat(results.get(results.size() - 1).killRecommended()).isTrue();
    assertThat(results.get(results.size() - 1).consecutiveFailures()).isEqualTo(3);
    c.close();
  }

  @Test
  void failuresInGraceDoNotCountAndCommandChecksWork() {
    Simulation sim = new Simulation(1);
    List<HealthChecker.Result> results = new ArrayList<>();
    HealthChecker.start(new HealthChecker.Spec(HealthChecker.Protocol.COMMAND, null, 0, null, "exit 1",
        Duration.ofSeconds(25), Duration.ofSeconds(10), Duration.ofSeconds(5), 1, Duration.ZERO),
        sim.newLoop("hc"), Runnable::run, results::add);
    sim.advance(Duration.ofSeconds(21));
    assertThat(results).isEmpty();
    sim.advance(Duration.ofSeconds(10));
    assertThat(results).extracting(HealthChecker.Result::killRecommended).containsExactly(false, true);
    assertThatThrownBy(() -> tcp(0, 1, 1)).hasMessageContaining("but was 0");
  }
}
