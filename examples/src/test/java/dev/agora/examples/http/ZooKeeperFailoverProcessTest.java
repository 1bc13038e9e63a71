package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HA over ZooKeeper with real processes: an in-process ZooKeeper server, two {@code agora master
 * --zk} JVMs, one {@code agora agent --master zk://...} JVM and a framework in this JVM following
 * the leader through {@code ZooKeeperCoordination.masterDetector()}. SIGKILL the leader: the other
 * master leads, the agent re-registers with it (its running task re-adopted), the framework
 * resubscribes under its framework id and reconciles the task as RUNNING. Then ZooKeeper stops:
 * the new leader can no longer be sure it leads, so it exits with status 3.
 */
class ZooKeeperFailoverProcessTest {
  private static final String SESSION = "PT4S";

  @TempDir Path work;
  private AgoraProcesses jvms;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private TestingServer zookeeper;
  private ZooKeeperCoordination frameworkZk;
  private HttpSchedulerTransport schedulerTransport;
  private SchedulerDriver driver;

  private Process spawn(String name, String... args) throws IOException {
    if (jvms == null) {
      jvms = new AgoraProcesses(work);
    }
    return jvms.spawn(name, args);
  }

  private Process master(String name, String zkUrl) throws IOException {
    return spawn(name, "master", "--zk", zkUrl, "--zk-session-timeout", SESSION, "--port", "0",
        "--agent-ping-interval", "PT1S", "--max-agent-ping-misses", "5", "--heartbeat-interval", "PT1S");
  }

  private boolean leads(String masterUrl) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(masterUrl + "/health")).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private JsonNode operator(String masterUrl, String type) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterUrl + "/api/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"type\":\"" + type + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return MesosJson.parse(r.body().getBytes());
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      driver.close();
    }
    if (schedulerTransport != null) {
      schedulerTransport.close();
    }
    if (frameworkZk != null) {
      frameworkZk.close();
    }
    if (jvms != null) {
      jvms.close(); // the agent's and masters' processes go before ZooKeeper
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  @Test
  void killingTheLeaderMovesAgentAndFrameworkToTheNewLeaderAndTheTaskKeepsRunning() throws Exception {
    zookeeper = new TestingServer(true);
    String zkUrl = "zk://" + zookeeper.getConnectString() + "/agora";

    // Master A first, so that it leads; then B stands by.
    Process masterA = master("master-a", zkUrl);
    String urlA = jvms.awaitUrl("master-a", masterA);
    await().atMost(Duration.ofSeconds(20)).until(() -> leads(urlA));
    Process masterB = master("master-b", zkUrl);
    String urlB = jvms.awaitUrl("master-b", masterB);
    assertThat(leads(urlB)).as("a second master stands by").isFalse();

    Process agent = spawn("agent", "agent", "--master", zkUrl, "--zk-session-timeout", SESSION, "--port", "0",
        "--hostname", "agent-0", "--resources", "cpus:1;mem:256", "--containerizer", "process",
        "--work-dir", work.resolve("agent").toString());
    jvms.awaitUrl("agent", agent);
    await().atMost(Duration.ofSeconds(20)).until(() -> operator(urlA, "GET_AGENTS").at("/get_agents/agents").size() == 1);
    String agentId = operator(urlA, "GET_AGENTS").at("/get_agents/agents/0/agent_info/id/value").asText();

    // A framework following the leader through ZooKeeper, with one long task.
    HttpClusterTest.Recorder r = new HttpClusterTest.Recorder();
    frameworkZk = ZooKeeperCoordination.builder().url(zkUrl).sessionTimeout(Duration.ofSeconds(4))
        .connectionTimeout(Duration.ofSeconds(2)).build();
    schedulerTransport = HttpSchedulerTransport.create();
    driver = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of("ha-fw"))
        .masterDetector(frameworkZk.masterDetector())
        .framework(FrameworkInfo.builder("ha-fw").user("root").failoverTimeout(Duration.ofMinutes(5)).build())
        .scheduler(r).start();
    await().atMost(Duration.ofSeconds(20)).until(() -> !r.offers.isEmpty());
    FrameworkId frameworkId = r.subscribed.get(0);
    Offer offer = r.offers.get(0);
    assertThat(offer.agentId().value()).isEqualTo(agentId);
    driver.launch(offer, List.of(TaskInfo.of(TaskId.of("long"), offer.agentId(), Resources.parse("cpus:0.25;mem:32"),
        CommandInfo.shell("sleep 120"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> r.states("long").contains(TaskState.RUNNING));
    List<ProcessHandle> taskProcesses = agent.descendants().toList();
    assertThat(taskProcesses).as("the task's processes").isNotEmpty();

    // SIGKILL the leader.
    jvms.killLater(masterA.toHandle());
    long killed = System.nanoTime();
    masterA.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    int updatesBefore = r.updates.size();

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> leads(urlB));
    long elected = System.nanoTime();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
        operator(urlB, "GET_AGENTS").at("/get_agents/agents").size() == 1);
    long reregistered = System.nanoTime();
    assertThat(operator(urlB, "GET_AGENTS").at("/get_agents/agents/0/agent_info/id/value").asText())
        .as("the same agent, re-registered").isEqualTo(agentId);
    JsonNode tasks = operator(urlB, "GET_TASKS").at("/get_tasks/tasks");
    assertThat(tasks.size()).as(tasks.toString()).isEqualTo(1);
    assertThat(tasks.get(0).at("/task_id/value").asText()).isEqualTo("long");
    assertThat(tasks.get(0).at("/state").asText()).isEqualTo("TASK_RUNNING");

    // The framework resubscribes with its id and reconciles the task as RUNNING.
    await().atMost(Duration.ofSeconds(30)).until(() -> r.subscribed.size() >= 2);
    assertThat(r.subscribed).containsOnly(frameworkId);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
      driver.reconcile(List.of(new SchedulerCall.ReconcileTask(TaskId.of("long"), Optional.of(offer.agentId()))));
      return r.updates.subList(updatesBefore, r.updates.size()).stream()
          .anyMatch(u -> u.taskId().value().equals("long") && u.state() == TaskState.RUNNING);
    });
    long reconciled = System.nanoTime();
    List<TaskStatus> after = r.updates.subList(updatesBefore, r.updates.size());
    assertThat(after).as("nothing but RUNNING after the failover: %s", after)
        .allMatch(u -> !u.taskId().value().equals("long") || u.state() == TaskState.RUNNING);
    assertThat(taskProcesses).as("the same task processes still run").allMatch(ProcessHandle::isAlive);
    assertThat(masterB.isAlive()).isTrue();
    assertThat(agent.isAlive()).isTrue();

    // Without ZooKeeper, the leader cannot be sure it leads: it stops acting and exits (status 3).
    zookeeper.stop();
    long zkStopped = System.nanoTime();
    assertThat(masterB.waitFor(30, TimeUnit.SECONDS)).as("the deposed leader exits").isTrue();
    long exited = System.nanoTime();
    assertThat(masterB.exitValue()).isEqualTo(3);
    assertThat(Files.readString(work.resolve("master-b.log"))).contains("lost its leadership");
    System.err.printf("ZooKeeper stopped -> leader exited in %d ms%n", TimeUnit.NANOSECONDS.toMillis(exited - zkStopped));

    System.err.printf("ZooKeeper failover (session %s): leader killed -> new leader %d ms, agent re-registered %d ms,"
        + " framework reconciled RUNNING %d ms%n", SESSION, TimeUnit.NANOSECONDS.toMillis(elected - killed),
        TimeUnit.NANOSECONDS.toMillis(reregistered - killed), TimeUnit.NANOSECONDS.toMillis(reconciled - killed));
  }
}
