package dev.agora.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Reading and writing cgroup files, shared by both versions. Stateless. */
final class CgroupFiles {
  private CgroupFiles() {}

  /** Writes {@code value} in one write, as the kernel wants; the exception names the file. */
  static void write(Path file, String value) throws IOException {
    try {
      Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new IOException("cannot write '" + value + "' to " + file + ": " + e.getMessage(), e);
    }
  }

  static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  /** A file's number, or {@code otherwise} if it cannot be read (gone, or not on this kernel). */
  static long number(Path file, long otherwise) {
    try {
      String s = read(file).trim();
      return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
    } catch (IOException | RuntimeException e) {
      return otherwise;
    }
  }

  /** The value of {@code key} in a flat keyed file ({@code key value} lines), or {@code otherwise}. */
  static long keyed(Path file, String key, long otherwise) {
    try {
      for (String line : read(file).split("\n")) {
        int space = line.indexOf(' ');
        if (space > 0 && line.substring(0, space).equals(key)) {
          return Long.parseLong(line.substring(space + 1).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return otherwise;
  }

  /** The pids listed in a {@code cgroup.procs}; empty if the cgroup is gone. */
  static List<Long> pids(Path procs) {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : read(procs).split("\n")) {
        if (!line.isBlank()) {
          pids.add(Long.parseLong(line.trim()));
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return pids;
  }

  /** SIGKILL to each pid that is still there; pids are those of this JVM's pid namespace. */
  static void kill(List<Long> pids, boolean force) {
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(force ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
    }
  }

  /**
   * Removes a cgroup directory, once: false if the kernel still counts a process in it (try
   * again later). Idempotent.
   */
  static boolean rmdir(Path dir) {
    try {
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * How long a kill waits for a freezer to settle. Short: a cgroup with a task dying of OOM may
   * stay FREEZING for long, and SIGKILL works frozen or not (the ending container's poll repeats it
   * for whatever forked meanwhile).
   */
  static final int FREEZE_WAIT_ROUNDS = 250;

  /** The pause between two reads of a settling freezer: 250 rounds of it make about 50 ms. */
  private static final long FREEZE_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  /**
   * Polls {@code file} until it reads {@code value} (a freezer settling), at most
   * {@link #FREEZE_WAIT_ROUNDS} times: a bound by count, not by reading a clock.
   */
  static boolean await(Path file, String value) {
    for (int round = 0; round < FREEZE_WAIT_ROUNDS; round++) {
      try {
        if (read(file).trim().equals(value)) {
          return true;
        }
      } catch (IOException e) {
        return false;
      }
      LockSupport.parkNanos(FREEZE_POLL_NANOS);
    }
    return false;
  }
}
