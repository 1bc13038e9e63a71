package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code POST /api/v1/scheduler}: the Mesos v1 scheduler API. SUBSCRIBE opens a chunked RecordIO
 * stream with a {@code Mesos-Stream-Id} header and hands the subscription to the master as a call
 * from {@code stream:<id>}; every later call must carry that header, come from the framework the
 * stream was subscribed as, and is answered 202 once handed to the master.
 *
 * <p>Concurrency: called on the transport's request threads; holds no state of its own.
 */
final class SchedulerApiHandler implements HttpHandler {
  static final String STREAM_ID = "Mesos-Stream-Id";

  /** How calls reach the master and events come back to a stream. */
  interface Gateway {
    /**
     * Connects a new stream: afterwards events the master sends to {@code stream.address} are
     * enqueued on it, and the returned sink hands calls to the master as from that address.
     *
     * @throws Exchanges.HttpError 503 if the master is not running
     */
    java.util.function.Consumer<SchedulerCall> connect(SchedulerStream stream);
  }

  private final HttpTransport transport;
  private final Address master;
  private final Gateway gateway;
  private final java.util.concurrent.ConcurrentHashMap<String, java.util.function.Consumer<SchedulerCall>> sinks =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** The framework each open stream subscribed as, for authorization of its later calls. */
  private final java.util.concurrent.ConcurrentHashMap<String, dev.agora.core.model.FrameworkInfo> subscribedAs =
      new java.util.concurrent.ConcurrentHashMap<>();

  SchedulerApiHandler(HttpTransport transport, Address master, Gateway gateway) {
    this.transport = transport;
    this.master = master;
    this.gateway = gateway;
  }

  /** The gateway for a master bound on {@code transport} itself. */
  static Gateway direct(HttpTransport transport, Address master) {
    return stream -> {
      HttpTransport.Local target = transport.local(master)
          .orElseThrow(() -> new Exchanges.HttpError(503, "the master is not running"));
      return call -> target.deliver(stream.address, call);
    };
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestURI().getPath().equals("/api/v1/scheduler")) {
      throw new Exchanges.HttpError(404, "no such endpoint " + exchange.getRequestURI().getPath());
    }
    if (!exchange.getRequestMethod().equals("POST")) {
      throw new Exchanges.HttpError(405, "use POST for scheduler calls");
    }
    String accept = exchange.getRequestHeaders().getFirst("Accept");
    if (accept != null && !accept.contains("application/json") && !accept.contains("*/*")) {
      throw new Exchanges.HttpError(406, "only application/json responses are served, not '"
          + Exchanges.MesosJsonClip.clip(accept) + "'");
    }
    JsonNode json = Exchanges.json(exchange);
    SchedulerCall call;
    try {
      call = MesosJson.decodeCall(json);
    } catch (MesosJson.UnsupportedCallException e) {
      throw new Exchanges.HttpError(501, e.getMessage());
    } catch (CodecException e) {
      throw new Exchanges.HttpError(400, e.getMessage());
    }
    if (call instanceof SchedulerCall.Subscribe sub) {
      com.sun.net.httpserver.HttpPrincipal who = exchange.getPrincipal();
      if (who != null && sub.info().principal().isPresent() && !sub.info().principal().get().equals(who.getUsername())) {
        throw new Exchanges.HttpError(403, "framework_info.principal '"
            + Exchanges.MesosJsonClip.clip(sub.info().principal().get())
            + "' is not the authenticated principal '" + who.getUsername() + "'");
      }
      AclChecks.subscribe(transport.acls, principalOf(exchange, sub.info()), sub.info());
      subscribe(exchange, call, sub.info());
      return;
    }
    String streamId = exchange.getRequestHeaders().getFirst(STREAM_ID);
    if (streamId == null || streamId.isBlank()) {
      throw new Exchanges.HttpError(400, "header " + STREAM_ID + " is missing; it is required for "
          + typeOf(call) + " (use the id the SUBSCRIBE response carried)");
    }
    SchedulerStream stream = transport.streams.get(streamId);
    if (stream == null) {
      throw new Exchanges.HttpError(400, STREAM_ID + " '" + Exchanges.MesosJsonClip.clip(streamId)
          + "' is not an open subscription (stale or unknown); subscribe again");
    }
    FrameworkId subscribed = stream.frameworkId();
    Optional<FrameworkId> caller = call.caller();
    if (subscribed == null) {
      throw new Exchanges.HttpError(409, "the subscription " + streamId + " is not acknowledged yet;"
          + " wait for the SUBSCRIBED event");
    }
    if (caller.isEmpty() || !caller.get().equals(subscribed)) {
      throw new Exchanges.HttpError(403, "framework_id " + caller.map(FrameworkId::value).orElse("(none)")
          + " does not match the framework " + subscribed + " of stream " + streamId);
    }
    java.util.function.Consumer<SchedulerCall> sink = sinks.get(streamId);
    if (sink == null) {
      throw new Exchanges.HttpError(400, STREAM_ID + " '" + Exchanges.MesosJsonClip.clip(streamId)
          + "' is not an open subscription (stale or unknown); subscribe again");
    }
    dev.agora.core.model.FrameworkInfo info = subscribedAs.get(streamId);
    if (info != null && call instanceof SchedulerCall.Accept acceptCall) {
      AclChecks.accept(transport.acls, principalOf(exchange, info), info.user(), acceptCall.operations());
    }
    if (info != null && call instanceof SchedulerCall.UpdateFramework update) {
      Optional<String> refused = dev.agora.core.master.Master.refusedUpdate(info, update);
      if (refused.isPresent()) {
        throw new Exchanges.HttpError(400, "UPDATE_FRAMEWORK refused: " + refused.get());
      }
      AclChecks.subscribe(transport.acls, principalOf(exchange, update.info()), update.info());
      subscribedAs.put(streamId, update.info());
    }
    sink.accept(call);
    Exchanges.sendEmpty(exchange, 202);
  }

  /** The authenticated principal, else (no authentication) the one the framework claims. */
  private static Optional<String> principalOf(HttpExchange exchange, dev.agora.core.model.FrameworkInfo info) {
    return AclChecks.principal(exchange).or(info::principal);
  }

  private void subscribe(HttpExchange exchange, SchedulerCall call, dev.agora.core.model.FrameworkInfo info)
      throws IOException {
    String id = UUID.randomUUID().toString();
    SchedulerStream stream = new SchedulerStream(transport, id, master, exchange);
    java.util.function.Consumer<SchedulerCall> sink = gateway.connect(stream);
    sinks.put(id, sink);
    subscribedAs.put(id, info);
    stream.onClose(() -> {
      sinks.remove(id);
      subscribedAs.remove(id);
    });
    transport.streams.put(id, stream);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set(STREAM_ID, id);
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    sink.accept(call);
    stream.pump();
  }

  private static String typeOf(SchedulerCall call) {
    return MesosJson.encodeCall(call).path("type").asText();
  }
}
