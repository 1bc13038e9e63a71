package dev.agora.core.transport;

import dev.agora.core.runtime.EventLoop;

/**
 * How actors reach each other: in one JVM ({@link InProcessTransport}), or over the network.
 *
 * <p>Concurrency: thread-safe.
 */
public interface Transport {
  /**
   * Binds {@code address}; messages to it are handed to {@code handler} on {@code loop}.
   *
   * @throws IllegalArgumentException if the address is already bound
   */
  Endpoint bind(Address address, EventLoop loop, MessageHandler handler);
}
