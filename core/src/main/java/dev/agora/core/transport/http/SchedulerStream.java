package dev.agora.core.transport.http;

import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.transport.Address;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SUBSCRIBE connection of the scheduler API: events the master sends to
 * {@code stream:<id>} are queued and written, RecordIO-framed, by the thread that serves the
 * request ({@link #pump}).
 *
 * <p>Concurrency: {@link #enqueue} and {@link #close} from any thread; {@link #pump} on the request
 * thread only. Invariants: once closed, the stream is out of the transport's map, and linked
 * endpoints have been told exactly once.
 */
final class SchedulerStream {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerStream.class);
  /** Events queued beyond this mean the framework does not read: the stream is closed. */
  private static final int MAX_QUEUED = 10_000;
  private static final byte[] CLOSE = new byte[0];

  final String id;
  final Address address;
  /** The master the stream's calls go to. */
  final Address target;
  private final HttpTransport transport;
  private final HttpExchange exchange;
  private final java.util.Map<String, SchedulerStream> registry;
  private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
  private final java.util.List<Runnable> onClose = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile FrameworkId frameworkId;
  private volatile boolean closed;

  SchedulerStream(HttpTransport transport, String id, Address target, HttpExchange exchange) {
    this(transport, id, target, exchange, HttpTransport.STREAM_PREFIX, transport.streams);
  }

  /**
   * A stream at address {@code prefix + id}, listed in {@code registry} while open (the executor
   * API's streams use {@code executor:} and a map of their own).
   */
  SchedulerStream(HttpTransport transport, String id, Address target, HttpExchange exchange, String prefix,
      java.util.Map<String, SchedulerStream> registry) {
    this.transport = transport;
    this.id = id;
    this.address = Address.of(prefix + id);
    this.target = target;
    this.exchange = exchange;
    this.registry = registry;
  }

  /** Queues an executor API event; after an ERROR the stream closes, as after a scheduler ERROR. */
  void enqueue(dev.agora.core.protocol.ExecutorEvent event) {
    if (closed) {
      return;
    }
    if (queue.size() >= MAX_QUEUED) {
      LOG.warn("executor stream {} is not read: closing it", id);
      close();
      return;
    }
    queue.add(RecordIo.frame(MesosJson.bytes(dev.agora.core.codec.ExecutorJson.encodeEvent(event))));
    if (event instanceof dev.agora.core.protocol.ExecutorEvent.Error) {
      queue.add(CLOSE);
    }
  }

  /** The framework this stream was subscribed as, or null until SUBSCRIBED was sent. */
  FrameworkId frameworkId() {
    return frameworkId;
  }

  void enqueue(SchedulerEvent event) {
    if (closed) {
      return;
    }
    if (event instanceof SchedulerEvent.Subscribed s) {
      frameworkId = s.frameworkId();
    }
    if (queue.size() >= MAX_QUEUED) {
      LOG.warn("scheduler stream {} of framework {} is not read: closing it", id, frameworkId);
      close();
      return;
    }
    queue.add(RecordIo.frame(MesosJson.bytes(MesosJson.encodeEvent(event))));
    if (event instanceof SchedulerEvent.Error) {
      queue.add(CLOSE); // Mesos closes the connection after an ERROR event
    }
  }

  /** Writes queued events until the stream closes; runs on the request's thread. */
  void pump() {
    try (OutputStream out = exchange.getResponseBody()) {
      while (!closed) {
        byte[] record = queue.poll(1, TimeUnit.SECONDS);
        if (record == null) {
          continue;
        }
        if (record == CLOSE) {
          break;
        }
        out.write(record);
        out.flush();
      }
    } catch (IOException e) {
      LOG.info("scheduler stream {} of framework {} broke: {}", id, frameworkId, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
    }
  }

  /** Runs {@code action} when the stream closes (at once if it already has). */
  void onClose(Runnable action) {
    onClose.add(action);
    if (closed && onClose.remove(action)) {
      action.run();
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(CLOSE);
    if (registry.remove(id, this)) {
      exchange.close();
      transport.peerExited(address);
      for (Runnable r : onClose) {
        if (onClose.remove(r)) {
          r.run();
        }
      }
    }
  }
}
