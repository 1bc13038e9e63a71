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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  @TempDir Path work;
  private AgoraProcesses jvms;
  private HttpSchedulerTransport schedulerTransport;
  private SchedulerDriver driver;

  private Process spawn(String name, String... args) throws IOException {
    if (jvms == null) {
      jvms = new AgoraProcesses(work);
    }
    return jvms.spawn(name, args);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (driver != null) {
      driver.close();
    }
    if (schedulerTransport != null) {
      schedulerTransport.close();
    }
    if (jvms != null) {
      jvms.close();
    }
  }

  @Test
  void masterAndThreeAgentProcessesRunTasksAndAKilledAgentsTaskIsLost() throws Exception {
    Process master = spawn("master", "master", "--port", "0", "--agent-ping-interval", "PT1S",
        "--max-agent-ping-misses", "4", "--heartbeat-interval", "PT1S");
    String masterUrl = jvms.awaitUrl("master", master);
    String masterHostPort = masterUrl.substring(masterUrl.indexOf("://") + 3);
    Map<String, Process> agents = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      String name = "agent-" + i;
      Process a = spawn(name, "agent", "--master", masterHostPort, "--port", "0", "--hostname", name,
          "--resources", "cpus:1;mem:256", "--attributes", "rack:r" + i, "--containerizer", "process", "--work-dir", work.resolve(name).toString());
      agents.put(name, a);
    }
    Map<String, String> agentUrls = new HashMap<>();
    for (Map.Entry<String, Process> e : agents.entrySet()) {
      agentUrls.put(e.getKey(), jvms.awaitUrl(e.getKey(), e.getValue()));
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
    // The agent serves what its container uses (AgentApi).
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    await().atMost(Duration.ofSeconds(30)).until(() -> http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(agentUrls.get("agent-1") + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body()
        .matches("(?s).*\\nagora_container_processes\\{[^}]*task_id=\"long\"[^}]*\\} [1-9].*"));
    Process victim = agents.get("agent-1");
    jvms.killLater(victim.toHandle());
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
