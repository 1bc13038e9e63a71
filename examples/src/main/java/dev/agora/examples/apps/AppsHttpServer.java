package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK HTTP server in front of {@link AppsApi}, plus {@code /v2/events} as Server-Sent Events.
 *
 * <p>Concurrency: requests run on a cached pool owned by this server (an SSE stream holds one
 * thread while open); {@link #close} stops the server and the pool.
 */
final class AppsHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AppsHttpServer.class);
  private static final int MAX_BODY = 4 * 1024 * 1024;
  private final HttpServer server;
  private final ExecutorService pool;
  private final AppsApi api;
  private final EventBus events;
  private volatile boolean closed;
  private volatile LeaderProxy proxy;

  AppsHttpServer(InetSocketAddress address, AppsApi api, EventBus events) throws IOException {
    this.api = api;
    this.events = events;
    this.server = HttpServer.create(address, 64);
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "apps-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Forwards calls to the leader while this instance does not lead. */
  void proxy(LeaderProxy value) {
    this.proxy = value;
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      Map<String, List<String>> query = query(ex.getRequestURI().getRawQuery());
      LeaderProxy p = proxy;
      boolean follower = p != null && !api.leading() && !path.equals("/ping") && !path.equals("/v2/leader");
      if (path.equals("/v2/events") && ex.getRequestMethod().equals("GET") && !follower) {
        stream(ex, query);
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (follower && body.length <= MAX_BODY && p.forward(ex, body)) {
        return;
      }
      AppsApi.Response r;
      if (body.length > MAX_BODY) {
        r = AppsApi.message(413, "request body larger than " + MAX_BODY + " bytes");
      } else {
        r = api.handle(ex.getRequestMethod(), path, query, new String(body, StandardCharsets.UTF_8))
            .get(30, TimeUnit.SECONDS);
      }
      if (ex.getRequestMethod().equals("POST") && r.status() < 300) {
        ObjectNode e = AppJson.MAPPER.createObjectNode().put("eventType", "api_post_event")
            .put("uri", path).put("clientIp", String.valueOf(ex.getRemoteAddress().getAddress().getHostAddress()));
        events.publish(e);
      }
      r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        ex.getResponseBody().write(out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("apps API request failed", e);
    }
  }

  private void stream(HttpExchange ex, Map<String, List<String>> query) throws IOException {
    List<String> types = query.getOrDefault("event_type", List.of());
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.getResponseHeaders().add("Cache-Control", "no-cache");
    // Subscribe before answering: a client that sees the headers must see every later event.
    BlockingQueue<ObjectNode> q = events.subscribe();
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (!closed) {
        ObjectNode e = q.poll(15, TimeUnit.SECONDS);
        String text;
        if (e == null) {
          text = ": heartbeat\n\n";
        } else {
          String type = e.path("eventType").asText();
          if (!types.isEmpty() && !types.contains(type)) {
            continue;
          }
          text = "event: " + type + "\ndata: " + e + "\n\n";
        }
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.debug("event stream client went away: {}", e.toString());
    } finally {
      events.unsubscribe(q);
    }
  }

  static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    pool.shutdownNow();
  }
}
