package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agora.core.model.Resources;
import dev.agora.examples.local.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes on a LocalCluster, driven over HTTP like a Marathon user would. */
class AppsProcessEndToEndTest {
  @TempDir
  Path dir;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper mapper = new ObjectMapper();

  HttpResponse<String> send(int port, String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  List<JsonNode> running(int port) throws IOException, InterruptedException {
    List<JsonNode> out = new ArrayList<>();
    mapper.readTree(send(port, "GET", "/v2/apps/e2e/tasks", null).body()).get("tasks").forEach(t -> {
      if (t.get("state").asText().equals("TASK_RUNNING")) {
        out.add(t);
      }
    });
    return out;
  }

  @Test
  void threeRealInstancesRunAndAKilledProcessIsReplaced() throws Exception {
    Path pids = Files.createDirectories(dir.resolve("pids"));
    try (LocalCluster cluster = new LocalCluster(2, Resources.parse("cpus:4;mem:2048;ports:[31000-31999]"), "",
        dir.resolve("work"));
        AppsService apps = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .httpPort(0).httpHost("127.0.0.1").build().start()) {
      int port = apps.httpPort().orElseThrow();
      assertThat(send(port, "GET", "/ping", null).body()).isEqualTo("pong");
      java.util.concurrent.ConcurrentLinkedQueue<String> events = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.CompletableFuture<Void> streamOpen = new java.util.concurrent.CompletableFuture<>();
      var sse = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/events"))
          .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines())
          .thenAccept(r -> {
            streamOpen.complete(null);
            r.body().forEach(events::add);
          });
      streamOpen.get(10, java.util.concurrent.TimeUnit.SECONDS); // the app's events must not precede the stream
      String cmd = "echo \\\"$$ $PORT0 $PORTS\\\" > " + pids + "/$MESOS_TASK_ID; exec sleep 600";
      HttpResponse<String> created = send(port, "POST", "/v2/apps",
          "{\"id\":\"/e2e\",\"cmd\":\"" + cmd + "\",\"cpus\":0.1,\"mem\":32,\"instances\":3,"
              + "\"taskKillGracePeriodSeconds\":1}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      await().atMost(Duration.ofSeconds(30)).until(() -> running(port).size() == 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> events.containsAll(List.of("event: api_post_event",
          "event: deployment_info", "event: status_update_event", "event: instance_changed_event",
          "event: deployment_step_success", "event: deployment_success")));
      assertThat(events.stream().filter(l -> l.startsWith("data: ") && l.contains("TASK_RUNNING")).count())
          .isGreaterThanOrEqualTo(3);
      sse.cancel(true);
      JsonNode victim = running(port).get(0);
      String victimId = victim.get("id").asText();
      Path pidFile = pids.resolve(victimId);
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
      String[] parts = Files.readString(pidFile).trim().split(" ");
      assertThat(parts[1]).isEqualTo(victim.get("ports").get(0).asText());
      assertThat(parts[2]).isEqualTo(parts[1]);
      ProcessHandle.of(Long.parseLong(parts[0])).orElseThrow().destroyForcibly();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        List<JsonNode> now = running(port);
        return now.size() == 3 && now.stream().noneMatch(t -> t.get("id").asText().equals(victimId));
      });
      JsonNode app = mapper.readTree(send(port, "GET", "/v2/apps/e2e", null).body()).get("app");
      assertThat(app.get("lastTaskFailure").get("taskId").asText()).isEqualTo(victimId);
      assertThat(send(port, "DELETE", "/v2/apps/e2e", null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> send(port, "GET", "/v2/apps/e2e", null).statusCode() == 404);
    }
  }

  /**
   * An HTTP health check against a real server the task starts on $PORT0, run by the agent: the
   * instances turn healthy; one whose health file is removed (404) is replaced and killed.
   */
  @Test
  void agentsRunHttpHealthChecksAgainstRealServersAndAnUnhealthyOneIsReplaced() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0,
        "needs python3 for the task's HTTP server");
    Path sandboxes = Files.createDirectories(dir.resolve("sandboxes"));
    try (LocalCluster cluster = new LocalCluster(2, Resources.parse("cpus:4;mem:2048;ports:[31000-31999]"), "",
        dir.resolve("work"));
        AppsService apps = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .httpPort(0).httpHost("127.0.0.1").build().start()) {
      int port = apps.httpPort().orElseThrow();
      String cmd = "echo ok > health; echo $MESOS_SANDBOX > " + sandboxes + "/$MESOS_TASK_ID;"
          + " exec python3 -m http.server $PORT0 --bind 127.0.0.1";
      HttpResponse<String> created = send(port, "POST", "/v2/apps",
          "{\"id\":\"/e2e\",\"cmd\":\"" + cmd + "\",\"cpus\":0.1,\"mem\":32,\"instances\":2,"
              + "\"taskKillGracePeriodSeconds\":1,\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/health\","
              + "\"portIndex\":0,\"delaySeconds\":0,\"intervalSeconds\":1,\"timeoutSeconds\":2,"
              + "\"gracePeriodSeconds\":30,\"maxConsecutiveFailures\":2}]}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      await().atMost(Duration.ofSeconds(60)).until(() -> healthy(port) == 2);
      String victim = running(port).get(0).get("id").asText();
      Path sandbox = Path.of(Files.readString(sandboxes.resolve(victim)).trim());
      Files.delete(sandbox.resolve("health"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        List<JsonNode> now = running(port);
        return now.size() == 2 && healthy(port) == 2 && now.stream().noneMatch(t -> t.get("id").asText().equals(victim));
      });
      assertThat(send(port, "DELETE", "/v2/apps/e2e", null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> send(port, "GET", "/v2/apps/e2e", null).statusCode() == 404);
    }
  }

  int healthy(int port) throws IOException, InterruptedException {
    return mapper.readTree(send(port, "GET", "/v2/apps/e2e", null).body()).get("app").get("tasksHealthy").asInt();
  }
}
