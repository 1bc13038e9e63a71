package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.AgentId;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Regression for the HA acceptance's lost agents: after a failover every task's status update
 * stream resumes at once, and with one message per HTTP round trip the pings to (and pongs from)
 * an agent queued behind hundreds of updates and acknowledgements for longer than the ping
 * timeout, so the new leader marked live agents unreachable and their tasks LOST. Messages that
 * queue up while a POST is in flight now travel together in the next one.
 */
class HttpTransportBatchingTest {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private HttpTransport transport() throws IOException {
    HttpTransport t = HttpTransport.builder().host("127.0.0.1").port(0).build();
    t.start();
    toClose.add(t);
    return t;
  }

  private static AgentMessage ping(int i) {
    return new AgentMessage.Ping(AgentId.of("a" + i));
  }

  @Test
  void aBurstQueuedBehindAPostGoesInAFewRequestsInOrder() throws Exception {
    int burst = 2_000;
    AtomicInteger requests = new AtomicInteger();
    List<String> received = new CopyOnWriteArrayList<>();
    CountDownLatch firstHeld = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    peer.createContext("/agent", exchange -> {
      if (requests.incrementAndGet() == 1) {
        firstHeld.countDown();
        try {
          release.await(30, TimeUnit.SECONDS); // the first POST is slow: the rest of the burst queues
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      JsonNode json = MesosJson.parse(body);
      for (JsonNode one : json.isArray() ? json : List.of(json)) {
        received.add(((AgentMessage.Ping) MesosJson.decodeAgentMessage(one)).agentId().value());
      }
      exchange.sendResponseHeaders(202, -1);
      exchange.close();
    });
    peer.start();
    toClose.add(() -> peer.stop(0));
    HttpTransport sender = transport();
    ThreadEventLoop loop = ThreadEventLoop.start("sender");
    toClose.add(loop::shutdown);
    Endpoint master = sender.bind(sender.address("master"), loop, (from, message) -> {});
    Address agent = Address.of("http://127.0.0.1:" + peer.getAddress().getPort() + "/agent");

    master.send(agent, ping(0));
    assertThat(firstHeld.await(30, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i < burst; i++) {
      master.send(agent, ping(i));
    }
    release.countDown();

    await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == burst);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < burst; i++) {
      expected.add("a" + i);
    }
    assertThat(received).as("every message, in order").isEqualTo(expected);
    int batches = (burst - 1 + HttpTransport.MAX_BATCH_MESSAGES - 1) / HttpTransport.MAX_BATCH_MESSAGES;
    assertThat(requests.get()).as("requests for %s messages", burst).isEqualTo(1 + batches);
  }

  @Test
  void aReceiverDeliversABatchInOrderAndRefusesABadOneWhole() throws Exception {
    HttpTransport receiver = transport();
    ThreadEventLoop loop = ThreadEventLoop.start("receiver");
    toClose.add(loop::shutdown);
    List<Message> got = new CopyOnWriteArrayList<>();
    Endpoint agent = receiver.bind(receiver.address("agent"), loop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        got.add(message);
      }
    });
    HttpClient client = HttpClient.newHttpClient();
    String ping = new String(MesosJson.bytes(MesosJson.encodeAgentMessage(ping(1))));
    String ping2 = new String(MesosJson.bytes(MesosJson.encodeAgentMessage(ping(2))));

    HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create(agent.address().value()))
        .header("Content-Type", "application/json").header(HttpTransport.FROM_HEADER, "http://127.0.0.1:1/master")
        .POST(HttpRequest.BodyPublishers.ofString("[" + ping + ",{\"type\":\"NOPE\"}]")).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> empty = client.send(HttpRequest.newBuilder(URI.create(agent.address().value()))
        .header("Content-Type", "application/json").header(HttpTransport.FROM_HEADER, "http://127.0.0.1:1/master")
        .POST(HttpRequest.BodyPublishers.ofString("[]")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> good = client.send(HttpRequest.newBuilder(URI.create(agent.address().value()))
        .header("Content-Type", "application/json").header(HttpTransport.FROM_HEADER, "http://127.0.0.1:1/master")
        .POST(HttpRequest.BodyPublishers.ofString("[" + ping + "," + ping2 + "]")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(good.statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= 2);
    assertThat(got).containsExactly(ping(1), ping(2)); // nothing of the refused batch
  }
}
