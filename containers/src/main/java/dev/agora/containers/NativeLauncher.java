package dev.agora.containers;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux containerizer's fast launch path: a small C program ({@code agora-launch.c}, shipped
 * as a resource and compiled on first use with the host's {@code cc}, cached by the hash of its
 * source) that runs as one long-lived child of this JVM and starts containers on request. For
 * each, it clones a child straight into new namespaces and writes its pid into the container's
 * cgroups before the child runs anything of its own; the child then starts its own session,
 * makes its mounts private, mounts a fresh {@code /proc}, binds the sandbox's {@code tmp} on
 * {@code /tmp}, takes the task's user and execs the command: what the {@code sh -> setsid -> unshare -> sh -> mount} chain does, in one fork and
 * one exec, and without a process spawn by the JVM per launch. The task is pid 1 of its namespace
 * and the server's child: the server reaps it and reports its exit status here.
 *
 * <p>Protocol: see the source. Requests are length-prefixed NUL-separated strings on the server's
 * stdin; replies are lines on its stdout, read by one daemon thread, which completes the launch
 * and exit futures. If the server dies, pending launches fail, the exits of running tasks are
 * watched by polling their pids (status unknown), and the next launch starts a new server. When
 * this JVM dies the server reads end-of-file and exits; the containers run on, re-parented, for
 * a restarted agent to re-adopt.
 *
 * <p>Concurrency: {@link #launch} may be called from any thread (requests are written one at a
 * time and answered in order) and blocks until the server answers; {@link #close} is idempotent.
 */
final class NativeLauncher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLauncher.class);

  /** The resource holding the launcher's C source. */
  static final String SOURCE = "agora-launch.c";

  /** How long a launch may take before it is given up. */
  static final long LAUNCH_TIMEOUT_SECONDS = 30;

  /**
   * One container to start.
   *
   * @param user the user to run as (looked up by the server, through NSS), or empty for this
   *     process's own
   * @param network whether to give it a network namespace of its own
   * @param cgroupProcs the {@code cgroup.procs} files it joins first
   * @param argv the command; {@code argv[0]} is searched on the {@code PATH} of {@code environment}
   */
  record Request(Optional<String> user, boolean network, Path sandbox, Path tmp, Path stdout, Path stderr,
      List<Path> cgroupProcs, List<String> argv, Map<String, String> environment) {}

  /**
   * A started container's top process.
   *
   * @param pid its pid (in this JVM's pid namespace)
   * @param exit completes with its exit status once it has exited (exit code, or 128 + signal),
   *     or empty if the server died before it could say
   */
  record Launched(long pid, CompletableFuture<OptionalInt> exit) {}

  private final Path binary;
  private final AtomicLong ids = new AtomicLong();
  // Guarded by this.
  private Server server;
  private boolean closed;

  private NativeLauncher(Path binary) {
    this.binary = binary;
  }

  /**
   * A running server: its process, the stream requests go to, its unanswered launches by request
   * id, and the exit futures of the processes it launched, by pid.
   */
  private record Server(Process process, OutputStream requests,
      ConcurrentHashMap<Long, CompletableFuture<Launched>> pending,
      ConcurrentHashMap<Long, CompletableFuture<OptionalInt>> exits) {}

  /**
   * A launcher, its server started, if the binary can be had: from {@code directory} (made if
   * missing, owner-only), or compiled there with {@code cc} or {@code gcc} on {@code path}. Empty,
   * with a logged warning saying why, where it cannot (no compiler, the build failed, the
   * directory is not safe); the caller then launches through the shell chain.
   */
  static Optional<NativeLauncher> create(Path directory, String path) {
    try {
      Optional<Path> binary = binary(directory, path);
      if (binary.isEmpty()) {
        return Optional.empty();
      }
      NativeLauncher launcher = new NativeLauncher(binary.get());
      synchronized (launcher) {
        launcher.server = launcher.startServer();
      }
      return Optional.of(launcher);
    } catch (IOException | RuntimeException e) {
      LOG.warn("the native container launcher cannot be used ({}); launching through the slower"
          + " sh/setsid/unshare chain", e.getMessage());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The default directory of the compiled launcher: one per user under the temp directory. */
  static Path defaultDirectory() {
    return Path.of(System.getProperty("java.io.tmpdir"), "agora-launch-" + System.getProperty("user.name"));
  }

  /**
   * The launcher binary for the current source, compiled into {@code directory} unless a binary of
   * that source is there already; empty, with a warning, if no compiler is found.
   */
  static Optional<Path> binary(Path directory, String path) throws IOException, InterruptedException {
    byte[] source;
    try (InputStream in = NativeLauncher.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IOException("resource " + SOURCE + " is missing");
      }
      source = in.readAllBytes();
    }
    String hash = sha256(source).substring(0, 16);
    safeDirectory(directory);
    Path binary = directory.resolve("agora-launch-" + hash);
    if (Files.isExecutable(binary)) {
      return Optional.of(binary);
    }
    Optional<Path> cc = Launcher.onPath("cc", path).or(() -> Launcher.onPath("gcc", path));
    if (cc.isEmpty()) {
      LOG.warn("no C compiler (cc or gcc) on PATH {} to build the native container launcher; launching"
          + " through the slower sh/setsid/unshare chain", path);
      return Optional.empty();
    }
    // Unique per build attempt: several agents on one machine may build at once (renamed in place after).
    String unique = hash + "." + ProcessHandle.current().pid() + "." + java.util.UUID.randomUUID();
    Path src = directory.resolve("agora-launch-" + unique + ".c");
    Path out = directory.resolve("agora-launch-" + unique + ".tmp");
    Files.write(src, source);
    try {
      Process compile = new ProcessBuilder(cc.get().toString(), "-O2", "-o", out.toString(), src.toString())
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      String output;
      try (InputStream in = compile.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!compile.waitFor(120, TimeUnit.SECONDS)) {
        compile.destroyForcibly();
        throw new IOException(cc.get() + " did not finish within 120 s");
      }
      if (compile.exitValue() != 0) {
        throw new IOException(cc.get() + " failed with status " + compile.exitValue() + ": " + output.trim());
      }
      Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      LOG.info("built the native container launcher {} with {}", binary, cc.get());
      return Optional.of(binary);
    } finally {
      Files.deleteIfExists(src);
      Files.deleteIfExists(out);
    }
  }

  /**
   * Makes {@code directory} if missing, owner-only; refuses one that others may write to or that
   * another user owns, since a binary there runs as this (often root) user.
   */
  private static void safeDirectory(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(directory.getParent());
      try {
        Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // made meanwhile by another JVM: checked below
      }
    }
    String owner = Files.getOwner(directory).getName();
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(directory);
    if (!owner.equals(System.getProperty("user.name"))
        || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("directory " + directory + " (owner " + owner + ", " + PosixFilePermissions.toString(perms)
          + ") must be owned by " + System.getProperty("user.name") + " and writable by it alone");
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }

  private Server startServer() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(binary.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    BufferedReader replies = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String ready = replies.readLine();
    if (ready == null || !ready.startsWith("R ")) {
      p.destroyForcibly();
      throw new IOException("launcher " + binary + " did not start (said " + ready + ", status "
          + (p.waitFor(5, TimeUnit.SECONDS) ? p.exitValue() : "unknown") + ")");
    }
    Server s = new Server(p, new java.io.BufferedOutputStream(p.getOutputStream(), 1 << 16),
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    Thread reader = new Thread(() -> read(s, replies), "agora-launch-reader-" + p.pid());
    reader.setDaemon(true);
    reader.start();
    LOG.info("native container launcher running as pid {}", p.pid());
    return s;
  }

  /**
   * Starts a container; blocks until the server says its process runs in its cgroups (it sets
   * its namespaces up and execs the command just after: a step that fails then, such as an exec,
   * ends it with status {@value CgroupIsolation#SETUP_FAILED}, saying why on its stderr), or
   * that it failed.
   *
   * @throws IOException naming the problem (an unknown user, output files or cgroups that cannot
   *     be written, a server that died); nothing runs then
   */
  Launched launch(Request request) throws IOException, InterruptedException {
    long id = ids.incrementAndGet();
    byte[] message = encode(id, request);
    CompletableFuture<Launched> reply = new CompletableFuture<>();
    Server s = null;
    try {
      synchronized (this) {
        if (closed) {
          throw new IOException("the native launcher is closed");
        }
        if (server == null || !server.process().isAlive()) {
          LOG.warn("native container launcher is gone; starting a new one");
          server = startServer();
        }
        s = server;
        s.pending().put(id, reply);
        try {
          s.requests().write(message);
          s.requests().flush();
        } catch (IOException e) {
          throw new IOException("cannot talk to the native launcher: " + e.getMessage(), e);
        }
      }
      return reply.get(LAUNCH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the native launcher did not answer within " + LAUNCH_TIMEOUT_SECONDS + " s");
    } finally {
      if (s != null) {
        s.pending().remove(id);
      }
    }
  }

  static byte[] encode(long id, Request r) throws IOException {
    List<String> words = new ArrayList<>();
    words.add(Long.toString(id));
    words.add(r.network() ? "n" : "");
    words.add(r.user().orElse(""));
    words.add(r.sandbox().toString());
    words.add(r.tmp().toString());
    words.add(r.stdout().toString());
    words.add(r.stderr().toString());
    words.add(Integer.toString(r.cgroupProcs().size()));
    r.cgroupProcs().forEach(p -> words.add(p.toString()));
    words.add(Integer.toString(r.argv().size()));
    words.addAll(r.argv());
    words.add(Integer.toString(r.environment().size()));
    r.environment().forEach((k, v) -> words.add(k + "=" + v));
    ByteArrayOutputStream payload = new ByteArrayOutputStream(1024);
    for (String w : words) {
      if (w.indexOf('\0') >= 0) {
        throw new IOException("'" + w.replace('\0', '?') + "' holds a NUL character");
      }
      payload.writeBytes(w.getBytes(StandardCharsets.UTF_8));
      payload.write(0);
    }
    int n = payload.size();
    ByteArrayOutputStream message = new ByteArrayOutputStream(n + 4);
    message.write(n & 0xff);
    message.write((n >>> 8) & 0xff);
    message.write((n >>> 16) & 0xff);
    message.write((n >>> 24) & 0xff);
    payload.writeTo(message);
    return message.toByteArray();
  }

  /** The reader thread: completes launches and exits in the order the server answers. */
  private void read(Server s, BufferedReader replies) {
    try {
      for (String line; (line = replies.readLine()) != null; ) {
        try {
          dispatch(s, line);
        } catch (RuntimeException e) {
          LOG.error("native launcher: cannot understand '{}'", line, e);
        }
      }
    } catch (IOException e) {
      LOG.debug("native launcher: reading its replies failed", e);
    }
    serverGone(s);
  }

  private void dispatch(Server s, String line) {
    char kind = line.charAt(0);
    String[] f = line.split(" ", 3);
    switch (kind) {
      case 'L' -> {
        long pid = Long.parseLong(f[2]);
        CompletableFuture<OptionalInt> exit = new CompletableFuture<>();
        s.exits().put(pid, exit); // before the launch completes: the exit comes after this line
        CompletableFuture<Launched> reply = s.pending().get(Long.parseLong(f[1]));
        if (reply != null) {
          reply.complete(new Launched(pid, exit));
        } else {
          LOG.warn("native launcher: launch {} (pid {}) was given up already", f[1], pid);
        }
      }
      case 'F' -> {
        String message = f.length > 2 ? f[2] : "unknown failure";
        if (f[1].equals("?")) {
          LOG.error("native launcher: {}", message);
          return;
        }
        CompletableFuture<Launched> reply = s.pending().get(Long.parseLong(f[1]));
        if (reply != null) {
          reply.completeExceptionally(new IOException(message));
        }
      }
      case 'X' -> {
        CompletableFuture<OptionalInt> exit = s.exits().remove(Long.parseLong(f[1]));
        if (exit != null) {
          exit.complete(OptionalInt.of(Integer.parseInt(f[2])));
        }
      }
      default -> LOG.warn("native launcher: unexpected '{}'", line);
    }
  }

  /**
   * The server ended: pending launches fail; each running task's exit is watched by its pid
   * (status unknown), unless this launcher was closed (its containers are gone or abandoned).
   */
  private void serverGone(Server s) {
    boolean wasClosed;
    synchronized (this) {
      wasClosed = closed;
      if (server == s) {
        server = null;
      }
    }
    if (!wasClosed) {
      LOG.warn("native container launcher pid {} ended", s.process().pid());
    }
    for (CompletableFuture<Launched> reply : s.pending().values()) {
      reply.completeExceptionally(new IOException("the native launcher ended"));
    }
    for (Map.Entry<Long, CompletableFuture<OptionalInt>> e : s.exits().entrySet()) {
      if (s.exits().remove(e.getKey(), e.getValue()) && !wasClosed) {
        CompletableFuture<OptionalInt> exit = e.getValue();
        ProcessHandle.of(e.getKey()).ifPresentOrElse(
            h -> h.onExit().thenRun(() -> exit.complete(OptionalInt.empty())),
            () -> exit.complete(OptionalInt.empty()));
      }
    }
  }

  /** The server's pid, if it runs; for tests. */
  synchronized OptionalInt serverPid() {
    return server == null || !server.process().isAlive() ? OptionalInt.empty() : OptionalInt.of((int) server.process().pid());
  }

  /**
   * Stops the server: it reads end-of-file and exits, leaving any container that still runs to
   * run on (re-parented). Idempotent.
   */
  @Override
  public void close() {
    Server s;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      s = server;
    }
    if (s != null) {
      try {
        s.requests().close();
      } catch (IOException e) {
        LOG.debug("closing the native launcher's requests", e);
      }
      try {
        if (!s.process().waitFor(5, TimeUnit.SECONDS)) {
          s.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
