package dev.agora.core.model;

/**
 * The id of an executor within a framework. Immutable; never null; the value is non-blank and at most
 * {@value Ids#MAX_LENGTH} characters of printable ASCII without '/' or whitespace, so that it is
 * safe in file paths, URLs and log lines.
 */
public record ExecutorId(String value) implements Comparable<ExecutorId> {
  public ExecutorId {
    Ids.check("executorId", value);
  }

  /** Same as the constructor, for readability at call sites. */
  public static ExecutorId of(String value) {
    return new ExecutorId(value);
  }

  @Override
  public int compareTo(ExecutorId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
