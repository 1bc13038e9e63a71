package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every part in a JVM of its own on loopback: a master ({@code agora master}), three agents
 * ({@code agora agent}) and a partition-aware framework ({@link FrameworkProcessMain}, over the
 * HTTP scheduler client). Tasks run to completion on every agent; a SIGKILLed agent is removed
 * after missed pings and the framework hears its task UNREACHABLE and the agent's failure. SIGTERM
 * stops the master gracefully (exit 0 or 143).
 */
class MultiProcessClusterTest {

  @TempDir Path work;
  private AgoraProcesses jvms;

  private Process spawn(String name, String... args) throws IOException {
    if (jvms == null) {
      jvms = new AgoraProcesses(work);
    }
    return jvms.spawn(name, args);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (jvms != null) {
      jvms.close();
    }
  }

  private String frameworkLog() throws IOException {
    Path log = work.resolve("framework.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Test
  void masterThreeAgentsAndAFrameworkAsProcessesRunTasksAndAKilledAgentsTaskIsUnreachable() throws Exception {
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

    // The framework in its own JVM: one short task per agent, then a long one on agent-1.
    Process framework = jvms.spawnMain("framework", FrameworkProcessMain.class, masterUrl, "3", "agent-1");
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      assertThat(framework.isAlive()).as("framework process alive; log:\n%s", frameworkLog()).isTrue();
      String log = frameworkLog();
      for (int i = 0; i < 3; i++) {
        assertThat(log).contains("UPDATE echo-agent-" + i + " FINISHED");
      }
      assertThat(log).contains("UPDATE long RUNNING");
    });
    // The agent serves what its container uses (AgentApi).
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    await().atMost(Duration.ofSeconds(30)).until(() -> http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(agentUrls.get("agent-1") + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body()
        .matches("(?s).*\\nagora_container_processes\\{[^}]*task_id=\"long\"[^}]*\\} [1-9].*"));

    // SIGKILL agent-1: the master notices by missed pings; the partition-aware framework hears UNREACHABLE.
    Process victim = agents.get("agent-1");
    jvms.killLater(victim.toHandle());
    victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      String log = frameworkLog();
      assertThat(log).contains("UPDATE long UNREACHABLE REASON_AGENT_REMOVED");
      assertThat(log).contains("FAILURE ");
    });
    assertThat(frameworkLog()).doesNotContain("UPDATE long LOST");

    // SIGTERM stops the master gracefully.
    master.destroy();
    assertThat(master.waitFor(15, TimeUnit.SECONDS)).isTrue();
    assertThat(master.exitValue()).isIn(0, 143);
  }
}
