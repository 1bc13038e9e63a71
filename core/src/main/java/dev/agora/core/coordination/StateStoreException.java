package dev.agora.core.coordination;

/**
 * A {@link StateStore} could not reach its backend (or its disk) after its own retries. Whether
 * the operation took effect is unknown unless the store says otherwise: read again to find out.
 */
public final class StateStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** With a message naming the key or operation, and the cause. */
  public StateStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
