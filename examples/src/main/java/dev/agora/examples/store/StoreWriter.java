package dev.agora.examples.store;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.runtime.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's state store I/O, off its loop, in the shape of the master's registrar
 * ({@code MasterRegistrar}); used by the jobs and the apps services. The service (its engine or
 * API) hands each store operation to this class on its loop; the operations run on {@code io}, in
 * the order they were handed, at most one batch in flight (what is handed meanwhile goes in the
 * next batch); their outcomes hop back to the loop with {@code loop.execute}, in the same order. So
 * writes of one object (a job, an app) land in the order the service made them, whatever {@code
 * io} is (a thread of its own, a pool, or the loop itself in a simulation), and an outcome the
 * service waits for (a run's compare-and-set, an API call's write) never holds the loop.
 *
 * <p>Ownership: one writer per service, created and owned by it, used from its loop only (every
 * instance method; the static helpers {@link #put(StateStore, StateStore, String, byte[])} and
 * {@link #delete(StateStore, StateStore, String)} are for operations running on {@code io}). The
 * writer does not own {@code io}: the service shuts down its store thread, if it made one.
 *
 * <p>Terms: the writer writes for one leadership term at a time, through that term's (fenced)
 * view ({@link #begin}); {@link #newTerm()} ends it: what is queued is dropped, and outcomes of an
 * earlier term are not acted on.
 *
 * <p>Failures: an operation that throws (the store is unreachable) ends its batch: the operations
 * after it in the batch are not attempted and hear that (so no later write of an object lands
 * after an earlier one failed). The service's own writes ({@link #create}, {@link #put}, {@link
 * #delete}) report a failure to {@code onFailure} (the jobs engine then steps down; the apps
 * service logs it) and log a refusal; an API call's write ({@link #change}) completes
 * exceptionally with a {@link StoreFailure} naming what and why (the API answers 503), and a
 * refusal is a failure there.
 *
 * <p>Concurrency: the queue, the in-flight flag and the term are confined to the loop; operations
 * run on {@code io} and touch only the store and what they captured. Invariants: at most one batch
 * in flight; outcomes are delivered on the loop in submission order, each exactly once.
 */
public final class StoreWriter {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

  /** One operation: what it is (for messages), what runs on {@code io}, and who hears the outcome on the loop. */
  private record Op<T>(String what, Function<StateStore, T> call, BiConsumer<T, String> then) {
    @SuppressWarnings("unchecked")
    void deliver(Object value, String error) {
      then.accept((T) value, error);
    }
  }

  /** A blocking store call, on io: reads through the store, writes through the term's fenced view. */
  @FunctionalInterface
  public interface Call {
    boolean run(StateStore reads, StateStore writes);
  }

  private final String name;
  private final EventLoop loop;
  private final StateStore store;
  private final Executor io;
  private final Consumer<String> onFailure;
  private long term;
  private StateStore view;
  private final ArrayDeque<Op<?>> queue = new ArrayDeque<>();
  private boolean inFlight;
  private boolean flushScheduled;

  /**
   * A writer owned by the service running on {@code loop}: every method but the static helpers
   * is called on that loop only.
   *
   * @param name the service, for log lines ("jobs", "apps")
   * @param loop the service's loop: outcomes are delivered on it
   * @param store the store, unfenced: operations get it to read (and write through a fenced view they captured)
   * @param io where blocking store calls run (a thread of the service's own; the loop itself in a simulation)
   * @param onFailure hears on the loop why one of the service's own writes ({@link #create}, {@link #put},
   *     {@link #delete}) failed
   */
  public StoreWriter(String name, EventLoop loop, StateStore store, Executor io, Consumer<String> onFailure) {
    this.name = java.util.Objects.requireNonNull(name, "name");
    this.loop = loop;
    this.store = store;
    this.io = io;
    this.onFailure = onFailure;
  }

  /** The current term: an outcome handed back under an earlier one is stale. On the loop. */
  public long term() {
    return term;
  }

  /** Writes of this term go through {@code fenced} (the store's view fenced with the leader's epoch). */
  public void begin(StateStore fenced) {
    view = fenced;
  }

  /**
   * Ends the current term: the operations not yet sent are dropped (each hears so); the batch in
   * flight, if any, completes and is delivered. On the loop.
   */
  public void newTerm() {
    term++;
    view = null;
    List<Op<?>> dropped = new ArrayList<>(queue);
    queue.clear();
    for (Op<?> op : dropped) {
      op.deliver(null, op.what() + " was not attempted: the service stopped leading first");
    }
  }

  // ---- the engine's own writes, and the API's ---------------------------------------------

  /**
   * Creates the key (compare-and-set at version -1); completes on the loop with whether it was
   * created (false: it exists, or the write was refused), or exceptionally if the store failed
   * (after {@code onFailure} heard why) or the term ended.
   */
  public CompletableFuture<Boolean> create(String key, byte[] value) {
    CompletableFuture<Boolean> out = new CompletableFuture<>();
    own("create " + key, (r, w) -> w.compareAndSet(key, value, -1).isPresent(), out);
    return out;
  }

  /** Writes the key at its current version, behind: a refusal is logged, a failure reported. */
  public void put(String key, byte[] value) {
    own("write " + key, (r, w) -> put(r, w, key, value), null);
  }

  /** Deletes the key at its current version, behind: a refusal is logged, a failure reported. */
  public void delete(String key) {
    own("delete " + key, (r, w) -> delete(r, w, key), null);
  }

  private void own(String what, Call call, CompletableFuture<Boolean> out) {
    long t = term;
    StateStore writes = view;
    submit(what, s -> call.run(s, writes), (ok, error) -> {
      if (t != term) {
        if (out != null) {
          out.completeExceptionally(new StoreFailure(what + " was not done: the service stopped leading first"));
        }
        return;
      }
      if (error != null) {
        onFailure.accept(error);
        if (out != null) {
          out.completeExceptionally(new StoreFailure(what + " failed: " + error));
        }
      } else if (out != null) {
        out.complete(ok);
      } else if (!ok) {
        LOG.warn(name + " store: {} was refused (a newer epoch began, or another writer); another leader may be"
            + " acting", name, what);
      }
    });
  }

  /**
   * An API call's write: completes on the loop once the store took it, else exceptionally with a
   * {@link StoreFailure} saying {@code what} and why (failed, refused, or the term ended first).
   */
  public CompletableFuture<Void> change(String what, Call call) {
    long t = term;
    StateStore writes = view;
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(what, s -> call.run(s, writes), (ok, error) -> {
      if (t != term) {
        done.completeExceptionally(new StoreFailure(what + ": the service stopped leading before the store"
            + " answered"));
      } else if (error != null) {
        done.completeExceptionally(new StoreFailure(what + ": " + error));
      } else if (!ok) {
        done.completeExceptionally(new StoreFailure(what + ": the store refused the write (a newer leader's epoch"
            + " began, or another writer changed the job)"));
      } else {
        done.complete(null);
      }
    });
    return done;
  }

  /** Completes once every write handed so far is done; exceptionally (saying {@code what}) if one failed. */
  public CompletableFuture<Void> committed(String what) {
    return change(what, (r, w) -> true);
  }

  /**
   * Hands an operation to the store's thread; {@code then} hears on the loop its value, or (value
   * null) why it failed. On the loop.
   */
  public <T> void submit(String what, Function<StateStore, T> call, BiConsumer<T, String> then) {
    queue.add(new Op<>(what, call, then));
    if (!flushScheduled && !inFlight) {
      flushScheduled = true;
      loop.execute(this::flush);
    }
  }

  /**
   * Runs {@code then} on the loop once every operation handed so far has been delivered (at once
   * if none is pending), unless the term ends first or one of them failed.
   */
  public void afterCommit(Runnable then) {
    if (queue.isEmpty() && !inFlight) {
      then.run();
      return;
    }
    long t = term;
    submit("commit", s -> true, (ok, error) -> {
      if (t == term && error == null) {
        then.run();
      }
    });
  }

  /** Operations handed but not yet delivered. On the loop. */
  public int pending() {
    return queue.size() + (inFlight ? 1 : 0);
  }

  private void flush() {
    flushScheduled = false;
    if (inFlight || queue.isEmpty()) {
      return;
    }
    List<Op<?>> batch = new ArrayList<>(queue);
    queue.clear();
    inFlight = true;
    io.execute(() -> {
      Object[] values = new Object[batch.size()];
      String[] errors = new String[batch.size()];
      String broken = null;
      for (int i = 0; i < batch.size(); i++) {
        Op<?> op = batch.get(i);
        if (broken != null) {
          errors[i] = op.what() + " was not attempted: the store failed on an earlier write (" + broken + ")";
          continue;
        }
        try {
          values[i] = op.call().apply(store);
        } catch (RuntimeException e) {
          broken = op.what() + ": " + e;
          errors[i] = "the store failed on " + broken;
          LOG.warn(name + " store: {} failed", op.what(), e);
        }
      }
      loop.execute(() -> {
        if (!inFlight) {
          throw new IllegalStateException(name + " store: a batch of " + batch.size() + " came back with none in flight");
        }
        inFlight = false;
        for (int i = 0; i < batch.size(); i++) {
          try {
            batch.get(i).deliver(values[i], errors[i]);
          } catch (RuntimeException e) { // one caller's bug must not keep the others from hearing
            LOG.error(name + " store: handling the outcome of {} failed", batch.get(i).what(), e);
          }
        }
        if (!queue.isEmpty() && !flushScheduled) {
          flushScheduled = true;
          loop.execute(this::flush);
        }
      });
    });
  }

  // ---- blocking helpers (on io) -----------------------------------------------------------

  /** Writes {@code value} at the key's current version (read from {@code reads}); false if refused. */
  public static boolean put(StateStore reads, StateStore writes, String key, byte[] value) {
    long version = reads.get(key).map(StateStore.Versioned::version).orElse(-1L);
    return writes.compareAndSet(key, value, version).isPresent();
  }

  /** Deletes the key at its current version; true if it is gone (or was never there). */
  public static boolean delete(StateStore reads, StateStore writes, String key) {
    Optional<StateStore.Versioned> v = reads.get(key);
    return v.isEmpty() || writes.delete(key, v.get().version());
  }

  /** A store operation failed, was refused, or was dropped: the message says what and why (the API answers 503). */
  public static final class StoreFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreFailure(String message) {
      super(message);
    }
  }
}
