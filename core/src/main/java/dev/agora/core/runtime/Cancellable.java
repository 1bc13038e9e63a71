package dev.agora.core.runtime;

/** A handle to a scheduled timer. */
@FunctionalInterface
public interface Cancellable {
  /**
   * Cancels the timer if it has not fired. Idempotent; call it on the loop that scheduled the
   * timer (from elsewhere, a timer may still fire once).
   */
  void cancel();
}
