package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.model.Resources;
import dev.agora.examples.local.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: the jobs service on a LocalCluster, driven over HTTP. */
class JobsEndToEndTest {
  @TempDir
  Path dir;

  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> call(int port, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json");
    b.method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode history(int port, String job) throws Exception {
    return JobJson.MAPPER.readTree(call(port, "GET", "/v1/scheduler/job/stat/" + job, "").body())
        .get("taskStatHistory");
  }

  @Test
  void jobsRunRealShellCommandsAndReportThroughTheApi() throws Exception {
    Path marker = dir.resolve("marker");
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:2;mem:1024;disk:1024"), "", dir);
        JobsService jobs = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .http("127.0.0.1", 0).retryBackoff(Duration.ofMillis(200)).start()) {
      int port = jobs.httpPort();
      HttpResponse<String> created = call(port, "POST", "/v1/scheduler/iso8601", "{\"name\":\"hello\","
          + "\"command\":\"echo ran $CHRONOS_JOB_NAME >> " + marker + "\",\"schedule\":\"R1/2099-01-01T00:00:00Z/PT1H\","
          + "\"cpus\":\"0.5\",\"mem\":\"64\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(204);
      assertThat(call(port, "POST", "/v1/scheduler/dependency",
          "{\"name\":\"after\",\"command\":\"exit 3\",\"parents\":[\"hello\"],\"retries\":1}").statusCode())
          .isEqualTo(204);
      // Run the parent only once its child exists: a child waits for parent successes after it was
      // defined (Chronos), so a parent that ran first would leave it waiting for the next cycle.
      assertThat(call(port, "PUT", "/v1/scheduler/job/hello", "").statusCode()).isEqualTo(200);

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode h = history(port, "hello");
        assertThat(h.size()).as(h.toString()).isEqualTo(1);
        assertThat(h.get(0).get("state").asText()).isEqualTo("SUCCESS");
      });
      assertThat(Files.readString(marker)).isEqualTo("ran hello\n");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode h = history(port, "after");
        assertThat(h.size()).as(h.toString()).isEqualTo(1);
        assertThat(h.get(0).get("state").asText()).isEqualTo("FAILED");
        assertThat(h.get(0).get("attempt").asInt()).isEqualTo(2);
        assertThat(h.get(0).get("reason").asText()).contains("status 3");
      });
      String list = call(port, "GET", "/v1/scheduler/jobs", "").body();
      assertThat(list).contains("\"name\":\"hello\"", "\"successCount\":1", "\"name\":\"after\"", "\"errorCount\":1");

      HttpResponse<String> bad = call(port, "POST", "/v1/scheduler/iso8601",
          "{\"name\":\"bad\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT0S\"}");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("PT0S");
      assertThat(call(port, "GET", "/v1/scheduler/leader", "").body()).contains("127.0.0.1:" + port);

      // Run now, again, over HTTP.
      assertThat(call(port, "PUT", "/v1/scheduler/job/hello", "").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(
          () -> assertThat(Files.readString(marker)).isEqualTo("ran hello\nran hello\n"));
    }
  }
}
