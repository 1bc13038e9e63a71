package dev.agora.core.model;

/**
 * The id of an agent (a machine offering resources). Immutable; never null; the value is non-blank and at most
 * {@value Ids#MAX_LENGTH} characters of printable ASCII without '/' or whitespace, so that it is
 * safe in file paths, URLs and log lines.
 */
public record AgentId(String value) implements Comparable<AgentId> {
  public AgentId {
    Ids.check("agentId", value);
  }

  /** Same as the constructor, for readability at call sites. */
  public static AgentId of(String value) {
    return new AgentId(value);
  }

  @Override
  public int compareTo(AgentId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
