package dev.agora.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import dev.agora.core.container.ResourceUsage;
import dev.agora.core.runtime.Clock;

/**
 * Finds the processes of a container in {@code /proc} and signals them.
 *
 * <p>A process belongs to a container if it is in the container's session (the session the
 * container's top process started with {@code setsid}; orphans reparented to init stay in it), or
 * if its environment carries the container's marker variable (which catches descendants that
 * started a session of their own but kept their environment). Zombies do not count: they no longer
 * run, and their parent, not us, reaps them.
 *
 * <p>Concurrency: safe from any thread. Its one piece of mutable state is the last scan of
 * {@code /proc}, shared by every container's membership check (an atomic reference: one scan
 * instead of one per container); every answer may be out of date as soon as it returns.
 *
 * <p>Invariants: never returns the JVM itself, pid 1, or a process of the JVM's own session; a
 * returned handle is checked against the container after it was taken, and the JDK refuses to
 * signal a handle whose pid has since been reused, so a signal never reaches a stranger.
 */
final class ProcessTable {
  private final Path proc;
  private final Clock clock;
  private final long selfPid;
  private final long selfSession;

  ProcessTable(Path proc) {
    this(proc, Clock.system());
  }

  ProcessTable(Path proc, Clock clock) {
    this.proc = proc;
    this.clock = clock;
    this.selfPid = ProcessHandle.current().pid();
    this.selfSession = stat(selfPid).map(Stat::session).orElse(-1L);
  }

  /** A line of {@code /proc/<pid>/stat}, the fields we use. */
  record Stat(long pid, char state, long parentPid, long processGroup, long session) {
    boolean running() {
      return state != 'Z' && state != 'X' && state != 'x';
    }
  }

  /**
   * The live processes of a container.
   *
   * @param session the container's session id (the pid of its top process)
   * @param marker {@code NAME=VALUE} of the container's marker environment variable
   */
  List<ProcessHandle> members(long session, String marker) {
    return members(session, marker, now());
  }

  /**
   * As {@link #members(long, String)}, from a scan of {@code /proc} that this table shares
   * between containers: one taken at or after {@code notBefore} (a reading of {@link #now}; pass
   * the container's start, so that a scan from before it is never used for it) and at most
   * {@link #SNAPSHOT_MAX_AGE_NANOS} old, else a new one. Each candidate is checked again on its
   * own, so a stale entry never counts; a process started after the scan is missed until the
   * next, which the callers' polling rounds tolerate. One scan instead of one per container: with
   * hundreds of containers ending at once (an agent stopping), per-container scans of every
   * process cost seconds per round.
   */
  List<ProcessHandle> members(long session, String marker, long notBefore) {
    byte[] markerBytes = marker.getBytes(StandardCharsets.UTF_8);
    String markerName = marker.substring(0, marker.indexOf('=') + 1);
    Snapshot snapshot = snapshot(markerName, notBefore);
    List<ProcessHandle> found = new ArrayList<>();
    for (Snapshot.Entry e : snapshot.entries()) {
      if (e.session() == session || marker.equals(e.marker())) {
        // Take the handle (which records the start time), then check again: if the pid was
        // reused in between, the check fails or the JDK refuses to signal the stale handle.
        Optional<ProcessHandle> handle = ProcessHandle.of(e.pid());
        if (handle.isPresent() && belongs(e.pid(), session, markerBytes)) {
          found.add(handle.get());
        }
      }
    }
    return found;
  }

  /** The table's monotonic time in nanoseconds, the scale of {@code notBefore}. */
  long now() {
    return clock.nanoTime();
  }

  /** How long a scan of {@code /proc} is shared: below the containers' polling interval. */
  static final long SNAPSHOT_MAX_AGE_NANOS = 20_000_000L;

  /**
   * The running processes outside the JVM's session, as one scan saw them.
   *
   * @param markerName {@code NAME=} of the marker variable whose entries were read
   */
  private record Snapshot(long takenAt, String markerName, List<Entry> entries) {
    /** A process: its session, and its marker entry ({@code NAME=VALUE}) or null. */
    record Entry(long pid, long session, String marker) {}
  }

  private final java.util.concurrent.atomic.AtomicReference<Snapshot> snapshot =
      new java.util.concurrent.atomic.AtomicReference<>();

