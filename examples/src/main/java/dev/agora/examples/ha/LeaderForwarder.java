package dev.agora.examples.ha;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Relays an HTTP API call that reached a follower to the leading instance, as Marathon's and
 * Chronos' followers do: the request goes on with its method, path, query, headers and body; the
 * leader's answer (status, headers, body) is streamed back, event streams included. The forwarded
 * request carries {@link #FORWARDED_BY} naming this instance, and a request that already carries it
 * is not forwarded again, so two instances that each think the other leads cannot loop.
 *
 * <p>Where the leader is comes from the caller's supplier (a URL published in a state store, a
 * leader detector ...): this class only relays.
 *
 * <p>Concurrency: thread-safe; {@link #forward} blocks the calling HTTP thread while it relays (for
 * an event stream, until either side closes).
 */
public final class LeaderForwarder {
  /** The header a forwarded call carries, naming the follower that forwarded it. */
  public static final String FORWARDED_BY = "X-Agora-Forwarded-By";
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "transfer-encoding", "host",
      "keep-alive", "upgrade", "te", "trailer", "expect");

  /** What became of a call. */
  public enum Kind {
    /** Relayed: the leader's answer was sent to the caller. */
    FORWARDED,
    /** No leader is known: nothing was sent. */
    NO_LEADER,
    /** The known leader is this instance (it does not lead yet, or no more): nothing was sent. */
    LEADER_IS_SELF,
    /** The call had been forwarded once already (see {@link #detail}): nothing was sent. */
    ALREADY_FORWARDED,
    /** The leader could not be reached (see {@link #detail}): nothing was sent. */
    UNREACHABLE
  }

  /**
   * The outcome of {@link #forward}: when not {@link Kind#FORWARDED}, nothing was sent and the
   * caller answers (503, typically) in its API's own words.
   *
   * @param kind what happened
   * @param leader the leader's URL, when one was known
   * @param detail who forwarded the call before, or why the leader was unreachable; empty otherwise
   */
  public record Outcome(Kind kind, Optional<String> leader, String detail) {
    public Outcome {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(leader, "leader");
      Objects.requireNonNull(detail, "detail");
    }

    /** Whether the leader's answer was sent. */
    public boolean forwarded() {
      return kind == Kind.FORWARDED;
    }
  }

  private final String self;
  private final Supplier<Optional<String>> leader;
  private final Optional<String> leaderHeader;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();

  /**
   * A forwarder for the instance serving at {@code self}.
   *
   * @param self this instance's base URL ({@code http://host:port}), as it names itself to the leader
   * @param leader the leader's base URL now, if known; called on the HTTP thread for each call
   * @param leaderHeader a response header naming the leader to add to relayed answers (Marathon's
   *     {@code X-Marathon-Leader}), if any
   * @throws IllegalArgumentException if {@code self} is empty
   */
  public LeaderForwarder(String self, Supplier<Optional<String>> leader, Optional<String> leaderHeader) {
    if (self == null || self.isBlank()) {
      throw new IllegalArgumentException("self must be this instance's URL but was '" + self + "'");
    }
    this.self = self;
    this.leader = Objects.requireNonNull(leader, "leader");
    this.leaderHeader = Objects.requireNonNull(leaderHeader, "leaderHeader");
  }

  /** This instance's base URL. */
  public String self() {
    return self;
  }

  /**
   * Relays the exchange's call to the leader and, when it answers, sends its answer on the exchange.
   * Does not close the exchange.
   *
   * @param body the request body already read from the exchange (empty if none)
   * @throws IOException if the answer cannot be copied to the caller (the caller went away)
   * @throws InterruptedException if interrupted while waiting for the leader
   */
  public Outcome forward(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
    Optional<String> known = leader.get().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
    if (known.isEmpty()) {
      return new Outcome(Kind.NO_LEADER, known, "");
    }
    if (known.get().equals(self)) {
      return new Outcome(Kind.LEADER_IS_SELF, known, "");
    }
    String before = ex.getRequestHeaders().getFirst(FORWARDED_BY);
    if (before != null) {
      return new Outcome(Kind.ALREADY_FORWARDED, known, before);
    }
    URI in = ex.getRequestURI();
    HttpResponse<InputStream> answer;
    try {
      URI target = URI.create(known.get() + in.getRawPath() + (in.getRawQuery() == null ? "" : "?" + in.getRawQuery()));
      HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30)).header(FORWARDED_BY, self)
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      ex.getRequestHeaders().forEach((name, values) -> {
        if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
          values.forEach(v -> b.header(name, v));
        }
      });
      answer = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException | IllegalArgumentException e) {
      return new Outcome(Kind.UNREACHABLE, known, String.valueOf(e.getMessage()));
    }
    answer.headers().map().forEach((name, values) -> {
      if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
        values.forEach(v -> ex.getResponseHeaders().add(name, v));
      }
    });
    leaderHeader.ifPresent(h -> ex.getResponseHeaders().set(h, known.get()));
    long length = answer.headers().firstValueAsLong("content-length").orElse(-1);
    boolean noBody = length == 0 || answer.statusCode() == 204 || answer.statusCode() == 304;
    ex.sendResponseHeaders(answer.statusCode(), noBody ? -1 : length < 0 ? 0 : length);
    try (InputStream from = answer.body(); OutputStream to = ex.getResponseBody()) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = from.read(buf)) >= 0) {
        to.write(buf, 0, n);
        to.flush();
      }
    }
    return new Outcome(Kind.FORWARDED, known, "");
  }
}
