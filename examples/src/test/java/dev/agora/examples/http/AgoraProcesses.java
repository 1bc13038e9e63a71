package dev.agora.examples.http;

import static org.awaitility.Awaitility.await;

import dev.agora.examples.cli.AgoraCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `agora` subcommands run as child JVMs from the test classpath, each logging to
 * {@code <work>/<name>.log}; {@link #close} stops them and anything they left running.
 * Set {@code -Dagora.test.dumpLogs=true} to print their logs at the end.
 */
final class AgoraProcesses implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on (https?://[^,\\s]+)");

  private final Path work;
  private final List<Process> processes = new ArrayList<>();
  private final List<ProcessHandle> leftovers = new ArrayList<>();

  AgoraProcesses(Path work) {
    this.work = work;
  }

  /** Starts {@code agora <args>} as a child JVM named {@code name}. */
  Process spawn(String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx128m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dlogback.configurationFile=logback.xml");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(AgoraCli.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".log").toFile());
    pb.environment().put("AGORA_LOG_LEVEL", "INFO");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Waits until the process logs the URL it listens on, failing if it exits first. */
  String awaitUrl(String name, Process p) {
    return awaitUrl(name, p, Duration.ofSeconds(30));
  }

  /** {@link #awaitUrl(String, Process)} with a deadline of its own (JVMs start slowly under load). */
  String awaitUrl(String name, Process p, Duration deadline) {
    Path log = work.resolve(name + ".log");
    String[] url = new String[1];
    await().atMost(deadline).pollInterval(Duration.ofMillis(50)).until(() -> {
      if (!p.isAlive()) {
        throw new AssertionError(name + " exited " + p.exitValue() + ": " + Files.readString(log));
      }
      Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        url[0] = m.group(1);
        return true;
      }
      return false;
    });
    return url[0];
  }

  /** Remembers what {@code p} started, to kill it at {@link #close} (call before killing {@code p}). */
  void killLater(ProcessHandle p) {
    leftovers.addAll(p.descendants().toList());
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      leftovers.addAll(p.descendants().toList());
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    leftovers.forEach(ProcessHandle::destroyForcibly);
    if (Boolean.getBoolean("agora.test.dumpLogs")) {
      try (var logs = Files.list(work)) {
        for (Path log : logs.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
          System.err.println("==== " + log.getFileName() + "\n" + Files.readString(log));
        }
      } catch (IOException e) {
        System.err.println("cannot read logs: " + e);
      }
    }
  }
}
