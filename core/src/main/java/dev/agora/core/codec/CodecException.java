package dev.agora.core.codec;

/**
 * JSON that cannot be decoded into a message: malformed, a wrong type, a missing field or a value
 * the model refuses. The message names the field (as a dotted path) and what was wrong, and never
 * echoes more than a short prefix of the offending value.
 */
public class CodecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** A decoding failure described by {@code message}. */
  public CodecException(String message) {
    super(message);
  }

  /** A decoding failure described by {@code message}, caused by {@code cause}. */
  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
