package dev.agora.core.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command a task runs.
 *
 * <p>With {@code shell} true, {@code value} is run as {@code /bin/sh -c value} and
 * {@code arguments} are ignored. With {@code shell} false, {@code value} is the program to execute
 * and {@code arguments} its full argv (including argv[0], as in Mesos).
 *
 * @param shell whether to run {@code value} through the shell
 * @param value the shell command line, or the program path
 * @param arguments argv when not a shell command
 * @param environment extra environment variables
 * @param user the unix user to run as, if not the framework's
 */
public record CommandInfo(
    boolean shell,
    String value,
    List<String> arguments,
    Map<String, String> environment,
    Optional<String> user) {
  public CommandInfo {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("command value must not be empty but was '" + value + "'");
    }
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("command value '" + value.replace('\0', '?') + "' contains a NUL");
    }
    if (arguments == null || environment == null || user == null) {
      throw new IllegalArgumentException("command '" + value + "' arguments, environment and user must not be null");
    }
    for (String argument : arguments) {
      if (argument == null || argument.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("command '" + value + "' has an invalid argument '" + argument + "'");
      }
    }
    arguments = List.copyOf(arguments);
    for (Map.Entry<String, String> e : environment.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("environment variable name '" + name + "' is invalid"
            + " (must be non-empty, without '=' or NUL)");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("environment variable '" + name + "' has an invalid value");
      }
    }
    environment = Map.copyOf(environment);
    user.ifPresent(u -> {
      if (u.isBlank()) {
        throw new IllegalArgumentException("command '" + value + "' user must not be blank");
      }
    });
  }

  /** A shell command: {@code /bin/sh -c command}. */
  public static CommandInfo shell(String command) {
    return new CommandInfo(true, command, List.of(), Map.of(), Optional.empty());
  }

  /** A program run with its argv (argv[0] first), without a shell. */
  public static CommandInfo exec(String program, List<String> argv) {
    return new CommandInfo(false, program, argv, Map.of(), Optional.empty());
  }

  /** A copy with the given environment. */
  public CommandInfo withEnvironment(Map<String, String> env) {
    return new CommandInfo(shell, value, arguments, env, user);
  }
}
