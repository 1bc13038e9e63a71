package dev.agora.core.agent;

import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * Delivers an agent's status updates at least once: one ordered stream per task, one update in
 * flight per stream, resent with exponential backoff (by the loop's clock) until the framework's
 * acknowledgement comes back through the master.
 *
 * <p>Concurrency: confined to the agent's loop. Invariants: the head of a stream is the only
 * update sent and not acknowledged; an acknowledgement that does not match the head's uuid
 * (duplicate or stale) changes nothing; a stream is dropped once empty after its terminal update.
 */
final class StatusUpdateManager {
  private final EventLoop loop;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final BiConsumer<FrameworkId, TaskStatus> sender;
  private final Map<TaskId, Stream> streams = new LinkedHashMap<>();
  private boolean paused = true;

  StatusUpdateManager(EventLoop loop, Duration initialBackoff, Duration maxBackoff,
      BiConsumer<FrameworkId, TaskStatus> sender) {
    this.loop = loop;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.sender = sender;
  }

  /** Queues an update (it must carry a uuid) and sends it if it heads its stream. */
  void add(FrameworkId frameworkId, TaskStatus status) {
    if (status.uuid().isEmpty()) {
      throw new IllegalArgumentException("status update of task " + status.taskId() + " needs a uuid");
    }
    Stream s = streams.computeIfAbsent(status.taskId(), id -> new Stream(frameworkId));
    s.pending.add(status);
    if (s.pending.size() == 1) {
      sendHead(s, initialBackoff);
    }
  }

  /**
   * Handles an acknowledgement.
   *
   * @return whether it matched the head of the task's stream
   */
  boolean acknowledge(TaskId taskId, UUID uuid) {
    Stream s = streams.get(taskId);
    if (s == null || s.pending.isEmpty() || !s.pending.peek().uuid().orElseThrow().equals(uuid)) {
      return false;
    }
    s.pending.poll();
    if (s.timer != null) {
      s.timer.cancel();
      s.timer = null;
    }
    if (s.pending.isEmpty()) {
      streams.remove(taskId);
    } else {
      sendHead(s, initialBackoff);
    }
    return true;
  }

  /** Stops sending (no master to send to); pending updates wait. */
  void pause() {
    paused = true;
    for (Stream s : streams.values()) {
      if (s.timer != null) {
        s.timer.cancel();
        s.timer = null;
      }
    }
  }

  /** Resumes sending: every stream's head goes out again at once. */
  void resume() {
    paused = false;
    for (Stream s : streams.values()) {
      if (!s.pending.isEmpty()) {
        sendHead(s, initialBackoff);
      }
    }
  }

  /** Forgets every stream of a framework (it was removed). */
  void removeFramework(FrameworkId frameworkId) {
    streams.values().removeIf(s -> {
      if (s.frameworkId.equals(frameworkId) && s.timer != null) {
        s.timer.cancel();
      }
      return s.frameworkId.equals(frameworkId);
    });
  }

  /** How many updates are waiting for an acknowledgement. */
  int pendingCount() {
    int n = 0;
    for (Stream s : streams.values()) {
      n += s.pending.size();
    }
    return n;
  }

  private void sendHead(Stream s, Duration backoff) {
    if (paused) {
      return;
    }
    TaskStatus head = s.pending.peek();
    sender.accept(s.frameworkId, head);
    Duration next = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
    s.timer = loop.schedule(backoff, () -> {
      if (s.pending.peek() == head) {
        sendHead(s, next);
      }
    });
  }

  private static final class Stream {
    final FrameworkId frameworkId;
    final ArrayDeque<TaskStatus> pending = new ArrayDeque<>();
    Cancellable timer;

    Stream(FrameworkId frameworkId) {
      this.frameworkId = frameworkId;
    }
  }
}
