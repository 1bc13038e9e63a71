package dev.agora.containers;

/**
 * Names of Linux signals as the kernel numbers them on x86 and ARM (other architectures number a
 * few differently). Stateless.
 */
final class Signals {
  private static final String[] NAMES = {
    null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
  };

  /** The highest signal number (SIGRTMAX). */
  static final int MAX = 64;

  private Signals() {}

  /** The name of signal {@code n}, e.g. {@code SIGTERM}; {@code SIGRTMIN+k} for real-time ones. */
  static String name(int n) {
    if (n <= 0 || n > MAX) {
      throw new IllegalArgumentException("signal number must be in [1, " + MAX + "] but was " + n);
    }
    if (n < NAMES.length) {
      return NAMES[n];
    }
    return n == 34 ? "SIGRTMIN" : n == MAX ? "SIGRTMAX" : n < 34 ? "SIG" + n : "SIGRTMIN+" + (n - 34);
  }
}
