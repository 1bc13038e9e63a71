package dev.agora.containers;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.model.CommandInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link ContainerConfig} into a running child process: checks what can be checked
 * beforehand (sandbox, program, user), builds the command line {@code prefix [setpriv ...] argv}
 * (the prefix is the isolation's: {@code setsid} for a session, a cgroup-and-namespace wrapper for
 * the Linux containerizer), the environment and the redirections, and starts it.
 *
 * <p>Concurrency: immutable; {@link #start} blocks (it may run {@code getent} and starts a
 * process), so it runs on the containerizer's threads, never the caller's.
 */
final class Launcher {
  private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

  /** The shell that runs shell commands, as in Mesos. */
  static final String SHELL = "/bin/sh";

  private final Optional<Path> setpriv;
  private final boolean root;

  Launcher(Optional<Path> setpriv, boolean root) {
    this.setpriv = setpriv;
    this.root = root;
  }

  /** A unix account: the user to run as. */
  record Account(String name, int uid, int gid) {}

  /** Whether this JVM runs as root (and so runs tasks as their users). */
  boolean root() {
    return root;
  }

  /**
   * Starts the container's top process: {@code prefix}, then the command.
   *
   * @param markerName the name of the variable that marks the container's processes
   * @param markerValue its value, unique to this container on this host
   * @param prefix the isolation's wrapper, e.g. {@code setsid}
   * @throws IOException naming the problem, if the process cannot be started
   */
  Process start(ContainerConfig config, String markerName, String markerValue, List<String> prefix)
      throws IOException {
    Path sandbox = config.sandbox();
    checkSandbox(sandbox);
    CommandInfo command = config.task().command();
    Map<String, String> environment = environment(System.getenv(), config, markerName, markerValue);
    if (!command.shell()) {
      String path = environment.getOrDefault("PATH", "");
      if (findProgram(command.value(), sandbox, path).isEmpty()) {
        throw new IOException(command.value().indexOf('/') >= 0
            ? "program '" + command.value() + "' does not exist or is not executable"
            : "program '" + command.value() + "' not found on PATH " + path);
      }
    }
    Optional<Account> account = Optional.empty();
    Optional<String> user = config.user().or(command::user);
    if (user.isPresent()) {
      if (root) {
        account = Optional.of(lookUp(user.get()));
      } else {
        LOG.debug("container {}: not root, so ignoring user '{}'", config.containerId(), user.get());
      }
    }

    List<String> line = new ArrayList<>(prefix);
    if (account.isPresent()) {
      Account a = account.get();
      Path setprivPath = setpriv.orElseThrow(() -> new IOException(
          "cannot run as user '" + a.name() + "': setpriv (util-linux) not found on PATH"));
      line.addAll(List.of(setprivPath.toString(), "--reuid=" + a.uid(), "--regid=" + a.gid(), "--init-groups", "--"));
    }
    line.addAll(argv(command));

    Path stdout = sandbox.resolve("stdout");
    Path stderr = sandbox.resolve("stderr");
    Files.write(stdout, new byte[0]);
    Files.write(stderr, new byte[0]);
    if (account.isPresent()) {
      for (Path p : List.of(sandbox, stdout, stderr)) {
        Files.setAttribute(p, "unix:uid", account.get().uid());
        Files.setAttribute(p, "unix:gid", account.get().gid());
      }
    }

    ProcessBuilder builder = new ProcessBuilder(line)
        .directory(sandbox.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    builder.environment().clear();
    builder.environment().putAll(environment);
    LOG.debug("container {}: starting {}", config.containerId(), line);
    return builder.start();
  }

  /**
   * What the {@link NativeLauncher} needs to start the container's command: the same checks as
   * {@link #start} (sandbox, program), the same argv and environment, but the user is looked up
   * by the launcher itself (only when this JVM runs as root, as here) and the output files are
   * made by the container's process.
   *
   * @throws IOException naming the problem, if the command cannot be started
   */
  NativeLauncher.Request nativeRequest(ContainerConfig config, String markerName, String markerValue,
      Path tmp, List<Path> cgroupProcs, boolean network) throws IOException {
    Path sandbox = config.sandbox();
    checkSandbox(sandbox);
    CommandInfo command = config.task().command();
    Map<String, String> environment = environment(System.getenv(), config, markerName, markerValue);
    if (!command.shell()) {
      String path = environment.getOrDefault("PATH", "");
      if (findProgram(command.value(), sandbox, path).isEmpty()) {
        throw new IOException(command.value().indexOf('/') >= 0
            ? "program '" + command.value() + "' does not exist or is not executable"
            : "program '" + command.value() + "' not found on PATH " + path);
      }
    }
    Optional<String> user = config.user().or(command::user);
    if (user.isPresent()) {
      if (user.get().isEmpty() || user.get().indexOf(':') >= 0 || user.get().startsWith("-")) {
        throw new IOException("user '" + user.get() + "' is not a valid user name");
      }
      if (!root) {
        LOG.debug("container {}: not root, so ignoring user '{}'", config.containerId(), user.get());
        user = Optional.empty();
      }
    }
    return new NativeLauncher.Request(user, network, sandbox, tmp, sandbox.resolve("stdout"),
        sandbox.resolve("stderr"), cgroupProcs, argv(command), environment);
  }

  /**
   * Checks that a sandbox is an existing directory named by an absolute path without {@code .}
   * or {@code ..} segments, so that it cannot climb out of the directory it was made in.
   */
  static void checkSandbox(Path sandbox) throws IOException {
    if (!sandbox.isAbsolute() || !sandbox.normalize().equals(sandbox)) {
      throw new IOException("sandbox " + sandbox + " must be an absolute path without '.' or '..' segments");
    }
    for (Path part : sandbox) {
      if (part.toString().equals("..") || part.toString().equals(".")) {
        throw new IOException("sandbox " + sandbox + " must be an absolute path without '.' or '..' segments");
      }
    }
    if (!Files.isDirectory(sandbox)) {
      throw new IOException("sandbox " + sandbox + " does not exist or is not a directory");
    }
  }

  /**
   * The argv to execute: {@code /bin/sh -c value} for a shell command; otherwise {@code value}
   * followed by {@code arguments} without their first element (argv[0], which a JVM cannot pass
   * on: the program sees {@code value} as its argv[0]).
   */
  static List<String> argv(CommandInfo command) {
    if (command.shell()) {
      return List.of(SHELL, "-c", command.value());
    }
    List<String> argv = new ArrayList<>();
    argv.add(command.value());
    if (!command.arguments().isEmpty()) {
      argv.addAll(command.arguments().subList(1, command.arguments().size()));
    }
    return argv;
  }

  /**
   * The environment: the inherited one, then the agent's ({@link ContainerConfig#environment}),
   * then the command's; a later one wins. The marker comes last so that no task can drop it.
   */
  static Map<String, String> environment(
      Map<String, String> inherited, ContainerConfig config, String markerName, String markerValue) {
    Map<String, String> env = new java.util.HashMap<>(inherited);
    env.putAll(config.environment());
    env.putAll(config.task().command().environment());
    env.put(markerName, markerValue);
    return env;
  }

  /**
   * Where {@code execvp} would find {@code program}: relative to the working directory if it holds
   * a '/', otherwise in the directories of {@code path} (an empty entry is the working directory).
   */
  static Optional<Path> findProgram(String program, Path workingDirectory, String path) {
    if (program.indexOf('/') >= 0) {
      return executable(workingDirectory.resolve(program));
    }
    for (String dir : path.split(":", -1)) {
      Optional<Path> found = executable(workingDirectory.resolve(dir.isEmpty() ? "." : dir).resolve(program));
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static Optional<Path> executable(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
  }

  /** Looks a user up through NSS ({@code getent passwd}), so LDAP and the like work too. */
  static Account lookUp(String user) throws IOException {
    if (user.isEmpty() || user.indexOf(':') >= 0 || user.startsWith("-")) {
      throw new IOException("user '" + user + "' is not a valid user name");
    }
    Process getent = new ProcessBuilder("getent", "passwd", user)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out;
    try (InputStream in = getent.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    try {
      if (!getent.waitFor(30, TimeUnit.SECONDS)) {
        getent.destroyForcibly();
        throw new IOException("looking up user '" + user + "' timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      getent.destroyForcibly();
      throw new IOException("interrupted while looking up user '" + user + "'", e);
    }
    if (getent.exitValue() == 2 || out.isEmpty()) {
      throw new IOException("user '" + user + "' does not exist");
    }
    if (getent.exitValue() != 0) {
      throw new IOException("looking up user '" + user + "' failed: getent exited with status " + getent.exitValue());
    }
    String[] fields = out.split("\n")[0].split(":");
    if (fields.length < 4) {
      throw new IOException("cannot parse the passwd entry of user '" + user + "': " + out);
    }
    try {
      return new Account(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3]));
    } catch (NumberFormatException e) {
      throw new IOException("cannot parse the passwd entry of user '" + user + "': " + out, e);
    }
  }

  /** Whether this JVM runs with effective uid 0, from {@code /proc/self/status}. */
  static boolean runningAsRoot(Path proc) {
    try {
      for (String l : Files.readAllLines(proc.resolve("self").resolve("status"))) {
        if (l.startsWith("Uid:")) {
          return l.substring(4).trim().split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot tell whether running as root; assuming not", e);
    }
    return false;
  }

  /** The first executable {@code name} on {@code path}. */
  static Optional<Path> onPath(String name, String path) {
    for (String dir : path.split(":")) {
      if (!dir.isEmpty()) {
        Optional<Path> p = executable(Path.of(dir, name));
        if (p.isPresent()) {
          return p;
        }
      }
    }
    return Optional.empty();
  }
}
