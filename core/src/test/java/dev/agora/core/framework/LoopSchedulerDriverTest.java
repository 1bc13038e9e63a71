package dev.agora.core.framework;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.protocol.Message;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The driver's subscription retries, against a master that refuses every subscription. */
class LoopSchedulerDriverTest {

  /**
   * A transport whose peer refuses each SUBSCRIBE at once by dropping the link, as an HTTP master
   * answering 503 does; after 100 refusals it goes quiet, so a driver that retries without pause
   * shows up as a count instead of spinning forever at one virtual instant.
   */
  private static final class RefusingTransport implements Transport {
    final AtomicInteger subscribes = new AtomicInteger();

    @Override
    public Endpoint bind(Address address, EventLoop loop, MessageHandler handler) {
      return new Endpoint() {
        @Override
        public Address address() {
          return address;
        }

        @Override
        public void send(Address to, Message message) {
          if (message instanceof SchedulerCall.Subscribe && subscribes.incrementAndGet() <= 100) {
            loop.execute(() -> handler.onExited(to));
          }
        }

        @Override
        public void link(Address peer) {}

        @Override
        public void close() {}
      };
    }
  }

  @Test
  void aRefusedSubscriptionIsRetriedOnTheBackoffNotInATightLoop() {
    Simulation sim = new Simulation(1);
    RefusingTransport transport = new RefusingTransport();
    SchedulerDriver driver = SchedulerDriver.builder().transport(transport).address(Address.of("fw"))
        .master(Address.of("master")).framework(FrameworkInfo.builder("fw").build())
        .scheduler(new Scheduler() {}).loop(sim.newLoop("fw")).start();
    sim.runUntilIdle();
    assertThat(transport.subscribes.get()).as("attempts at once").isLessThanOrEqualTo(2);

    sim.advance(Duration.ofSeconds(10));
    // One attempt every 2 s (the default backoff), not one per refusal.
    assertThat(transport.subscribes.get()).isBetween(5, 8);
    driver.close();
    sim.runUntilIdle();
  }

  @Test
  void closingTwiceReturnsAtOnceTheSecondTime() {
    SchedulerDriver driver = SchedulerDriver.builder().transport(new RefusingTransport())
        .address(Address.of("fw")).master(Address.of("master"))
        .framework(FrameworkInfo.builder("fw").build()).scheduler(new Scheduler() {}).start();
    driver.close();
    // The driver's own loop is gone after the first close; the second used to post to it and
    // wait out a 10 s timeout for an answer that could never come.
    assertTimeoutPreemptively(Duration.ofSeconds(5), driver::close);
  }
}
