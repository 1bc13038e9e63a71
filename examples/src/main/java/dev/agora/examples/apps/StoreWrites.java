package dev.agora.examples.apps;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state store writes of one API request: recorded on the scheduler's loop ({@link #put},
 * {@link #delete}, {@link #deleteUnder}), then made in order by {@link #run} on the store's thread
 * (through the service's {@link dev.agora.examples.store.StoreWriter}), each checked: a refused
 * compare-and-set or delete, or a {@link StateStoreException}, stops there, and what the request had
 * already written is put back, best effort. So a request either stores all its writes or (undo
 * permitting) none, and the API changes its in-memory state only after every write succeeded.
 *
 * <p>Concurrency: recorded on the loop, then handed to the store's thread and not touched on the
 * loop again (the hand-off through the writer's queue publishes it); not thread-safe.
 *
 * <p>Invariant: while {@link #run} runs, {@link #done} lists, in order, the writes made and how to
 * undo them.
 */
final class StoreWrites {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWrites.class);

  /** A write was refused or failed: the request must answer an error and change nothing. */
  static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Whether the store refused the write (a concurrent change or a newer leader), not failed. */
    final boolean refused;

    Failed(String message, boolean refused, Throwable cause) {
      super(message, cause);
      this.refused = refused;
    }
  }

  /** A done write: its key, the value before (absent: there was none) and the version after (-1: deleted). */
  private record Done(String key, Optional<StateStore.Versioned> before, long after) {}

  /** One recorded write: a put ({@code value} set), a delete, or a delete of every key under a prefix. */
  private record Op(String subject, String key, byte[] value, boolean under) {}

  private final List<Op> ops = new ArrayList<>();
  private final List<Done> done = new ArrayList<>();
  private StateStore store;

  /**
   * Records a write of {@code value} at {@code key}, over whatever version is there then.
   *
   * @param subject what the key stores, for the message ("app /web", "group /prod")
   */
  void put(String subject, String key, byte[] value) {
    ops.add(new Op(subject, key, value, false));
  }

  /** Records a delete of {@code key}, if it exists then. */
  void delete(String subject, String key) {
    ops.add(new Op(subject, key, null, false));
  }

  /** Records deletes of every key that starts with {@code prefix} then (see {@link StateStore#keys}). */
  void deleteUnder(String subject, String prefix) {
    ops.add(new Op(subject, prefix, null, true));
  }

  /** Whether no write was recorded. */
  boolean isEmpty() {
    return ops.isEmpty();
  }

  /**
   * Makes the recorded writes in order, reading and writing through {@code store}; on the store's
   * thread (it blocks). Runs once.
   *
   * @return empty if all were made; else why one was not (refused or failed), the writes before it
   *     undone (the message names any that could not be)
   */
  Optional<Failed> run(StateStore target) {
    if (store != null) {
      throw new IllegalStateException("the writes of a request run once");
    }
    store = target;
    try {
      for (Op op : ops) {
        if (op.value != null) {
          write(op.subject, op.key, op.value);
        } else if (op.under) {
          for (String k : keys(op.subject, op.key)) {
            remove(op.subject, k);
          }
        } else {
          remove(op.subject, op.key);
        }
      }
      return Optional.empty();
    } catch (Failed e) {
      List<String> left = undo();
      return Optional.of(left.isEmpty() ? e
          : new Failed(e.getMessage() + "; these writes could not be undone: " + left, e.refused, e.getCause()));
    }
  }

  private void write(String subject, String key, byte[] value) {
    Optional<StateStore.Versioned> before = read(subject, key);
    long expected = before.map(StateStore.Versioned::version).orElse(-1L);
    Optional<Long> after;
    try {
      after = store.compareAndSet(key, value, expected);
    } catch (StateStoreException e) {
      throw failed(subject, "write", key, e);
    }
    if (after.isEmpty()) {
      throw refused(subject, "write", key);
    }
    done.add(new Done(key, before, after.get()));
  }

  private void remove(String subject, String key) {
    Optional<StateStore.Versioned> before = read(subject, key);
    if (before.isEmpty()) {
      return;
    }
    boolean deleted;
    try {
      deleted = store.delete(key, before.get().version());
    } catch (StateStoreException e) {
      throw failed(subject, "delete", key, e);
    }
    if (!deleted) {
      throw refused(subject, "delete", key);
    }
    done.add(new Done(key, before, -1));
  }

  private List<String> keys(String subject, String prefix) {
    try {
      return store.keys(prefix);
    } catch (StateStoreException e) {
      throw failed(subject, "list", prefix, e);
    }
  }

  /**
   * Puts back, newest first, what this request wrote, each only if the key is still as written.
   * Best effort: a write that cannot be undone is logged and named in the result.
   *
   * @return the keys that could not be undone
   */
  private List<String> undo() {
    List<String> left = new ArrayList<>();
    for (int i = done.size() - 1; i >= 0; i--) {
      Done d = done.get(i);
      boolean ok;
      try {
        if (d.before.isPresent()) {
          ok = store.compareAndSet(d.key, d.before.get().value(), d.after).isPresent();
        } else {
          ok = store.delete(d.key, d.after);
        }
      } catch (StateStoreException e) {
        LOG.warn("cannot undo the write of {}", d.key, e);
        ok = false;
      }
      if (!ok) {
        left.add(d.key);
      }
    }
    done.clear();
    if (!left.isEmpty()) {
      LOG.error("the state store keeps writes of a failed request that could not be undone: {}", left);
    }
    return left;
  }

  private Optional<StateStore.Versioned> read(String subject, String key) {
    try {
      return store.get(key);
    } catch (StateStoreException e) {
      throw failed(subject, "read", key, e);
    }
  }

  private static Failed refused(String subject, String op, String key) {
    return new Failed(capitalized(subject) + " was not changed: the state store refused the " + op + " of " + key
        + " (it was changed concurrently, or a newer leader took over)", true, null);
  }

  private static Failed failed(String subject, String op, String key, StateStoreException e) {
    return new Failed(capitalized(subject) + " was not changed: the state store failed to " + op + " " + key + ": "
        + e.getMessage(), false, e);
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
