package dev.agora.core.model;

/**
 * The id of a framework (a scheduler and its tasks). Immutable; never null; the value is non-blank and at most
 * {@value Ids#MAX_LENGTH} characters of printable ASCII without '/' or whitespace, so that it is
 * safe in file paths, URLs and log lines.
 */
public record FrameworkId(String value) implements Comparable<FrameworkId> {
  public FrameworkId {
    Ids.check("frameworkId", value);
  }

  /** Same as the constructor, for readability at call sites. */
  public static FrameworkId of(String value) {
    return new FrameworkId(value);
  }

  @Override
  public int compareTo(FrameworkId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
