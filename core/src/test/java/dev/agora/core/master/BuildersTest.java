package dev.agora.core.master;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.agent.Agent;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Builders check each value at once, refuse a second set, and name what is missing. */
class BuildersTest {
  private final InProcessTransport transport = new InProcessTransport();

  @Test
  void masterBuilder() {
    assertThatThrownBy(() -> Master.builder().build()).hasMessageContaining("transport");
    assertThatThrownBy(() -> Master.builder().transport(transport).build()).hasMessageContaining("allocator");
    assertThatThrownBy(() -> Master.builder().transport(transport).transport(transport))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("transport was already set");
    assertThatThrownBy(() -> Master.builder().allocationInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allocationInterval");
    assertThatThrownBy(() -> Master.builder().offerTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("offerTimeout must be > 0 but was PT-1S");
    assertThatThrownBy(() -> Master.builder().maxAgentPingMisses(0)).hasMessageContaining("maxAgentPingMisses");
    assertThatThrownBy(() -> Master.builder().id("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Master.builder().standbyRegistryRefresh(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("standbyRegistryRefresh must be >= 0 but was PT-1S");
    assertThatThrownBy(() -> Master.builder().standbyRegistryRefresh(Duration.ZERO).standbyRegistryRefresh(Duration.ZERO))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("standbyRegistryRefresh was already set");
  }

  @Test
  void agentBuilder() {
    assertThatThrownBy(() -> Agent.builder().transport(transport).build()).hasMessageContaining("agent needs address");
    assertThatThrownBy(() -> Agent.builder().statusUpdateBackoff(Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backoff");
    assertThatThrownBy(() -> Agent.builder().defaultKillGracePeriod(Duration.ofSeconds(-1)))
        .hasMessageContaining("defaultKillGracePeriod must be >= 0");
    assertThatThrownBy(() -> Agent.builder().master(Address.of("m")).master(Address.of("m")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void schedulerDriverBuilder() {
    assertThatThrownBy(() -> SchedulerDriver.builder().transport(transport).address(Address.of("f")).start())
        .hasMessageContaining("scheduler driver needs master");
    assertThatThrownBy(() -> Address.of(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
