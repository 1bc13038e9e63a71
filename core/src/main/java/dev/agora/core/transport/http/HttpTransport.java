package dev.agora.core.transport.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport between processes: each process runs one HTTP server (the JDK's
 * {@code HttpServer}, or {@code HttpsServer} with TLS), and actors are reached at URLs
 * {@code http://host:port/<name>}. A message to a peer is POSTed as JSON ({@link MesosJson}) to
 * the peer's URL with an {@code Agora-From} header carrying the sender's address; the receiver
 * answers 202 and hands the message to the bound actor's loop. Messages that queued up for the
 * same peer while a POST was in flight go together in the next POST, as a JSON array (at most
 * {@value #MAX_BATCH_MESSAGES} messages or about {@value #MAX_BATCH_BYTES} bytes): a peer pair
 * carries many messages per round trip, not one, so a burst (every task's status update stream
 * resuming after a failover, and their acknowledgements) does not hold a ping behind it for
 * seconds. The receiver decodes a whole batch before delivering any of it, in order.
 *
 * <p>The same server serves the Mesos v1 scheduler API ({@link #serveSchedulerApi}): each
 * subscribed framework is an address {@code stream:<Mesos-Stream-Id>} on this transport, so the
 * master talks to HTTP frameworks exactly as to in-process ones; events sent to such an address
 * are written to the subscription's RecordIO stream.
 *
 * <p>Links: {@link Endpoint#link} of a peer fires {@code onExited} when a message to it cannot be
 * delivered (connection refused or timed out) or, for a scheduler stream, when the stream closes.
 * Liveness beyond that is the protocol's job (pings, heartbeats).
 *
 * <p>Order: messages from one endpoint to one peer are POSTed one at a time, in order: the next
 * POST starts only once the previous one was answered or given up (failed or timed out; it is not
 * retried, the protocol resends what matters). Each carries a {@value #SEQUENCE_HEADER} header
 * ({@code <sender transport instance>:<n>}, {@code n} increasing per peer). A POST given up on may
 * still reach the receiver later (its server was slow, not gone), after a later message of the
 * pair: the receiver then drops it. So delivery per (sender, receiver) pair is FIFO, possibly with
 * gaps, as over one TCP connection that may break: never reordered.
 *
 * <p>Concurrency: thread-safe. Requests run on the server's executor; each subscription stream
 * holds one executor thread while open; sending is ordered as "Order" says. Ownership: the
 * transport owns its server, client and (unless given) executor; {@link #close} stops them.
 */
public final class HttpTransport implements Transport, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
  /** The header carrying the sender's address on internal messages. */
  public static final String FROM_HEADER = "Agora-From";
  static final String STREAM_PREFIX = "stream:";
  static final String EXECUTOR_PREFIX = "executor:";
  /** The most messages one POST carries. */
  static final int MAX_BATCH_MESSAGES = 512;
  /** A POST carries more than one message only while their bodies total at most this many bytes. */
  static final int MAX_BATCH_BYTES = 256 * 1024;

  /** The header numbering internal messages per sender instance and peer: {@code <instance>:<n>}. */
  public static final String SEQUENCE_HEADER = "Agora-Sequence";

  /** This transport's identity as a sender: a restarted process starts a new sequence. */
  private final String instance = java.util.UUID.randomUUID().toString();
  /** Per (sender address, local receiver): the last message delivered. */
  private final ConcurrentHashMap<PairKey, Delivered> delivered = new ConcurrentHashMap<>();

  private final HttpServer server;
  private final String base;
  private final HttpClient client;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final Duration requestTimeout;
  private final com.sun.net.httpserver.Authenticator authenticator;
  private final String authorization;
  private final ConcurrentHashMap<String, Local> locals = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Address, Outbox> outboxes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Address, Set<Local>> watchers = new ConcurrentHashMap<>();
  final ConcurrentHashMap<String, SchedulerStream> streams = new ConcurrentHashMap<>();
  final ConcurrentHashMap<String, SchedulerStream> executorStreams = new ConcurrentHashMap<>();
  private volatile LeaderGate leaderGate;
  /** Who may do what on the APIs this transport serves; permits all unless set. */
  final dev.agora.core.security.Acls acls;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private HttpTransport(Builder b) throws IOException {
    this.ownsExecutor = b.executor == null;
    this.executor = ownsExecutor ? Executors.newCachedThreadPool(daemonThreads("agora-http")) : b.executor;
    InetSocketAddress bindAddress = new InetSocketAddress(b.host, b.port);
    if (b.tls != null) {
      HttpsServer https = HttpsServer.create(bindAddress, 128);
      if (b.requireClientCertificates) {
        https.setHttpsConfigurator(new HttpsConfigurator(b.tls) {
          @Override
          public void configure(com.sun.net.httpserver.HttpsParameters params) {
            javax.net.ssl.SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
            ssl.setNeedClientAuth(true);
            params.setSSLParameters(ssl);
          }
        });
      } else {
        https.setHttpsConfigurator(new HttpsConfigurator(b.tls));
      }
      this.server = https;
    } else {
      this.server = HttpServer.create(bindAddress, 128);
    }
    server.setExecutor(executor);
    String advertised = b.advertisedHost != null ? b.advertisedHost : b.host;
    this.base = (b.tls != null ? "https://" : "http://") + hostForUrl(advertised) + ":" + server.getAddress().getPort();
    HttpClient.Builder cb = HttpClient.newBuilder().connectTimeout(b.connectTimeout).executor(executor)
        .version(HttpClient.Version.HTTP_1_1);
    if (b.clientTls != null) {
      cb.sslContext(b.clientTls);
    }
    this.client = cb.build();
    this.requestTimeout = b.requestTimeout;
    this.authenticator = b.authenticator;
    this.authorization = b.clientAuthorization;
    this.acls = b.acls != null ? b.acls : dev.agora.core.security.Acls.permitAll();
    com.sun.net.httpserver.HttpContext root = server.createContext("/", this::serveMessage);
    if (authenticator != null) {
      root.setAuthenticator(authenticator);
    }
  }

  private static String hostForUrl(String host) {
    return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts serving.
   *
   * @throws IllegalStateException if called twice
   */
  public HttpTransport start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("HTTP transport cannot be started more than once");
    }
    server.start();
    LOG.info("HTTP transport listening on {}", base);
    return this;
  }

  /** The port the server listens on (useful when built with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** This server's URL, {@code http://host:port}. */
  public String baseUrl() {
    return base;
  }

  /** The address of actor {@code name} on this server: {@code http://host:port/name}. */
  public Address address(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("actor name must be [A-Za-z0-9._-]+ but was '" + name + "'");
    }
    return Address.of(base + "/" + name);
  }

  /**
   * Answers calls to the leader's APIs with a redirect to the leader (or 503) while the master
   * this transport serves does not lead; see {@link LeaderGate}. Set once.
   */
  public void leaderGate(LeaderGate gate) {
    Objects.requireNonNull(gate, "gate");
    if (leaderGate != null) {
      throw new IllegalStateException("leader gate was already set");
    }
    leaderGate = gate;
  }

  /** Serves {@code handler} under {@code path} (e.g. {@code /api/v1}). */
  public void addHandler(String path, HttpHandler handler) {
    com.sun.net.httpserver.HttpContext context = server.createContext(path, new Guarded(handler));
    if (authenticator != null) {
      context.setAuthenticator(authenticator);
    }
  }

  /**
   * Serves the Mesos v1 scheduler API at {@code /api/v1/scheduler}, feeding calls to the actor
   * bound at {@code master} on this transport.
   */
  public void serveSchedulerApi(Address master) {
    Objects.requireNonNull(master, "master");
    addHandler("/api/v1/scheduler", new SchedulerApiHandler(this, master, SchedulerApiHandler.direct(this, master)));
  }

  /**
   * Serves the Mesos v1 scheduler API at {@code /api/v1/scheduler} for a master bound on another
   * transport ({@code inner}, e.g. an in-process one): each subscription gets an endpoint
   * {@code stream:<id>} on {@code inner}, bound with {@code loop}, that forwards the master's
   * events to the HTTP stream and is closed (so the master sees the framework disconnect) when the
   * stream closes.
   */
  public void serveSchedulerApi(Transport inner, Address master, EventLoop loop) {
    Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(master, "master");
    Objects.requireNonNull(loop, "loop");
    addHandler("/api/v1/scheduler", new SchedulerApiHandler(this, master, stream -> {
      Endpoint bridge = inner.bind(stream.address, loop, new MessageHandler() {
        @Override
        public void onMessage(Address from, Message message) {
          if (from.equals(master) && message instanceof SchedulerEvent event) {
            stream.enqueue(event);
          }
        }
      });
      stream.onClose(bridge::close);
      return call -> bridge.send(master, call);
    }));
  }

  /**
   * Serves the Mesos v1 executor API at {@code /api/v1/executor} for the agent bound at
   * {@code agent} on this transport: the executors the agent starts subscribe here (they find it
   * through {@code MESOS_AGENT_ENDPOINT}).
   */
  public void serveExecutorApi(Address agent) {
    Objects.requireNonNull(agent, "agent");
    addHandler("/api/v1/executor", new ExecutorApiHandler(this, agent, null, ExecutorApiHandler.direct(this, agent)));
  }

  /**
   * Serves the executor API at {@code /api/v1/executor} for an agent bound on another transport
   * ({@code inner}, e.g. the in-process one of a local cluster): each executor stream gets an
   * endpoint {@code executor:<id>} on {@code inner}, bound with {@code loop}, through which the
   * agent and the executor talk; it closes (the agent sees the executor disconnect) with the
   * stream. Tell the agent to advertise this transport's address to its executors
   * ({@code Agent.Builder.executorEndpoint}).
   */
  public void serveExecutorApi(Transport inner, Address agent, EventLoop loop) {
    Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(loop, "loop");
    addHandler("/api/v1/executor", new ExecutorApiHandler(this, agent, null,
        ExecutorApiHandler.bridge(inner, agent, loop)));
  }

  /**
   * Serves the executor API as {@link #serveExecutorApi(Address)}, authenticated (Mesos's executor
   * authentication): every call must carry {@code Authorization: Bearer <token>} with a token signed
   * by {@code tokens} (the agent hands one to each executor it starts, see
   * {@code Agent.Builder.executorTokens}); a call without a valid one gets 401, and one for another
   * executor than its token names 403, both before the agent sees anything. The transport's own
   * authenticator (operator credentials) does not apply here.
   */
  public void serveExecutorApi(Address agent, dev.agora.core.executor.ExecutorTokens tokens) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(tokens, "tokens");
    server.createContext("/api/v1/executor", new Guarded(new ExecutorApiHandler(this, agent, tokens,
        ExecutorApiHandler.direct(this, agent))))
        .setAuthenticator(new ExecutorApiHandler.TokenAuthenticator(tokens));
  }

  /** The endpoint bound at {@code address} on this transport, if any. */
  Optional<Local> local(Address address) {
    String path = pathOf(address);
    return path == null ? Optional.empty() : Optional.ofNullable(locals.get(path));
  }

  private String pathOf(Address address) {
    String v = address.value();
    if (!v.startsWith(base + "/")) {
      return null;
    }
    return v.substring(base.length());
  }

  @Override
  public Endpoint bind(Address address, EventLoop loop, MessageHandler handler) {
    String path = pathOf(address);
    if (path == null) {
      throw new IllegalArgumentException("address " + address + " is not on this transport (" + base + ")");
    }
    Local local = new Local(address, loop, handler);
    if (locals.putIfAbsent(path, local) != null) {
      throw new IllegalArgumentException("address " + address + " is already bound");
    }
    return local;
  }

  // ------------------------------------------------------------------ receiving

  private void serveMessage(HttpExchange exchange) throws IOException {
    try {
      Local target = locals.get(exchange.getRequestURI().getPath());
      if (target == null) {
        throw new Exchanges.HttpError(404, "no actor at " + exchange.getRequestURI().getPath());
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        throw new Exchanges.HttpError(405, "use POST to send a message");
      }
      String from = exchange.getRequestHeaders().getFirst(FROM_HEADER);
      if (from == null || from.isBlank() || from.startsWith(STREAM_PREFIX)) {
        throw new Exchanges.HttpError(400, "header " + FROM_HEADER + " with the sender's address is missing");
      }
      com.fasterxml.jackson.databind.JsonNode json = Exchanges.json(exchange);
      java.util.List<AgentMessage> messages = new java.util.ArrayList<>();
      try {
        if (json.isArray()) {
          if (json.isEmpty()) {
            throw new Exchanges.HttpError(400, "an empty batch of messages");
          }
          for (com.fasterxml.jackson.databind.JsonNode one : json) {
            messages.add(MesosJson.decodeAgentMessage(one));
          }
        } else {
          messages.add(MesosJson.decodeAgentMessage(json));
        }
      } catch (CodecException e) {
        throw new Exchanges.HttpError(400, e.getMessage());
      }
      Address sender = Address.of(from);
      String sequence = exchange.getRequestHeaders().getFirst(SEQUENCE_HEADER);
      if (sequence == null) {
        target.deliver(sender, messages); // a peer that does not number its messages
      } else {
        deliverInOrder(target, from, sequence, messages);
      }
      Exchanges.sendEmpty(exchange, 202);
    } catch (Exchanges.HttpError e) {
      Exchanges.sendError(exchange, e);
    } catch (RuntimeException e) {
      LOG.error("delivering a message to {} failed", exchange.getRequestURI().getPath(), e);
      Exchanges.sendText(exchange, 500, "internal error");
    }
  }

  /** Wraps a handler so that an {@link Exchanges.HttpError} or a bug becomes an answer. */
  private final class Guarded implements HttpHandler {
    private final HttpHandler inner;

    Guarded(HttpHandler inner) {
      this.inner = inner;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
      try {
        LeaderGate gate = leaderGate;
        if (gate != null && gate.intercept(exchange)) {
          return;
        }
        inner.handle(exchange);
      } catch (Exchanges.HttpError e) {
        Exchanges.sendError(exchange, e);
      } catch (RuntimeException e) {
        LOG.error("HTTP handler for {} failed", exchange.getRequestURI().getPath(), e);
        Exchanges.sendText(exchange, 500, "internal error");
      }
    }
  }

  // ------------------------------------------------------------------ links

  void peerExited(Address peer) {
    Set<Local> set = watchers.remove(peer);
    if (set == null) {
      return;
    }
    for (Local w : set) {
      if (!w.closed) {
        w.loop.execute(() -> {
          if (!w.closed) {
            w.handler.onExited(peer);
          }
        });
      }
    }
  }

  final class Local implements Endpoint {
    final Address address;
    final EventLoop loop;
    final MessageHandler handler;
    volatile boolean closed;

    Local(Address address, EventLoop loop, MessageHandler handler) {
      this.address = address;
      this.loop = loop;
      this.handler = handler;
    }

    void deliver(Address from, Message message) {
      loop.execute(() -> {
        if (!closed) {
          handler.onMessage(from, message);
        }
      });
    }

    /** Hands a batch to the actor in one loop task, in order. */
    void deliver(Address from, java.util.List<? extends Message> messages) {
      loop.execute(() -> {
        for (Message message : messages) {
          if (closed) {
            return;
          }
          handler.onMessage(from, message);
        }
      });
    }

    @Override
    public Address address() {
      return address;
    }

    @Override
    public void send(Address to, Message message) {
      if (closed) {
        return;
      }
      String v = to.value();
      if (v.startsWith(STREAM_PREFIX)) {
        SchedulerStream stream = streams.get(v.substring(STREAM_PREFIX.length()));
        if (stream != null && message instanceof SchedulerEvent event) {
          stream.enqueue(event);
        } else {
          LOG.debug("dropping {} to closed stream {}", message.getClass().getSimpleName(), to);
        }
        return;
      }
      if (v.startsWith(EXECUTOR_PREFIX)) {
        SchedulerStream stream = executorStreams.get(v.substring(EXECUTOR_PREFIX.length()));
        if (stream != null && message instanceof dev.agora.core.protocol.ExecutorEvent event) {
          stream.enqueue(event);
        } else {
          LOG.debug("dropping {} to closed executor stream {}", message.getClass().getSimpleName(), to);
        }
        return;
      }
      if (!(message instanceof AgentMessage m)) {
        LOG.warn("dropping {} to {}: only agent messages travel between processes",
            message.getClass().getSimpleName(), to);
        return;
      }
      Optional<Local> here = local(to);
      if (here.isPresent()) {
        here.get().deliver(address, m);
        return;
      }
      outboxes.computeIfAbsent(to, Outbox::new).post(address, MesosJson.bytes(MesosJson.encodeAgentMessage(m)),
          m.getClass().getSimpleName());
    }

    @Override
    public void link(Address peer) {
      watchers.computeIfAbsent(peer, p -> ConcurrentHashMap.newKeySet()).add(this);
      String v = peer.value();
      if (v.startsWith(STREAM_PREFIX) && !streams.containsKey(v.substring(STREAM_PREFIX.length()))
          || v.startsWith(EXECUTOR_PREFIX) && !executorStreams.containsKey(v.substring(EXECUTOR_PREFIX.length()))) {
        peerExited(peer);
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      String path = pathOf(address);
      if (path != null) {
        locals.remove(path, this);
      }
      for (SchedulerStream s : streams.values()) {
        if (s.target.equals(address)) {
          s.close();
        }
      }
      for (SchedulerStream s : executorStreams.values()) {
        if (s.target.equals(address)) {
          s.close();
        }
      }
    }
  }

  private record PairKey(String from, Address to) {}

  /** The last message delivered from one sender to one receiver; guarded by itself. */
  private static final class Delivered {
    String instance;
    long sequence;
  }

  /**
   * Delivers unless a later message of the same sender instance to the same receiver was
   * delivered already (then this one was given up on by its sender, and arrives late: dropped).
   * A message from another instance of the sender (it restarted) starts a new sequence.
   */
  private void deliverInOrder(Local target, String from, String header, java.util.List<AgentMessage> messages) {
    int colon = header.lastIndexOf(':');
    long n;
    try {
      n = colon <= 0 ? -1 : Long.parseLong(header.substring(colon + 1));
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1) {
      throw new Exchanges.HttpError(400, "header " + SEQUENCE_HEADER + " must be <instance>:<n> with n >= 1 but was "
          + header);
    }
    String senderInstance = header.substring(0, colon);
    Delivered last = delivered.computeIfAbsent(new PairKey(from, target.address), k -> new Delivered());
    synchronized (last) {
      if (senderInstance.equals(last.instance) && n <= last.sequence) {
        LOG.info("dropping {} message(s) #{} from {} to {}: they arrived after #{}, which their sender sent after"
            + " giving them up", messages.size(), n, from, target.address, last.sequence);
        return;
      }
      last.instance = senderInstance;
      last.sequence = n;
      target.deliver(Address.of(from), messages); // onto the actor's loop, in sequence order
    }
  }

  // ------------------------------------------------------------------ sending

  /**
   * Messages to one peer, POSTed in order on the executor, one request at a time; what queued up
   * meanwhile (from the same sender) goes in the next request. Single consumer: {@code draining}.
   */
  private final class Outbox {
    private final Address to;
    private final URI uri;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** The last sequence number used; taken by the one draining task at a time, in queue order. */
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();

    private record Pending(Address from, byte[] body, String what) {}

    Outbox(Address to) {
      this.to = to;
      URI u;
      try {
        u = URI.create(to.value());
        if (u.getScheme() == null || !u.getScheme().startsWith("http")) {
          u = null;
        }
      } catch (IllegalArgumentException e) {
        u = null;
      }
      this.uri = u;
    }

    void post(Address from, byte[] body, String what) {
      if (uri == null) {
        LOG.warn("dropping {} to {}: not an http(s) URL", what, to);
        return;
      }
      queue.add(new Pending(from, body, what));
      drain();
    }

    /** The next request's messages: the oldest, and those after it from the same sender, within the limits. */
    private java.util.List<Pending> nextBatch() {
      Pending first = queue.poll();
      if (first == null) {
        return java.util.List.of();
      }
      java.util.List<Pending> batch = new java.util.ArrayList<>();
      batch.add(first);
      long bytes = first.body.length;
      Pending next;
      while (batch.size() < MAX_BATCH_MESSAGES && (next = queue.peek()) != null && next.from.equals(first.from)
          && bytes + next.body.length + 1 <= MAX_BATCH_BYTES) {
        batch.add(queue.poll());
        bytes += next.body.length + 1;
      }
      return batch;
    }

    private void send(java.util.List<Pending> batch) {
      Pending first = batch.get(0);
      byte[] body;
      String what;
      if (batch.size() == 1) {
        body = first.body;
        what = first.what;
      } else {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write('[');
        for (int i = 0; i < batch.size(); i++) {
          if (i > 0) {
            out.write(',');
          }
          out.writeBytes(batch.get(i).body);
        }
        out.write(']');
        body = out.toByteArray();
        what = first.what + " and " + (batch.size() - 1) + " more";
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout)
          .header("Content-Type", "application/json").header(FROM_HEADER, first.from.value())
          .header(SEQUENCE_HEADER, instance + ":" + sequence.incrementAndGet())
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      try {
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
          LOG.warn("{} to {} answered {}: {}", what, to, response.statusCode(),
              Exchanges.MesosJsonClip.clip(response.body()));
        }
      } catch (IOException e) {
        LOG.debug("{} to {} failed: {}", what, to, e.toString());
        peerExited(to);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void drain() {
      if (closed.get() || !draining.compareAndSet(false, true)) {
        return;
      }
      try {
        executor.execute(() -> {
          try {
            java.util.List<Pending> batch;
            while (!closed.get() && !(batch = nextBatch()).isEmpty()) {
              send(batch);
            }
          } finally {
            draining.set(false);
            if (!queue.isEmpty()) {
              drain();
            }
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        draining.set(false);
      }
    }
  }

  /** Stops serving, closes every stream and (if owned) the executor. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (SchedulerStream s : streams.values()) {
      s.close();
    }
    for (SchedulerStream s : executorStreams.values()) {
      s.close();
    }
    if (started.get()) {
      server.stop(0);
    }
    if (ownsExecutor) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Builds an {@link HttpTransport}. Each setter may be called once and checks its value at once.
   */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private String advertisedHost;
    private SSLContext tls;
    private SSLContext clientTls;
    private boolean requireClientCertificates;
    private ExecutorService executor;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private com.sun.net.httpserver.Authenticator authenticator;
    private String clientAuthorization;
    private dev.agora.core.security.Acls acls;
    private final Set<String> set = new java.util.HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    /** The interface to listen on; default {@code 127.0.0.1}. */
    public Builder host(String value) {
      once("host");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("host must not be empty but was '" + value + "'");
      }
      host = value;
      return this;
    }

    /** The port to listen on, 0 for any free one; default 0. */
    public Builder port(int value) {
      once("port");
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("port must be in 0..65535 but was " + value);
      }
      port = value;
      return this;
    }

    /** The host name peers reach this server at; default the listening host. */
    public Builder advertisedHost(String value) {
      once("advertisedHost");
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("advertised host must not be empty but was '" + value + "'");
      }
      advertisedHost = value;
      return this;
    }

    /** Serves HTTPS with this context (and its key manager's certificate). */
    public Builder tls(SSLContext value) {
      once("tls");
      tls = Objects.requireNonNull(value, "tls");
      return this;
    }

    /**
     * Refuses TLS connections whose client presents no certificate trusted by the {@link #tls}
     * context's trust managers (build it with {@link Tls#mutual}); peers then need a client
     * context with a key ({@link Tls#mutual} too). Needs {@link #tls}.
     */
    public Builder requireClientCertificates() {
      once("requireClientCertificates");
      requireClientCertificates = true;
      return this;
    }

    /** The TLS context for outgoing HTTPS requests (trust store); default the JDK's. */
    public Builder clientTls(SSLContext value) {
      once("clientTls");
      clientTls = Objects.requireNonNull(value, "clientTls");
      return this;
    }

    /**
     * Requires every request (but {@code GET /health}) to authenticate with {@code value}, e.g. a
     * {@link CredentialsAuthenticator}; default none (open).
     */
    public Builder authenticator(com.sun.net.httpserver.Authenticator value) {
      once("authenticator");
      authenticator = Objects.requireNonNull(value, "authenticator");
      return this;
    }

    /**
     * Authorizes the scheduler and operator APIs served on this transport with {@code value}
     * (Mesos-style local ACLs): a denied call is answered 403 and has no effect. Default: all
     * allowed.
     */
    public Builder acls(dev.agora.core.security.Acls value) {
      once("acls");
      acls = Objects.requireNonNull(value, "acls");
      return this;
    }

    /** HTTP Basic credentials sent with every message this transport POSTs to peers. */
    public Builder credentials(String principal, String secret) {
      once("credentials");
      if (principal == null || principal.isEmpty() || principal.contains(":")) {
        throw new IllegalArgumentException("principal must be non-empty without ':' but was '" + principal + "'");
      }
      Objects.requireNonNull(secret, "secret");
      clientAuthorization = "Basic " + java.util.Base64.getEncoder()
          .encodeToString((principal + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return this;
    }

    /** The executor serving requests and sending messages; default an owned cached pool. */
    public Builder executor(ExecutorService value) {
      once("executor");
      executor = Objects.requireNonNull(value, "executor");
      return this;
    }

    /** How long a message waits for a connection to its peer; default 2 s. */
    public Builder connectTimeout(Duration value) {
      once("connectTimeout");
      if (value == null || value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException("connectTimeout must be > 0 but was " + value);
      }
      connectTimeout = value;
      return this;
    }

    /**
     * How long a message POSTed to a peer waits for its answer before it is given up (and links to
     * the peer fire); default 10 s.
     */
    public Builder requestTimeout(Duration value) {
      once("requestTimeout");
      if (value == null || value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException("requestTimeout must be > 0 but was " + value);
      }
      requestTimeout = value;
      return this;
    }

    /**
     * A transport, not yet started.
     *
     * @throws java.io.UncheckedIOException if the port cannot be bound
     */
    public HttpTransport build() {
      if (requireClientCertificates && tls == null) {
        throw new IllegalStateException("requireClientCertificates needs tls");
      }
      try {
        return new HttpTransport(this);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
      }
    }
  }
}
