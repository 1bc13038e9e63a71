package dev.agora.core.agent;

import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
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
 * (duplicate or stale) changes nothing; an update whose uuid is already queued is a duplicate and
 * is dropped; nothing is queued after a task's terminal update (a terminal state is absorbing, so
 * the framework never sees a task come back); a stream is dropped once empty after its terminal
 * update, and the task is remembered as ended (a bounded set) so late updates stay refused.
 * Every change of a stream is reported to the {@code changes} listener (the checkpoint store).
 */
final class StatusUpdateManager {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StatusUpdateManager.class);
  private final EventLoop loop;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final BiConsumer<FrameworkId, TaskStatus> sender;
  private final Map<TaskId, Stream> streams = new LinkedHashMap<>();
  /** Tasks whose terminal update was acknowledged, oldest first, at most {@link #ENDED_MEMORY}. */
  private final Map<TaskId, Boolean> ended = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<TaskId, Boolean> eldest) {
      return size() > ENDED_MEMORY;
    }
  };
  private final Listener changes;
  private boolean paused = true;

  /** How many ended tasks are remembered to refuse their late updates. */
  static final int ENDED_MEMORY = 10_000;

  /** Told, on the loop, of every change of a task's pending updates (for checkpoints). */
  interface Listener {
    /** The task's unacknowledged updates are now {@code pending} (empty: the stream is done). */
    void pendingChanged(FrameworkId frameworkId, TaskId taskId, List<TaskStatus> pending);
  }

  StatusUpdateManager(EventLoop loop, Duration initialBackoff, Duration maxBackoff,
      BiConsumer<FrameworkId, TaskStatus> sender) {
    this(loop, initialBackoff, maxBackoff, sender, (f, t, p) -> { });
  }

  StatusUpdateManager(EventLoop loop, Duration initialBackoff, Duration maxBackoff,
      BiConsumer<FrameworkId, TaskStatus> sender, Listener changes) {
    this.loop = loop;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.sender = sender;
    this.changes = changes;
  }

  /**
   * Queues an update (it must carry a uuid) and sends it if it heads its stream.
   *
   * @return false if it was refused: a duplicate uuid, or the task's stream already holds (or
   *     ended with) a terminal update
   */
  boolean add(FrameworkId frameworkId, TaskStatus status) {
    if (status.uuid().isEmpty()) {
      throw new IllegalArgumentException("status update of task " + status.taskId() + " needs a uuid");
    }
    if (ended.containsKey(status.taskId())) {
      return false;
    }
    Stream s = streams.computeIfAbsent(status.taskId(), id -> new Stream(frameworkId));
    if (s.terminal) {
      return false;
    }
    for (TaskStatus queued : s.pending) {
      if (queued.uuid().equals(status.uuid())) {
        return false;
      }
    }
    s.pending.add(status);
    s.terminal = status.state().isTerminal();
    changes.pendingChanged(s.frameworkId, status.taskId(), List.copyOf(s.pending));
    if (s.pending.size() == 1) {
      sendHead(s, initialBackoff);
    }
    return true;
  }

  /** Whether the task's last queued update is terminal, or its terminal update was acknowledged. */
  boolean terminated(TaskId taskId) {
    Stream s = streams.get(taskId);
    return ended.containsKey(taskId) || s != null && s.terminal;
  }

  /** The task's unacknowledged updates, oldest first. */
  List<TaskStatus> pending(TaskId taskId) {
    Stream s = streams.get(taskId);
    return s == null ? List.of() : List.copyOf(s.pending);
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
    changes.pendingChanged(s.frameworkId, taskId, List.copyOf(s.pending));
    if (s.pending.isEmpty()) {
      if (s.terminal) {
        streams.remove(taskId);
        ended.put(taskId, Boolean.TRUE);
      }
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
    streams.entrySet().removeIf(e -> {
      Stream s = e.getValue();
      if (!s.frameworkId.equals(frameworkId)) {
        return false;
      }
      if (s.timer != null) {
        s.timer.cancel();
      }
      changes.pendingChanged(frameworkId, e.getKey(), List.of());
      return true;
    });
  }

  /** How many tasks have a stream with updates waiting. */
  int streamCount() {
    int n = 0;
    for (Stream s : streams.values()) {
      n += s.pending.isEmpty() ? 0 : 1;
    }
    return n;
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
    LOG.debug("sending update {} {} (uuid {}) of framework {}", head.taskId(), head.state(),
        head.uuid().orElse(null), s.frameworkId);
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
    boolean terminal;

    Stream(FrameworkId frameworkId) {
      this.frameworkId = frameworkId;
    }
  }
}
