package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import dev.agora.core.model.AgentId;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Messages of one (sender, receiver) pair over real HTTP are never reordered, even when a POST
 * times out at its sender while the receiver is only slow: the sender moves on to the next
 * message, and the late one, handled after it, is dropped (a gap, as over a broken connection).
 * Regression: in the fault soak at load 70, a stale ReregisterAgent handled after newer messages
 * made the master declare a running task GONE.
 */
class HttpTransportOrderTest {
  private final ThreadEventLoop senderLoop = ThreadEventLoop.start("sender");
  private final ThreadEventLoop receiverLoop = ThreadEventLoop.start("receiver");
  private HttpTransport sender;
  private HttpTransport receiver;

  @AfterEach
  void close() {
    if (sender != null) {
      sender.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    senderLoop.shutdown();
    receiverLoop.shutdown();
  }

  /** Holds the first request it sees until released: a receiver too slow for the sender's timeout. */
  private static final class SlowFirstRequest extends Authenticator {
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean first = new AtomicBoolean(true);

    @Override
    public Result authenticate(HttpExchange exchange) {
      if (first.getAndSet(false)) {
        held.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return new Success(new HttpPrincipal("peer", "agora"));
    }
  }

  private static AgentMessage ping(String n) {
    return new AgentMessage.Ping(AgentId.of(n));
  }

  @Test
  void aTimedOutPostThatArrivesAfterALaterOneIsDroppedNotDeliveredOutOfOrder() {
    SlowFirstRequest slow = new SlowFirstRequest();
    java.util.concurrent.ThreadPoolExecutor handlers = (java.util.concurrent.ThreadPoolExecutor)
        java.util.concurrent.Executors.newCachedThreadPool();
    receiver = HttpTransport.builder().authenticator(slow).executor(handlers).build().start();
    sender = HttpTransport.builder().requestTimeout(Duration.ofSeconds(1)).build().start();
    List<String> received = new CopyOnWriteArrayList<>();
    Address rx = receiver.address("rx");
    receiver.bind(rx, receiverLoop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        received.add(((AgentMessage.Ping) message).agentId().value());
      }
    });
    Endpoint tx = sender.bind(sender.address("tx"), senderLoop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {}
    });
    List<String> sent = new CopyOnWriteArrayList<>();
    java.util.function.Consumer<String> send = n -> {
      sent.add(n);
      tx.send(rx, ping(n));
    };

    send.accept("m1");
    await().atMost(Duration.ofSeconds(60)).until(() -> slow.held.getCount() == 0);
    // Later messages, each POSTed once the one before is answered or given up (m1 after 1 s), until
    // one gets through (a loaded machine may make the sender give up on some before they are sent).
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      send.accept("before-" + sent.size());
      return !received.isEmpty();
    });
    slow.release.countDown(); // m1 now reaches the receiver's handler, after a later message
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      send.accept("after-" + sent.size());
      return received.stream().anyMatch(r -> r.startsWith("after-"));
    });
    // Every request that reached the receiver (m1's too, late) has been handled.
    await().atMost(Duration.ofSeconds(60)).until(() -> handlers.getCompletedTaskCount() == handlers.getTaskCount());
    handlers.shutdownNow();

    assertThat(received).as("the overtaken m1 is dropped").doesNotContain("m1");
    assertThat(received).as("delivered in sending order").isSortedAccordingTo(
        java.util.Comparator.comparingInt(sent::indexOf));
  }

  @Test
  void messagesOfAPairArriveInSendingOrder() {
    receiver = HttpTransport.builder().build().start();
    sender = HttpTransport.builder().build().start();
    List<String> received = new CopyOnWriteArrayList<>();
    Address rx = receiver.address("rx");
    receiver.bind(rx, receiverLoop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        received.add(((AgentMessage.Ping) message).agentId().value());
      }
    });
    Endpoint tx = sender.bind(sender.address("tx"), senderLoop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {}
    });
    List<String> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sent.add("m" + i);
      tx.send(rx, ping("m" + i));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == sent.size());
    assertThat(received).containsExactlyElementsOf(sent);
  }
}
