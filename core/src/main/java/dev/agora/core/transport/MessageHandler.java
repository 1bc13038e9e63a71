package dev.agora.core.transport;

import dev.agora.core.protocol.Message;

/**
 * Receives what arrives at an {@link Endpoint}. The transport calls it on the event loop the
 * endpoint was bound with, one call at a time.
 */
public interface MessageHandler {
  /** A message from {@code from}. Must not block. */
  void onMessage(Address from, Message message);

  /** A linked peer's endpoint closed or became unreachable (see {@link Endpoint#link}). */
  default void onExited(Address peer) {}
}