  private Snapshot snapshot(String markerName, long notBefore) {
    Snapshot s = snapshot.get();
    long now = now();
    if (s != null && s.markerName().equals(markerName) && s.takenAt() - notBefore >= 0
        && now - s.takenAt() <= SNAPSHOT_MAX_AGE_NANOS) {
      return s;
    }
    byte[] prefix = markerName.getBytes(StandardCharsets.UTF_8);
    List<Snapshot.Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
      for (Path dir : dirs) {
        long pid = parsePid(dir.getFileName().toString());
        if (pid <= 1 || pid == selfPid) {
          continue;
        }
        Optional<Stat> stat = stat(pid);
        if (stat.isEmpty() || !stat.get().running() || stat.get().session() == selfSession) {
          continue;
        }
        entries.add(new Snapshot.Entry(pid, stat.get().session(), markerEntry(pid, prefix)));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + proc + ": " + e.getMessage(), e);
    }
    Snapshot taken = new Snapshot(now, markerName, entries);
    snapshot.set(taken);
    return taken;
  }

  /** The entry of {@code pid}'s environment that starts with {@code prefix}, or null. */
  private String markerEntry(long pid, byte[] prefix) {
    byte[] environ;
    try {
      environ = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return null; // gone, a kernel thread, or another user's process
    }
    int start = 0;
    while (start < environ.length) {
      int end = start;
      while (end < environ.length && environ[end] != 0) {
        end++;
      }
      if (end - start >= prefix.length && java.util.Arrays.equals(environ, start, start + prefix.length, prefix, 0, prefix.length)) {
        return new String(environ, start, end - start, StandardCharsets.UTF_8);
      }
      start = end + 1;
    }
    return null;
  }

  /** Sends SIGKILL ({@code force}) or SIGTERM to each process; those already gone are skipped. */
  static void signal(List<ProcessHandle> processes, boolean force) {
    for (ProcessHandle p : processes) {
      if (force) {
        p.destroyForcibly();
      } else {
        p.destroy();
      }
    }
  }

  /** Clock ticks per second of {@code /proc/<pid>/stat} times (USER_HZ, 100 on Linux). */
  static final long TICKS_PER_SECOND = 100;

  /** Bytes per page of {@code /proc/<pid>/stat}'s rss (4 KiB on x86 and most ARM). */
  static final long PAGE_SIZE = 4096;

  /**
   * CPU time (user + system) and resident memory of the given live processes, from their
   * {@code stat}; those gone meanwhile count for nothing. The peak is the memory now.
   */
  ResourceUsage usage(List<ProcessHandle> processes) {
    long ticks = 0;
    long rssPages = 0;
    int count = 0;
    for (ProcessHandle p : processes) {
      try {
        String line = Files.readString(proc.resolve(Long.toString(p.pid())).resolve("stat"));
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        // Fields after comm, 0-based from state: utime 11, stime 12, rss 21.
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        rssPages += Long.parseLong(f[21]);
        count++;
      } catch (IOException | RuntimeException e) {
        // gone meanwhile
      }
    }
    long memory = rssPages * PAGE_SIZE;
    return new ResourceUsage(java.time.Duration.ofMillis(ticks * 1000 / TICKS_PER_SECOND), memory, memory, count);
  }

  private boolean belongs(long pid, long session, byte[] marker) {
    Optional<Stat> stat = stat(pid);
    if (stat.isEmpty() || !stat.get().running() || stat.get().session() == selfSession) {
      return false;
    }
    return stat.get().session() == session || environmentContains(pid, marker);
  }

  Optional<Stat> stat(long pid) {
    try {
      return Optional.of(parseStat(Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // gone, or unreadable: not ours to judge
    }
  }

  private boolean environmentContains(long pid, byte[] entry) {
    byte[] environ;
    try {
      environ = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return false; // gone, a kernel thread, or another user's process
    }
    return containsEntry(environ, entry);
  }

  /** The value of environment variable {@code name} of process {@code pid}, if readable and set. */
  Optional<String> environmentValue(long pid, String name) {
    byte[] environ;
    try {
      environ = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    String prefix = name + "=";
    for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
      if (entry.startsWith(prefix)) {
        return Optional.of(entry.substring(prefix.length()));
      }
    }
    return Optional.empty();
  }

  /** Whether a NUL-separated environment block holds exactly {@code entry}. */
  static boolean containsEntry(byte[] environ, byte[] entry) {
    int start = 0;
    while (start < environ.length) {
      int end = start;
      while (end < environ.length && environ[end] != 0) {
        end++;
      }
      if (end - start == entry.length && java.util.Arrays.equals(environ, start, end, entry, 0, entry.length)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Parses {@code pid (comm) S ppid pgrp session ...}; comm may hold spaces and parentheses. */
  static Stat parseStat(String line) {
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    if (open < 0 || close < open) {
      throw new IllegalArgumentException("malformed stat line: " + line);
    }
    long pid = Long.parseLong(line.substring(0, open).trim());
    String[] rest = line.substring(close + 1).trim().split(" ");
    return new Stat(pid, rest[0].charAt(0), Long.parseLong(rest[1]), Long.parseLong(rest[2]), Long.parseLong(rest[3]));
  }

  private static long parsePid(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) < '0' || name.charAt(i) > '9') {
        return -1;
      }
    }
    return name.isEmpty() || name.length() > 18 ? -1 : Long.parseLong(name);
  }
}
