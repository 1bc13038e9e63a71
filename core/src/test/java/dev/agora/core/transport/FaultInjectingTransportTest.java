package dev.agora.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.AgentId;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.FaultInjectingTransport.Fault;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FaultInjectingTransportTest {
  private final Simulation sim = new Simulation(5);
  private final FaultInjectingTransport transport = new FaultInjectingTransport(new InProcessTransport(), new Random(5));
  private final List<String> received = new ArrayList<>();

  private Endpoint bind(String name) {
    return transport.bind(Address.of(name), sim.newLoop(name), new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        received.add(from.value() + ":" + ((AgentMessage.Ping) message).agentId().value());
      }

      @Override
      public void onExited(Address peer) {}
    });
  }

  private static AgentMessage.Ping ping(int i) {
    return new AgentMessage.Ping(AgentId.of("m" + i));
  }

  @Test
  void jitterKeepsEachPairInOrderButNotAcrossPairs() {
    Endpoint a = bind("a");
    Endpoint b = bind("b");
    bind("c");
    transport.add(MessageMatcher.from(Address.of("a")), Fault.JITTER, 1.0, Duration.ofSeconds(10));
    for (int i = 0; i < 50; i++) {
      a.send(Address.of("c"), ping(i));
      b.send(Address.of("c"), ping(i));
    }
    sim.runUntilIdle();
    assertThat(received).as("b is not delayed by a's jitter").hasSize(50).allMatch(s -> s.startsWith("b:"));
    sim.advance(Duration.ofSeconds(11));
    List<String> fromA = received.stream().filter(s -> s.startsWith("a:")).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      expected.add("a:m" + i);
    }
    assertThat(fromA).isEqualTo(expected);
  }

  @Test
  void reorderLetsLaterMessagesOvertake() {
    Endpoint a = bind("a");
    bind("c");
    transport.add(MessageMatcher.to(Address.of("c")), Fault.REORDER, 0.5, Duration.ofSeconds(10));
    for (int i = 0; i < 50; i++) {
      a.send(Address.of("c"), ping(i));
    }
    sim.advance(Duration.ofSeconds(11));
    assertThat(received).hasSize(50);
    assertThat(received).isNotEqualTo(received.stream().sorted((x, y) ->
        Integer.compare(Integer.parseInt(x.substring(3)), Integer.parseInt(y.substring(3)))).toList());
  }

  @Test
  void dropAndDuplicateByTypeAndEndpoint() {
    Endpoint a = bind("a");
    Endpoint b = bind("b");
    bind("c");
    transport.add(MessageMatcher.ofType(AgentMessage.Ping.class).and(MessageMatcher.from(Address.of("a"))),
        Fault.DROP, 1.0, Duration.ZERO);
    transport.add(MessageMatcher.between(Address.of("b"), Address.of("c")), Fault.DUPLICATE, 1.0, Duration.ZERO);
    a.send(Address.of("c"), ping(1));
    b.send(Address.of("c"), ping(2));
    sim.runUntilIdle();
    assertThat(received).containsExactly("b:m2", "b:m2");
    transport.heal();
    a.send(Address.of("c"), ping(3));
    sim.runUntilIdle();
    assertThat(received).endsWith("a:m3");
  }
}
