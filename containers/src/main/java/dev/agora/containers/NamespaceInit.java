package dev.agora.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What {@code /proc/<pid>/status} says about a process's namespace and signals. Stateless. */
final class NamespaceInit {
  private static final long SIGTERM_BIT = 1L << (15 - 1);

  /** The $0 of the shell that sets a container's namespaces up before it execs the command. */
  static final String INIT_NAME = "agora-init";

  private NamespaceInit() {}

  /** Whether {@code pid} is still the setup shell (its argv is {@code sh -c script agora-init ...}). */
  static boolean settingUp(long pid) {
    try {
      String[] argv = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0", 5);
      return argv.length >= 4 && argv[1].equals("-c") && argv[3].equals(INIT_NAME);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether {@code pid} is pid 1 of a nested pid namespace and neither catches nor ignores
   * SIGTERM, so that the kernel would drop a SIGTERM sent to it.
   */
  static boolean isInitIgnoringTerm(long pid) {
    try {
      return isInitIgnoringTerm(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  static boolean isInitIgnoringTerm(String status) {
    boolean init = false;
    long caught = 0;
    long ignored = 0;
    for (String line : status.split("\n")) {
      if (line.startsWith("NSpid:")) {
        String[] ids = line.substring(6).trim().split("\\s+");
        init = ids.length > 1 && ids[ids.length - 1].equals("1");
      } else if (line.startsWith("SigCgt:")) {
        caught = Long.parseUnsignedLong(line.substring(7).trim(), 16);
      } else if (line.startsWith("SigIgn:")) {
        ignored = Long.parseUnsignedLong(line.substring(7).trim(), 16);
      }
    }
    return init && (caught & SIGTERM_BIT) == 0 && (ignored & SIGTERM_BIT) == 0;
  }

  /** Whether {@code pid} is pid 1 of a nested pid namespace. */
  static boolean isInit(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("NSpid:")) {
          String[] ids = line.substring(6).trim().split("\\s+");
          return ids.length > 1 && ids[ids.length - 1].equals("1");
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return false;
  }

  /** Whether {@code pid} is a zombie or gone. */
  static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state == 'Z' || state == 'X';
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }
}
