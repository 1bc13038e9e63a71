package dev.agora.examples.apps;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Marathon's event bus: every event (with {@code eventType} and {@code timestamp}) goes to every
 * subscriber's queue; an SSE connection drains its queue on its own thread.
 *
 * <p>Concurrency: thread-safe. {@link #publish} never blocks; a subscriber that falls more than
 * {@value #MAX_BACKLOG} events behind is dropped.
 */
final class EventBus {
  static final int MAX_BACKLOG = 10_000;
  private final List<BlockingQueue<ObjectNode>> subscribers = new CopyOnWriteArrayList<>();

  BlockingQueue<ObjectNode> subscribe() {
    BlockingQueue<ObjectNode> q = new LinkedBlockingQueue<>(MAX_BACKLOG);
    subscribers.add(q);
    return q;
  }

  void unsubscribe(BlockingQueue<ObjectNode> q) {
    subscribers.remove(q);
  }

  void publish(ObjectNode event) {
    for (BlockingQueue<ObjectNode> q : subscribers) {
      if (!q.offer(event)) {
        subscribers.remove(q);
      }
    }
  }

  int subscriberCount() {
    return subscribers.size();
  }
}
