package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.agora.core.codec.ExecutorJson;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.transport.Address;
import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpPrincipal;
import dev.agora.core.executor.ExecutorTokens;
import java.io.IOException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /api/v1/executor}: the Mesos v1 executor API on an agent. SUBSCRIBE opens a chunked
 * RecordIO stream of events (SUBSCRIBED, LAUNCH, LAUNCH_GROUP, KILL, ACKNOWLEDGED, MESSAGE,
 * SHUTDOWN, ERROR) and hands the call to the agent as from {@code executor:<id>}; UPDATE and
 * MESSAGE are answered 202 once handed to the agent, as from the executor's open stream (Mesos
 * executor calls carry no stream id: the framework and executor ids name it).
 *
 * <p>Concurrency: called on the transport's request threads; the map of open streams is
 * concurrent. Each open stream holds one request thread.
 */
final class ExecutorApiHandler implements HttpHandler {
  private final HttpTransport transport;
  private final Address agent;
  /** "frameworkId/executorId" to the id of that executor's latest stream. */
  private final ConcurrentHashMap<String, String> byExecutor = new ConcurrentHashMap<>();
  /** Null when executors are not authenticated. */
  private final ExecutorTokens tokens;
  private final Connector connector;
  /** Stream id to the sink of its calls. */
  private final ConcurrentHashMap<String, java.util.function.Consumer<ExecutorCall>> sinks =
      new ConcurrentHashMap<>();

  ExecutorApiHandler(HttpTransport transport, Address agent, ExecutorTokens tokens, Connector connector) {
    this.transport = transport;
    this.agent = agent;
    this.tokens = tokens;
    this.connector = connector;
  }

  /** 401 unless the request carries a bearer token the agent's key signed. */
  static final class TokenAuthenticator extends Authenticator {
    static final String REALM = "agora-executor";
    private final ExecutorTokens tokens;

    TokenAuthenticator(ExecutorTokens tokens) {
      this.tokens = tokens;
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
      Optional<ExecutorTokens.Claims> claims = claims(tokens, exchange);
      if (claims.isPresent()) {
        return new Success(new HttpPrincipal(claims.get().frameworkId().value() + "/"
            + claims.get().executorId().value(), REALM));
      }
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + REALM + "\"");
      return new Failure(401);
    }
  }

  private static Optional<ExecutorTokens.Claims> claims(ExecutorTokens tokens, HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    return tokens.verify(header.substring(7).trim());
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestURI().getPath().equals("/api/v1/executor")) {
      throw new Exchanges.HttpError(404, "no such endpoint " + exchange.getRequestURI().getPath());
    }
    if (!exchange.getRequestMethod().equals("POST")) {
      throw new Exchanges.HttpError(405, "use POST for executor calls");
    }
    JsonNode json = Exchanges.json(exchange);
    ExecutorCall call;
    try {
      call = ExecutorJson.decodeCall(json);
    } catch (IllegalArgumentException e) { // a CodecException, or a record refusing a value
      throw new Exchanges.HttpError(400, e.getMessage());
    }
    if (tokens != null) {
      ExecutorTokens.Claims claims = claims(tokens, exchange)
          .orElseThrow(() -> new Exchanges.HttpError(401, "executor calls need a valid executor token"));
      if (!claims.frameworkId().equals(call.frameworkId()) || !claims.executorId().equals(call.executorId())) {
        throw new Exchanges.HttpError(403, "the token names another executor than the call's");
      }
    }
    String key = call.frameworkId().value() + "/" + call.executorId().value();
    if (call instanceof ExecutorCall.Subscribe) {
      String id = UUID.randomUUID().toString();
      SchedulerStream stream = new SchedulerStream(transport, id, agent, exchange, HttpTransport.EXECUTOR_PREFIX,
          transport.executorStreams);
      java.util.function.Consumer<ExecutorCall> sink = connector.connect(stream); // may refuse: 503
      transport.executorStreams.put(id, stream);
      sinks.put(id, sink);
      byExecutor.put(key, id);
      stream.onClose(() -> {
        byExecutor.remove(key, id);
        sinks.remove(id);
      });
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "no-cache");
      exchange.sendResponseHeaders(200, 0);
      sink.accept(call);
      stream.pump();
      return;
    }
    String streamId = byExecutor.get(key);
    java.util.function.Consumer<ExecutorCall> sink = streamId == null ? null : sinks.get(streamId);
    if (sink == null || !transport.executorStreams.containsKey(streamId)) {
      throw new Exchanges.HttpError(400, "executor " + Exchanges.MesosJsonClip.clip(key)
          + " has no open subscription; SUBSCRIBE first");
    }
    sink.accept(call);
    Exchanges.sendEmpty(exchange, 202);
  }

  /** How executor streams reach the agent. */
  interface Connector {
    /**
     * Connects a new stream: afterwards events the agent sends to {@code stream.address} are
     * enqueued on it, and the returned sink hands calls to the agent as from that address.
     *
     * @throws Exchanges.HttpError 503 if the agent is not running
     */
    java.util.function.Consumer<ExecutorCall> connect(SchedulerStream stream);
  }

  /** The agent is bound on this HTTP transport: calls are delivered to it directly. */
  static Connector direct(HttpTransport transport, Address agent) {
    return stream -> {
      transport.local(agent).orElseThrow(() -> new Exchanges.HttpError(503, "the agent is not running"));
      return call -> transport.local(agent)
          .orElseThrow(() -> new Exchanges.HttpError(503, "the agent is not running")).deliver(stream.address, call);
    };
  }

  /**
   * The agent is bound on another transport ({@code inner}, e.g. in-process): each stream gets an
   * endpoint at its address there, bound with {@code loop}, that forwards the agent's events to the
   * stream and is closed (so that the agent sees the executor disconnect) when the stream closes.
   */
  static Connector bridge(dev.agora.core.transport.Transport inner, Address agent,
      dev.agora.core.runtime.EventLoop loop) {
    return stream -> {
      dev.agora.core.transport.Endpoint endpoint = inner.bind(stream.address, loop,
          new dev.agora.core.transport.MessageHandler() {
            @Override
            public void onMessage(Address from, dev.agora.core.protocol.Message message) {
              if (from.equals(agent) && message instanceof dev.agora.core.protocol.ExecutorEvent event) {
                stream.enqueue(event);
              }
            }
          });
      stream.onClose(endpoint::close);
      return call -> endpoint.send(agent, call);
    };
  }
}
