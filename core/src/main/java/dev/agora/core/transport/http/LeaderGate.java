package dev.agora.core.transport.http;

import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Keeps a non-leading master from serving its leader's APIs, as Mesos does: a call to a gated path
 * (the scheduler API, the operator API, {@code /state}) on a master that does not lead is answered
 * {@code 307 Temporary Redirect} with a {@code Location} on the leader (same path and query), or
 * {@code 503} when no leader is known. {@code /health} and {@code /metrics} stay local.
 *
 * <p>Install it with {@link HttpTransport#leaderGate}. Concurrency: thread-safe; asks
 * {@code leading} and the detector on each request (both must be cheap and non-blocking).
 */
public final class LeaderGate {
  /** The paths gated by default. */
  public static final Set<String> DEFAULT_PATHS = Set.of("/api/v1", "/api/v1/scheduler", "/state");

  private final BooleanSupplier leading;
  private final MasterDetector detector;
  private final Address self;
  private final Set<String> paths;

  private LeaderGate(BooleanSupplier leading, MasterDetector detector, Address self, Set<String> paths) {
    this.leading = leading;
    this.detector = detector;
    this.self = self;
    this.paths = Set.copyOf(paths);
  }

  /**
   * A gate for the master at {@code self}.
   *
   * @param leading whether this master leads now (e.g. {@code master::isLeading})
   * @param detector where the leader is (its master address, as agents and frameworks see it)
   * @param self this master's address, so that a detector naming it is not followed in a loop
   */
  public static LeaderGate of(BooleanSupplier leading, MasterDetector detector, Address self) {
    return new LeaderGate(Objects.requireNonNull(leading, "leading"), Objects.requireNonNull(detector, "detector"),
        Objects.requireNonNull(self, "self"), DEFAULT_PATHS);
  }

  /** Whether requests to {@code path} are gated. */
  boolean gates(String path) {
    return paths.contains(path);
  }

  /**
   * Lets the request through if this master leads; otherwise answers it.
   *
   * @return true if the request was answered (redirected or refused)
   */
  boolean intercept(HttpExchange exchange) throws IOException {
    if (!gates(exchange.getRequestURI().getPath()) || leading.getAsBoolean()) {
      return false;
    }
    Optional<Address> leader = detector.leader().filter(a -> !a.equals(self));
    Optional<String> location = leader.flatMap(a -> location(a, exchange.getRequestURI()));
    Exchanges.body(exchange); // drain (bounded) so that the connection can be reused
    if (location.isEmpty()) {
      Exchanges.sendText(exchange, 503, "this master is not the leader and no leader is known; retry later");
    } else {
      exchange.getResponseHeaders().set("Location", location.get());
      Exchanges.sendText(exchange, 307, "this master is not the leader; the leader is at " + location.get());
    }
    return true;
  }

  /** The leader's URL for the request: its scheme and authority, the request's path and query. */
  static Optional<String> location(Address leader, URI request) {
    try {
      URI u = URI.create(leader.value());
      if (u.getScheme() == null || !u.getScheme().startsWith("http") || u.getRawAuthority() == null) {
        return Optional.empty();
      }
      String query = request.getRawQuery();
      return Optional.of(u.getScheme() + "://" + u.getRawAuthority() + request.getRawPath()
          + (query != null ? "?" + query : ""));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
