package dev.agora.core.model;

/**
 * The id of a task, unique within its framework. Immutable; never null; the value is non-blank and at most
 * {@value Ids#MAX_LENGTH} characters of printable ASCII without '/' or whitespace, so that it is
 * safe in file paths, URLs and log lines.
 */
public record TaskId(String value) implements Comparable<TaskId> {
  public TaskId {
    Ids.check("taskId", value);
  }

  /** Same as the constructor, for readability at call sites. */
  public static TaskId of(String value) {
    return new TaskId(value);
  }

  @Override
  public int compareTo(TaskId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
