package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.examples.cli.AgoraCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master JVM and three agent JVMs ({@code agora master}, {@code agora agent}, started from the
 * test's classpath) and a framework in this JVM over the HTTP scheduler API, on loopback: tasks
 * run to completion on every agent; a SIGKILLed agent is removed after missed pings and its task
 * reported LOST. SIGTERM stops the master gracefully (exit 0 or 143).
 */
class MultiProcessClusterTest {
  private static final Pattern LISTENING = Pattern.compile("listening on (https?://[^,\\s]+)");

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private final List<ProcessHandle> leftovers = new ArrayList<>();
  private HttpSchedulerTransport schedulerTransport;
  private SchedulerDriver driver;

  private Process spawn(String name, String... args) throws IOException {
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

  private String awaitUrl(String name, Process p) {
    Path log = work.resolve(name + ".log");
    String[] url = new String[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
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

  @AfterEach
  void stop() throws InterruptedException {
    if (driver != null) {
      driver.close();
    }
    if (schedulerTransport != null) {
      schedulerTransport.close();
    }
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

  @Test
  void masterAndThreeAgentProcessesRunTasksAndAKilledAgentsTaskIsLost() throws Exception {
    Process master = spawn("master", "master", "--port", "0", "--agent-ping-interval", "PT1S",
        "--max-agent-ping-misses", "4", "--heartbeat-interval", "PT1S");
    String masterUrl = awaitUrl("master", master);
    String masterHostPort = masterUrl.substring(masterUrl.indexOf("://") + 3);
    Map<String, Process> agents = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      String name = "agent-" + i;
      Process a = spawn(name, "agent", "--master", masterHostPort, "--port", "0", "--hostname", name,
          "--resources", "cpus:1;mem:256", "--attributes", "rack:r" + i, "--containerizer", "process", "--work-dir", work.resolve(name).toString());
      agents.put(name, a);
    }
    for (Map.Entry<String, Process> e : agents.entrySet()) {
      awaitUrl(e.getKey(), e.getValue());
    }

    HttpClusterTest.Recorder r = new HttpClusterTest.Recorder();
    schedulerTransport = HttpSchedulerTransport.create();
    driver = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of("multi"))
        .master(Address.of(masterUrl + "/master")).framework(FrameworkInfo.builder("multi").user("root").build())
        .scheduler(r).start();
    await().atMost(Duration.ofSeconds(30)).until(() ->
        r.offers.stream().map(Offer::hostname).distinct().count() == 3);

    // One short task per agent, each to FINISHED.
    Map<String, Offer> byHost = new HashMap<>();
    for (Offer o : r.offers) {
      byHost.putIfAbsent(o.hostname(), o);
    }
    for (Offer o : byHost.values()) {
      driver.launch(o, List.of(TaskInfo.of(TaskId.of("echo-" + o.hostname()), o.agentId(),
          Resources.parse("cpus:0.25;mem:32"), CommandInfo.shell("echo ran on " + o.hostname()))));
    }
    await().atMost(Duration.ofSeconds(30)).until(() ->
        byHost.keySet().stream().allMatch(h -> r.states("echo-" + h).contains(TaskState.FINISHED)));

    // A long task on agent-1; then SIGKILL agent-1: the master notices by missed pings.
    java.util.Set<dev.agora.core.model.OfferId> used = new java.util.HashSet<>();
    byHost.values().forEach(o -> used.add(o.id()));
    java.util.function.Predicate<Offer> fresh = o -> !used.contains(o.id()) && o.hostname().equals("agent-1")
        && o.resources().cpus() >= 0.25;
    await().atMost(Duration.ofSeconds(30)).until(() -> r.offers.stream().anyMatch(fresh));
    Offer again = r.offers.stream().filter(fresh).findFirst().orElseThrow();
    driver.launch(again, List.of(TaskInfo.of(TaskId.of("long"), again.agentId(), Resources.parse("cpus:0.25;mem:32"),
        CommandInfo.shell("sleep 60"))));
    await().atMost(Duration.ofSeconds(30)).until(() -> r.states("long").contains(TaskState.RUNNING));
    Process victim = agents.get("agent-1");
    leftovers.addAll(victim.descendants().toList());
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(30)).until(() -> r.states("long").contains(TaskState.LOST));
    TaskStatus lost = r.updates.stream().filter(u -> u.taskId().value().equals("long")
        && u.state() == TaskState.LOST).findFirst().orElseThrow();
    assertThat(lost.reason()).contains(TaskStatus.Reason.REASON_AGENT_REMOVED);
    await().atMost(Duration.ofSeconds(10)).until(() -> r.failures.contains(again.agentId()));

    // SIGTERM stops the master gracefully.
    master.destroy();
    assertThat(master.waitFor(15, TimeUnit.SECONDS)).isTrue();
    assertThat(master.exitValue()).isIn(0, 143);
  }
}
