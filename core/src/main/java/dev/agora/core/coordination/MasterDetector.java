package dev.agora.core.coordination;

import dev.agora.core.transport.Address;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Tells agents and frameworks where the leading master is, and when that changes.
 *
 * <p>Concurrency: thread-safe. Listeners are called on the given executor, once with the current
 * leader (or empty) and again on every change, in order.
 */
public interface MasterDetector extends AutoCloseable {
  /** The leader as last known, or empty while there is none. */
  Optional<Address> leader();

  /** Calls {@code listener} with the current leader and on every change. */
  void watch(Executor executor, Consumer<Optional<Address>> listener);

  /** Stops watching. Idempotent. */
  @Override
  default void close() {}

  /** A detector for a fixed master address. */
  static MasterDetector standalone(Address master) {
    return new MasterDetector() {
      @Override
      public Optional<Address> leader() {
        return Optional.of(master);
      }

      @Override
      public void watch(Executor executor, Consumer<Optional<Address>> listener) {
        executor.execute(() -> listener.accept(Optional.of(master)));
      }
    };
  }
}
