package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskId;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A framework's acknowledgements do not hold its other calls back: against a master (a plain HTTP
 * server here) that is slow to answer an ACKNOWLEDGE, a DECLINE sent after it still arrives.
 */
class HttpSchedulerTransportLanesTest {
  private final ThreadEventLoop loop = ThreadEventLoop.start("framework");
  private final Queue<String> received = new ConcurrentLinkedQueue<>();
  private final CountDownLatch releaseAcknowledgements = new CountDownLatch(1);
  private final CountDownLatch subscribed = new CountDownLatch(1);
  private HttpServer master;
  private HttpSchedulerTransport transport;

  @AfterEach
  void stop() {
    releaseAcknowledgements.countDown();
    if (transport != null) {
      transport.close();
    }
    if (master != null) {
      master.stop(0);
    }
    loop.shutdown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    SchedulerCall call = MesosJson.decodeCall(MesosJson.parse(exchange.getRequestBody().readAllBytes()));
    received.add(call.getClass().getSimpleName());
    if (call instanceof SchedulerCall.Subscribe) {
      exchange.getResponseHeaders().add(SchedulerApiHandler.STREAM_ID, "stream-1");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write(RecordIo.frame(MesosJson.bytes(MesosJson.encodeEvent(
          new SchedulerEvent.Subscribed(FrameworkId.of("fw"), Duration.ofSeconds(15))))));
      out.flush();
      return; // the stream stays open until the server stops
    }
    if (call instanceof SchedulerCall.Acknowledge) {
      try {
        releaseAcknowledgements.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    exchange.sendResponseHeaders(202, -1);
    exchange.close();
  }

  @Test
  void aDeclineIsNotHeldBehindASlowAcknowledgement() throws Exception {
    master = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    master.setExecutor(Executors.newCachedThreadPool());
    master.createContext("/api/v1/scheduler", exchange -> {
      try {
        handle(exchange);
      } catch (RuntimeException e) {
        exchange.sendResponseHeaders(500, -1);
        exchange.close();
      }
    });
    master.start();
    Address to = Address.of("http://127.0.0.1:" + master.getAddress().getPort());
    transport = HttpSchedulerTransport.builder().build();
    Endpoint framework = transport.bind(Address.of("framework"), loop, (from, message) -> {
      if (message instanceof SchedulerEvent.Subscribed) {
        subscribed.countDown();
      }
    });
    FrameworkId id = FrameworkId.of("fw");
    framework.send(to, new SchedulerCall.Subscribe(FrameworkInfo.builder("lanes").build()));
    assertThat(subscribed.await(30, TimeUnit.SECONDS)).as("subscribed").isTrue();

    framework.send(to, new SchedulerCall.Acknowledge(id, AgentId.of("a"), TaskId.of("t"), UUID.randomUUID()));
    await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("Acknowledge"));
    framework.send(to, new SchedulerCall.Decline(id, List.of(OfferId.of("o")), Filters.DEFAULT));

    // Well within the 10 s after which the transport gives a call up: on one lane, the DECLINE
    // would go only once the held ACKNOWLEDGE timed out.
    await().atMost(Duration.ofSeconds(8)).until(() -> received.contains("Decline"));
    assertThat(releaseAcknowledgements.getCount()).as("the acknowledgement is still held").isEqualTo(1);
  }
}
