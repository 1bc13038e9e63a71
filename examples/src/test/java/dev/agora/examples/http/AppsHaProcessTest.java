package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.codec.MesosJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Apps-service HA on real processes: a master and two agents ({@code agora master/agent --zk}),
 * two {@code agora apps --master zk://... --zk zk://...} JVMs and a real ZooKeeper. SIGKILL the
 * apps leader during a rolling upgrade of 10 instances (minimumHealthCapacity 0.8,
 * maximumOverCapacity 0.2): the other apps service takes over, the same deployment completes, and
 * the master's count of running tasks stays within 8..12 at every sample. Slow (six JVMs).
 */
@Tag("slow")
class AppsHaProcessTest {
  private static final String SESSION = "PT4S";

  @TempDir Path work;
  private AgoraProcesses jvms;
  private TestingServer zookeeper;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stop() throws Exception {
    if (jvms != null) {
      jvms.close();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  private HttpResponse<String> send(String base, String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private Set<String> runningTasks(String masterUrl) throws Exception {
    HttpResponse<String> r = send(masterUrl, "POST", "/api/v1", "{\"type\":\"GET_TASKS\"}");
    Set<String> out = new HashSet<>();
    if (r.statusCode() != 200) {
      return null;
    }
    JsonNode tasks = MesosJson.parse(r.body().getBytes()).at("/get_tasks/tasks");
    tasks.forEach(t -> {
      if (t.at("/state").asText().equals("TASK_RUNNING")) {
        out.add(t.at("/task_id/value").asText());
      }
    });
    return out;
  }

  private boolean leads(String appsUrl) {
    try {
      // a follower proxies /v2/info to the leader: only an unproxied answer is this instance's own
      HttpResponse<String> r = send(appsUrl, "GET", "/v2/info", null);
      return r.headers().firstValue("X-Marathon-Leader").isEmpty() && r.body().contains("\"elected\":true");
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void killingTheAppsLeaderDuringARollingUpgradeLetsTheOtherFinishItWithinTheBounds() throws Exception {
    zookeeper = new TestingServer(true);
    String zk = "zk://" + zookeeper.getConnectString() + "/agora";
    jvms = new AgoraProcesses(work);
    Process master = jvms.spawn("master", "master", "--zk", zk, "--zk-session-timeout", SESSION, "--port", "0",
        "--agent-ping-interval", "PT1S", "--heartbeat-interval", "PT1S");
    String masterUrl = jvms.awaitUrl("master", master);
    for (int i = 0; i < 2; i++) {
      Process agent = jvms.spawn("agent-" + i, "agent", "--master", zk, "--zk-session-timeout", SESSION, "--port", "0",
          "--hostname", "agent-" + i, "--resources", "cpus:2;mem:1024;ports:[" + (31000 + 1000 * i) + "-"
          + (31999 + 1000 * i) + "]", "--containerizer", "process", "--work-dir", work.resolve("agent-" + i).toString());
      jvms.awaitUrl("agent-" + i, agent);
    }
    Process appsA = jvms.spawn("apps-a", "apps", "--master", zk, "--zk", zk, "--zk-session-timeout", SESSION,
        "--port", "0");
    String urlA = jvms.awaitUrl("apps-a", appsA);
    await().atMost(Duration.ofSeconds(30)).until(() -> leads(urlA));
    Process appsB = jvms.spawn("apps-b", "apps", "--master", zk, "--zk", zk, "--zk-session-timeout", SESSION,
        "--port", "0");
    String urlB = jvms.awaitUrl("apps-b", appsB);
    assertThat(leads(urlB)).as("the second apps service stands by").isFalse();

    // through the follower (proxied to the leader)
    HttpResponse<String> created = send(urlB, "POST", "/v2/apps", "{\"id\":\"/ha\",\"cmd\":\"sleep 600\","
        + "\"cpus\":0.05,\"mem\":16,\"instances\":10,\"taskKillGracePeriodSeconds\":1,"
        + "\"upgradeStrategy\":{\"minimumHealthCapacity\":0.8,\"maximumOverCapacity\":0.2}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Set<String> r = runningTasks(masterUrl);
      return r != null && r.size() == 10 && send(urlA, "GET", "/v2/deployments", null).body().equals("[]");
    });
    Set<String> v1 = runningTasks(masterUrl);

    AtomicInteger fewest = new AtomicInteger(Integer.MAX_VALUE);
    AtomicInteger most = new AtomicInteger();
    HttpResponse<String> put = send(urlA, "PUT", "/v2/apps/ha", "{\"cmd\":\"sleep 601\"}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    String deploymentId = MesosJson.parse(put.body().getBytes()).get("deploymentId").asText();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      Set<String> r = runningTasks(masterUrl);
      if (r == null) {
        return false;
      }
      fewest.accumulateAndGet(r.size(), Math::min);
      most.accumulateAndGet(r.size(), Math::max);
      return r.stream().filter(t -> !v1.contains(t)).count() >= 2;
    });
    // SIGKILL the apps leader mid-upgrade
    jvms.killLater(appsA.toHandle());
    appsA.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100)).until(() -> {
      Set<String> r = runningTasks(masterUrl);
      if (r != null) {
        fewest.accumulateAndGet(r.size(), Math::min);
        most.accumulateAndGet(r.size(), Math::max);
      }
      if (!leads(urlB)) {
        return false;
      }
      HttpResponse<String> d = send(urlB, "GET", "/v2/deployments", null);
      if (d.statusCode() == 200 && d.body().contains(deploymentId)) {
        return false; // the same deployment, resumed
      }
      return d.statusCode() == 200 && d.body().equals("[]") && r != null && r.size() == 10
          && r.stream().noneMatch(v1::contains);
    });
    System.err.printf("apps HA: running tasks stayed within %d..%d across the leader kill%n", fewest.get(), most.get());
    assertThat(fewest.get()).as("fewest running tasks at any sample").isGreaterThanOrEqualTo(8);
    assertThat(most.get()).as("most running tasks at any sample").isLessThanOrEqualTo(12);
    JsonNode app = MesosJson.parse(send(urlB, "GET", "/v2/apps/ha", null).body().getBytes()).get("app");
    assertThat(app.get("tasksRunning").asInt()).isEqualTo(10);
    assertThat(app.get("cmd").asText()).isEqualTo("sleep 601");
  }
}
