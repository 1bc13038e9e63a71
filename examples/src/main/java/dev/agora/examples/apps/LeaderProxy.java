package dev.agora.examples.apps;

import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.coordination.StateStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Forwards API calls that reach a follower to the leading apps service over HTTP, as Marathon's
 * followers do: the leader publishes its URL in the state store ({@link #KEY}); a follower sends
 * the request on with its method, path, query and body, and streams the answer back (event
 * streams included), adding {@code X-Marathon-Leader}. A request already proxied once is not
 * proxied again (503), so two instances that both think the other leads cannot loop.
 *
 * <p>The jobs service (issue 9) has its own copy of this idea; the two are to be unified.
 *
 * <p>Concurrency: thread-safe; {@link #forward} blocks the calling HTTP thread while it copies.
 */
final class LeaderProxy {
  /** The state store key holding the leader's API URL. */
  static final String KEY = "leader/apps";
  static final String VIA = "X-Agora-Proxied-By";
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "transfer-encoding", "host",
      "keep-alive", "upgrade", "te", "trailer", "expect");

  private final StateStore store;
  private final String self;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();

  LeaderProxy(StateStore store, String self) {
    this.store = store;
    this.self = self;
  }

  /** The leader's URL as published, if any and not this instance's own. */
  Optional<String> leader() {
    return store.get(KEY).map(v -> new String(v.value(), StandardCharsets.UTF_8)).filter(u -> !u.equals(self));
  }

  /** Publishes {@code url} as the leader's (called by the new leader). */
  void publish() {
    long version = store.get(KEY).map(StateStore.Versioned::version).orElse(-1L);
    store.compareAndSet(KEY, self.getBytes(StandardCharsets.UTF_8), version);
  }

  String self() {
    return self;
  }

  /**
   * Forwards the exchange to the leader and copies the answer back.
   *
   * @return false if there is no leader to forward to (or the request was proxied already): the
   *     caller answers 503
   */
  boolean forward(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
    Optional<String> leader = leader();
    if (leader.isEmpty() || ex.getRequestHeaders().containsKey(VIA)) {
      return false;
    }
    URI in = ex.getRequestURI();
    URI target = URI.create(leader.get() + in.getRawPath() + (in.getRawQuery() == null ? "" : "?" + in.getRawQuery()));
    HttpRequest.Builder b = HttpRequest.newBuilder(target).header(VIA, self)
        .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    ex.getRequestHeaders().forEach((name, values) -> {
      if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        values.forEach(v -> b.header(name, v));
      }
    });
    HttpResponse<InputStream> r;
    try {
      r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      return false; // the published leader is gone; the caller answers 503 until a new one publishes
    }
    r.headers().map().forEach((name, values) -> {
      if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT)) && !name.startsWith(":")) {
        values.forEach(v -> ex.getResponseHeaders().add(name, v));
      }
    });
    ex.getResponseHeaders().set("X-Marathon-Leader", leader.get());
    long length = r.headers().firstValueAsLong("content-length").orElse(-2);
    ex.sendResponseHeaders(r.statusCode(), length == 0 ? -1 : length == -2 ? 0 : length);
    try (InputStream from = r.body(); OutputStream to = ex.getResponseBody()) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = from.read(buf)) >= 0) {
        to.write(buf, 0, n);
        to.flush();
      }
    }
    return true;
  }
}
