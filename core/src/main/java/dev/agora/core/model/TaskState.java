package dev.agora.core.model;

import java.util.EnumSet;
import java.util.Set;

/**
 * The Mesos task state machine.
 *
 * <pre>
 * STAGING -> STARTING -> RUNNING -> FINISHED | FAILED | KILLED   (optionally via KILLING)
 * STAGING -> ERROR (invalid task) | DROPPED (transient launch failure)
 * any non-terminal -> UNREACHABLE -> back to a live state, or a terminal one
 * any non-terminal -> LOST | GONE | GONE_BY_OPERATOR
 * </pre>
 *
 * <p>{@link #UNKNOWN} is not a state a task is ever in: it is the answer reconciliation gives for a
 * task the master has no record of, so no transition leads into or out of it. A terminal state is
 * never followed by another state; the resources of a task are released on its terminal update.
 * The numeric codes are Mesos's {@code TaskState} values, used on the wire.
 */
public enum TaskState {
  STARTING(0),
  RUNNING(1),
  FINISHED(2),
  FAILED(3),
  KILLED(4),
  LOST(5),
  STAGING(6),
  ERROR(7),
  KILLING(8),
  DROPPED(9),
  UNREACHABLE(10),
  GONE(11),
  GONE_BY_OPERATOR(12),
  UNKNOWN(13);

  private static final Set<TaskState> TERMINAL =
      EnumSet.of(FINISHED, FAILED, KILLED, LOST, ERROR, DROPPED, GONE, GONE_BY_OPERATOR);

  private final int code;

  TaskState(int code) {
    this.code = code;
  }

  /** Mesos's numeric value of this state. */
  public int code() {
    return code;
  }

  /** Whether no state can follow this one; a task in it holds no resources. */
  public boolean isTerminal() {
    return TERMINAL.contains(this);
  }

  /**
   * Whether a task in this state may move to {@code next}. A live state may repeat itself (a
   * RUNNING task reports RUNNING again when its health changes); a terminal state may not.
   */
  public boolean canTransitionTo(TaskState next) {
    if (this == UNKNOWN || next == UNKNOWN || isTerminal()) {
      return false;
    }
    if (next == this) {
      return true;
    }
    return switch (this) {
      case STAGING -> true;
      case STARTING -> next != STAGING && next != ERROR && next != DROPPED;
      case RUNNING -> next != STAGING && next != STARTING && next != ERROR && next != DROPPED;
      case KILLING -> next.isTerminal() && next != ERROR && next != DROPPED || next == UNREACHABLE;
      case UNREACHABLE ->
          next == STARTING || next == RUNNING || next == KILLING
              || next.isTerminal() && next != ERROR && next != DROPPED;
      default -> false;
    };
  }

  /**
   * Returns {@code next} if this state may move to it.
   *
   * @throws IllegalArgumentException naming both states if the transition is not legal
   */
  public TaskState transitionTo(TaskState next) {
    if (!canTransitionTo(next)) {
      throw new IllegalArgumentException(
          "illegal task state transition " + name() + " -> " + next.name());
    }
    return next;
  }

  /**
   * The state of the given name, with or without Mesos's {@code TASK_} prefix.
   *
   * @throws IllegalArgumentException naming the token if it is no task state
   */
  public static TaskState parse(String text) {
    String name = text.startsWith("TASK_") ? text.substring(5) : text;
    for (TaskState state : values()) {
      if (state.name().equals(name)) {
        return state;
      }
    }
    throw new IllegalArgumentException("unknown task state '" + text + "'");
  }

  /** The Mesos wire name, e.g. {@code TASK_RUNNING}. */
  public String wireName() {
    return "TASK_" + name();
  }
}
