package dev.agora.core.transport;

import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.EventLoop;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport between actors of one JVM: a send posts the message record, as it is, to the
 * receiver's event loop. Messages are immutable records, so nothing is copied.
 *
 * <p>Concurrency: thread-safe. The registry of endpoints is a concurrent map: it is the shared
 * switchboard that lets actors on different threads find each other, and holds nothing else.
 * Per sender-receiver pair, messages arrive in the order sent (each loop runs tasks in posting
 * order).
 */
public final class InProcessTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(InProcessTransport.class);

  private final ConcurrentHashMap<Address, Local> endpoints = new ConcurrentHashMap<>();

  @Override
  public Endpoint bind(Address address, EventLoop loop, MessageHandler handler) {
    Local local = new Local(address, loop, handler);
    if (endpoints.putIfAbsent(address, local) != null) {
      throw new IllegalArgumentException("address " + address + " is already bound");
    }
    return local;
  }

  /** Whether an endpoint is bound at {@code address}. */
  public boolean isBound(Address address) {
    return endpoints.containsKey(address);
  }

  void deliver(Address from, Address to, Message message) {
    Local target = endpoints.get(to);
    if (target == null) {
      LOG.debug("dropping {} from {} to {}: no such endpoint", message.getClass().getSimpleName(), from, to);
      return;
    }
    target.loop.execute(() -> {
      if (!target.closed) {
        target.handler.onMessage(from, message);
      }
    });
  }

  private final class Local implements Endpoint {
    final Address address;
    final EventLoop loop;
    final MessageHandler handler;
    /** Endpoints to tell when this one closes. */
    final Set<Local> watchers = ConcurrentHashMap.newKeySet();
    volatile boolean closed;

    Local(Address address, EventLoop loop, MessageHandler handler) {
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
      if (!closed) {
        deliver(address, to, message);
      }
    }

    @Override
    public void link(Address peer) {
      Local target = endpoints.get(peer);
      if (target == null || target.closed) {
        loop.execute(() -> handler.onExited(peer));
        return;
      }
      target.watchers.add(this);
      if (target.closed && target.watchers.remove(this)) {
        loop.execute(() -> handler.onExited(peer));
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      endpoints.remove(address, this);
      for (Local w : watchers) {
        if (watchers.remove(w) && !w.closed) {
          w.loop.execute(() -> {
            if (!w.closed) {
              w.handler.onExited(address);
            }
          });
        }
      }
    }
  }
}
