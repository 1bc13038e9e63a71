package dev.agora.core.transport;

/**
 * Where an actor can be reached: a name on the in-process transport ({@code master}), or a URL on
 * a network transport.
 */
public record Address(String value) {
  public Address {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("address must not be empty");
    }
  }

  /** Same as the constructor. */
  public static Address of(String value) {
    return new Address(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
