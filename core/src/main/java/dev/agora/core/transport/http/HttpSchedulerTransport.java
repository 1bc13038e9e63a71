package dev.agora.core.transport.http;

import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.protocol.Message;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The framework's side of the Mesos v1 scheduler API, as a {@link Transport}: give it to
 * {@link dev.agora.core.framework.SchedulerDriver.Builder#transport} with the master's URL
 * ({@code http://host:5050/master}; any path on the master's server works) and a framework runs in
 * its own process unchanged.
 *
 * <p>A {@link SchedulerCall.Subscribe} opens {@code POST /api/v1/scheduler} and reads its RecordIO
 * stream of events; later calls carry the {@code Mesos-Stream-Id} it returned. A linked master
 * "exits" when the stream ends or breaks, or when no event (heartbeats included) arrived for
 * {@code maxMissedHeartbeats} heartbeat intervals; the driver then resubscribes with its backoff.
 *
 * <p>Concurrency: thread-safe. Each endpoint reads its stream on one executor thread and POSTs its
 * calls, in order, on another (acknowledgements, in order among themselves, on a third, so that
 * a burst of them never holds an ACCEPT back); handlers run on the loop the endpoint was bound with. Ownership:
 * owns its executor unless given one.
 */
public final class HttpSchedulerTransport implements Transport, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpSchedulerTransport.class);
  private static final int MAX_RECORD = 16 << 20;

  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final HttpClient client;
  private final int maxMissedHeartbeats;
  private final Optional<String> authorization;
  private final Set<Client> clients = ConcurrentHashMap.newKeySet();

  private HttpSchedulerTransport(Builder b) {
    this.ownsExecutor = b.executor == null;
    this.executor = ownsExecutor ? Executors.newCachedThreadPool(HttpTransport.daemonThreads("agora-scheduler-http"))
        : b.executor;
    HttpClient.Builder cb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).executor(executor)
        .version(HttpClient.Version.HTTP_1_1);
    if (b.tls != null) {
      cb.sslContext(b.tls);
    }
    this.client = cb.build();
    this.maxMissedHeartbeats = b.maxMissedHeartbeats;
    this.authorization = Optional.ofNullable(b.authorization);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A transport with the defaults. */
  public static HttpSchedulerTransport create() {
    return builder().build();
  }

  @Override
  public Endpoint bind(Address address, EventLoop loop, MessageHandler handler) {
    Client c = new Client(address, loop, handler);
    clients.add(c);
    return c;
  }

  /** Closes every endpoint and (if owned) the executor. Idempotent. */
  @Override
  public void close() {
    for (Client c : clients) {
      c.close();
    }
    if (ownsExecutor) {
      executor.shutdownNow();
    }
  }

  static URI schedulerUri(Address master) {
    URI u;
    try {
      u = URI.create(master.value());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("master address '" + master + "' is not a URL", e);
    }
    if (u.getScheme() == null || u.getAuthority() == null) {
      throw new IllegalArgumentException("master address '" + master + "' must be http(s)://host:port[/...]");
    }
    return URI.create(u.getScheme() + "://" + u.getAuthority() + "/api/v1/scheduler");
  }

  private final class Client implements Endpoint {
    private final Address address;
    private final EventLoop loop;
    private final MessageHandler handler;
    private final ExecutorService calls = Executors.newSingleThreadExecutor(
        HttpTransport.daemonThreads("agora-scheduler-calls"));
    /**
     * Acknowledgements go on a lane of their own, in order among themselves: after a failover
     * every task's updates are resent and acknowledged, and behind them on one lane an ACCEPT
     * waited seconds (launches then went to a master that died meanwhile). Their order relative to
     * other calls does not matter to the master.
     */
    private final ExecutorService acknowledgements = Executors.newSingleThreadExecutor(
        HttpTransport.daemonThreads("agora-scheduler-acks"));
    private final Set<Address> linked = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    // guarded by lock
    private boolean opening;
    private String streamId;
    private InputStream stream;
    private long generation;
    private volatile boolean closed;
    // loop-confined
    private long lastEventNanos;
    private Cancellable watchdog;

    Client(Address address, EventLoop loop, MessageHandler handler) {
      this.address = address;
      this.loop = loop;
      this.handler = handler;
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
      if (!(message instanceof SchedulerCall call)) {
        LOG.warn("dropping {}: only scheduler calls go to the master", message.getClass().getSimpleName());
        return;
      }
      URI uri = schedulerUri(to);
      byte[] body = MesosJson.bytes(MesosJson.encodeCall(call));
      if (call instanceof SchedulerCall.Subscribe) {
        long gen;
        synchronized (lock) {
          if (opening || stream != null) {
            return; // a subscription is open or opening; the driver's retry is redundant
          }
          opening = true;
          gen = ++generation;
        }
        executor.execute(() -> readStream(to, uri, body, gen));
        return;
      }
      String id;
      synchronized (lock) {
        id = streamId;
      }
      if (id == null) {
        LOG.warn("dropping a {} call: not subscribed", call.getClass().getSimpleName());
        return;
      }
      ExecutorService lane = call instanceof SchedulerCall.Acknowledge ? acknowledgements : calls;
      lane.execute(() -> post(uri, body, id, call.getClass().getSimpleName()));
    }

    private HttpRequest.Builder request(URI uri, byte[] body) {
      HttpRequest.Builder r = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
          .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
      authorization.ifPresent(a -> r.header("Authorization", a));
      return r;
    }

    private void post(URI uri, byte[] body, String streamId, String what) {
      try {
        HttpResponse<String> response = client.send(request(uri, body).timeout(Duration.ofSeconds(10))
            .header(SchedulerApiHandler.STREAM_ID, streamId).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
          LOG.warn("{} call answered {}: {}", what, response.statusCode(), response.body());
        }
      } catch (IOException e) {
        LOG.warn("{} call failed: {}", what, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void readStream(Address master, URI uri, byte[] body, long gen) {
      InputStream in = null;
      try {
        HttpResponse<InputStream> response = client.send(request(uri, body).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        in = response.body();
        if (response.statusCode() != 200) {
          String why = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
          LOG.warn("SUBSCRIBE to {} answered {}: {}", uri, response.statusCode(), why);
          return;
        }
        String id = response.headers().firstValue(SchedulerApiHandler.STREAM_ID).orElse(null);
        if (id == null) {
          LOG.warn("SUBSCRIBE to {} answered without a {} header", uri, SchedulerApiHandler.STREAM_ID);
          return;
        }
        synchronized (lock) {
          if (closed || gen != generation) {
            return;
          }
          streamId = id;
          stream = in;
          opening = false;
        }
        Optional<byte[]> record;
        while ((record = RecordIo.read(in, MAX_RECORD)).isPresent()) {
          Optional<SchedulerEvent> event;
          try {
            event = MesosJson.decodeEvent(MesosJson.parse(record.get()));
          } catch (CodecException e) {
            LOG.warn("ignoring an undecodable event: {}", e.getMessage());
            continue;
          }
          event.ifPresent(e -> loop.execute(() -> received(master, e, gen)));
        }
        LOG.info("scheduler stream {} from {} ended", id, uri);
      } catch (IOException e) {
        if (!closed) {
          LOG.info("scheduler stream from {} broke: {}", uri, e.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        boolean current;
        synchronized (lock) {
          current = gen == generation;
          if (current) {
            opening = false;
            stream = null;
            streamId = null;
          }
        }
        if (in != null) {
          try {
            in.close();
          } catch (IOException ignored) {
            // closing a broken stream
          }
        }
        if (current && !closed && linked.contains(master)) {
          loop.execute(() -> {
            if (watchdog != null) {
              watchdog.cancel();
              watchdog = null;
            }
            if (!closed) {
              handler.onExited(master);
            }
          });
        }
      }
    }

    /** On the loop. */
    private void received(Address master, SchedulerEvent event, long gen) {
      if (closed) {
        return;
      }
      lastEventNanos = loop.clock().nanoTime();
      if (event instanceof SchedulerEvent.Subscribed s) {
        if (watchdog != null) {
          watchdog.cancel();
        }
        Duration interval = s.heartbeatInterval().isZero() ? Duration.ofSeconds(15) : s.heartbeatInterval();
        watch(interval, gen);
      }
      handler.onMessage(master, event);
    }

    private void watch(Duration interval, long gen) {
      watchdog = loop.schedule(interval, () -> {
        synchronized (lock) {
          if (closed || gen != generation || stream == null) {
            return;
          }
        }
        long silent = loop.clock().nanoTime() - lastEventNanos;
        if (silent > interval.toNanos() * maxMissedHeartbeats) {
          LOG.warn("no heartbeat for {} ms: dropping the subscription", TimeUnit.NANOSECONDS.toMillis(silent));
          abort();
        } else {
          watch(interval, gen);
        }
      });
    }

    private void abort() {
      InputStream in;
      synchronized (lock) {
        in = stream;
      }
      if (in != null) {
        // Closing the response stream may wait for the reader; never block the caller's loop on it.
        Runnable close = () -> {
          try {
            in.close();
          } catch (IOException ignored) {
            // the reader sees the stream end either way
          }
        };
        try {
          executor.execute(close);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          close.run();
        }
      }
    }

    @Override
    public void link(Address peer) {
      linked.add(peer);
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      clients.remove(this);
      abort();
      calls.shutdown();
      acknowledgements.shutdown();
    }
  }

  /** Builds an {@link HttpSchedulerTransport}; each setter may be called once. */
  public static final class Builder {
    private ExecutorService executor;
    private SSLContext tls;
    private int maxMissedHeartbeats = 5;
    private String authorization;
    private final Set<String> set = new java.util.HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    /** The executor for streams and calls; default an owned cached pool. */
    public Builder executor(ExecutorService value) {
      once("executor");
      executor = Objects.requireNonNull(value, "executor");
      return this;
    }

    /** The TLS context for an {@code https://} master (its trust store). */
    public Builder tls(SSLContext value) {
      once("tls");
      tls = Objects.requireNonNull(value, "tls");
      return this;
    }

    /** Heartbeat intervals without any event after which the subscription is dropped; default 5. */
    public Builder maxMissedHeartbeats(int value) {
      once("maxMissedHeartbeats");
      if (value < 1) {
        throw new IllegalArgumentException("maxMissedHeartbeats must be >= 1 but was " + value);
      }
      maxMissedHeartbeats = value;
      return this;
    }

    /** HTTP Basic credentials sent with every call. */
    public Builder basicAuth(String principal, String secret) {
      once("authorization");
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(secret, "secret");
      authorization = "Basic " + java.util.Base64.getEncoder()
          .encodeToString((principal + ":" + secret).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** A transport. */
    public HttpSchedulerTransport build() {
      return new HttpSchedulerTransport(this);
    }
  }
}
