package dev.agora.core.transport;

import dev.agora.core.protocol.Message;

/**
 * An actor's attachment to a {@link Transport}: it sends from its address and receives through
 * the handler it was bound with.
 *
 * <p>Concurrency: thread-safe. Delivery is asynchronous and unreliable, as between processes:
 * {@link #send} never blocks and never throws for an absent peer (the message is dropped and
 * logged); messages from one endpoint to another arrive in the order sent unless a fault-injecting
 * transport says otherwise. Reliability is the protocol's job (resends, acknowledgements).
 */
public interface Endpoint extends AutoCloseable {
  /** This endpoint's address. */
  Address address();

  /** Sends {@code message} to {@code to}. */
  void send(Address to, Message message);

  /**
   * Watches {@code peer}: when its endpoint closes (or if it is already gone), this endpoint's
   * handler gets {@link MessageHandler#onExited}. Linking twice is the same as once.
   */
  void link(Address peer);

  /** Unbinds: nothing more is received, and peers linked to this endpoint are told. Idempotent. */
  @Override
  void close();
}
