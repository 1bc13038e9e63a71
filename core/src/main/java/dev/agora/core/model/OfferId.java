package dev.agora.core.model;

/**
 * The id of a resource offer. Immutable; never null; the value is non-blank and at most
 * {@value Ids#MAX_LENGTH} characters of printable ASCII without '/' or whitespace, so that it is
 * safe in file paths, URLs and log lines.
 */
public record OfferId(String value) implements Comparable<OfferId> {
  public OfferId {
    Ids.check("offerId", value);
  }

  /** Same as the constructor, for readability at call sites. */
  public static OfferId of(String value) {
    return new OfferId(value);
  }

  @Override
  public int compareTo(OfferId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
