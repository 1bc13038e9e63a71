package dev.agora.examples.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A job, as Chronos defines it: what to run, and when (a {@link Schedule}) or after which parents.
 * Validated on construction; build one from JSON with {@link JobJson#parse}.
 *
 * @param name unique, matching {@code [\w.-]+}
 * @param command the command line (run by {@code /bin/sh -c} if {@code shell}), or the program
 * @param arguments extra arguments (appended to a shell command, or argv after the program)
 * @param shell whether {@code command} is a shell command line
 * @param schedule when it runs; empty for a dependent job
 * @param parents the jobs whose success triggers it; empty for a scheduled job
 * @param epsilon how late a run may start before it is recorded skipped
 * @param retries how many times a failed run is retried
 * @param concurrent whether a run may start while an earlier one is still active
 * @param disabled whether runs are suppressed
 * @param cpus cpus per task
 * @param mem memory per task in MiB
 * @param disk disk per task in MiB
 * @param environmentVariables extra environment variables, in order
 * @param constraints placement constraints on agent attributes
 * @param owner who to tell (an email in Chronos)
 * @param ownerName the owner's name
 * @param description free text
 * @param maxCompletionTime a run still going after this is killed and counts as failed
 * @param runAsUser the unix user to run as
 * @param container the container JSON as given, stored and reported; runs of such a job are
 *     recorded skipped because containers are not supported by this service
 */
public record JobDefinition(
    String name,
    String command,
    List<String> arguments,
    boolean shell,
    Optional<Schedule> schedule,
    List<String> parents,
    Duration epsilon,
    int retries,
    boolean concurrent,
    boolean disabled,
    double cpus,
    double mem,
    double disk,
    List<EnvironmentVariable> environmentVariables,
    List<Constraint> constraints,
    String owner,
    String ownerName,
    String description,
    Optional<Duration> maxCompletionTime,
    Optional<String> runAsUser,
    Optional<String> container) {

  /** The names Chronos allows. */
  public static final Pattern NAME = Pattern.compile("[\\w.-]+");

  /** An environment variable. */
  public record EnvironmentVariable(String name, String value) {
    public EnvironmentVariable {
      if (name == null || name.isEmpty() || name.indexOf('=') >= 0) {
        throw new IllegalArgumentException("environment variable name '" + name + "' is invalid");
      }
      if (value == null) {
        throw new IllegalArgumentException("environment variable '" + name + "' needs a value");
      }
    }
  }

  /** Chronos's constraint operators. */
  public enum Operator { EQUALS, LIKE, UNLIKE }

  /** {@code [attribute, OPERATOR, value]}; {@code hostname} matches the agent's host name. */
  public record Constraint(String attribute, Operator operator, String value) {
    public Constraint {
      if (attribute == null || attribute.isEmpty() || operator == null || value == null) {
        throw new IllegalArgumentException("constraint needs an attribute, an operator and a value");
      }
      if (operator != Operator.EQUALS) {
        try {
          Pattern.compile(value);
        } catch (java.util.regex.PatternSyntaxException e) {
          throw new IllegalArgumentException("constraint " + operator + " value '" + value
              + "' is not a regular expression", e);
        }
      }
    }

    /** Whether an agent with this attribute text (absent: null) satisfies the constraint. */
    public boolean matches(String actual) {
      return switch (operator) {
        case EQUALS -> value.equals(actual);
        case LIKE -> actual != null && actual.matches(value);
        case UNLIKE -> actual == null || !actual.matches(value);
      };
    }
  }

  public JobDefinition {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("job name '" + name + "' must match [\\w.-]+");
    }
    if (command == null || command.isBlank()) {
      throw new IllegalArgumentException("job '" + name + "' needs a command");
    }
    if (schedule.isPresent() == !parents.isEmpty()) {
      throw new IllegalArgumentException("job '" + name + "' needs either a schedule or parents, not "
          + (schedule.isPresent() ? "both" : "neither"));
    }
    if (parents.contains(name)) {
      throw new IllegalArgumentException("job '" + name + "' cannot be its own parent");
    }
    if (epsilon.isNegative()) {
      throw new IllegalArgumentException("job '" + name + "' epsilon must be >= 0 but was " + epsilon);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("job '" + name + "' retries must be >= 0 but was " + retries);
    }
    check(name, "cpus", cpus, true);
    check(name, "mem", mem, true);
    check(name, "disk", disk, false);
    maxCompletionTime.ifPresent(d -> {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("job '" + name + "' maxCompletionTime must be > 0 but was " + d);
      }
    });
    arguments = List.copyOf(arguments);
    parents = List.copyOf(parents);
    environmentVariables = List.copyOf(environmentVariables);
    constraints = List.copyOf(constraints);
  }

  private static void check(String name, String field, double v, boolean positive) {
    if (!Double.isFinite(v) || v < 0 || positive && v == 0) {
      throw new IllegalArgumentException("job '" + name + "' " + field + " must be " + (positive ? "> 0" : ">= 0")
          + " but was " + v);
    }
  }

  /** A copy with {@code disabled} set. */
  public JobDefinition withDisabled(boolean value) {
    return new JobDefinition(name, command, arguments, shell, schedule, parents, epsilon, retries, concurrent, value,
        cpus, mem, disk, environmentVariables, constraints, owner, ownerName, description, maxCompletionTime,
        runAsUser, container);
  }

  /** Whether this job runs after parents rather than on a schedule. */
  public boolean isDependent() {
    return !parents.isEmpty();
  }
}
