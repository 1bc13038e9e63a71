package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.examples.local.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two jobs-service instances on one store and one election, over real HTTP: the follower forwards
 * every API call (method, path, query, body) to the leader and relays its answer; with no leader
 * it answers 503 saying so; {@code /leader} names the leader; when the lead moves, so does the
 * forwarding.
 */
class JobsProxyTest {
  @TempDir
  Path dir;

  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> call(int port, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json");
    b.method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void followerForwardsEveryCallToTheLeaderAndSays503WithoutOne() throws Exception {
    TestElection election = new TestElection();
    InMemoryStateStore store = new InMemoryStateStore();
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:2;mem:1024;disk:1024"), "", dir);
        JobsService a = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("jobs-a")).stateStore(store).leaderElection(election::candidate)
            .leaderDetector(election.detector()).http("127.0.0.1", 0).start();
        JobsService b = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("jobs-b")).stateStore(store).leaderElection(election::candidate)
            .leaderDetector(election.detector()).http("127.0.0.1", 0).start()) {
      int pa = a.httpPort();
      int pb = b.httpPort();
      await().atMost(Duration.ofSeconds(20)).until(() -> a.engine().orElseThrow().isLeader());
      assertThat(election.leader()).contains(Address.of("http://127.0.0.1:" + pa));
      assertThat(call(pb, "GET", "/v1/scheduler/leader", "").body()).isEqualTo("{\"leader\":\"127.0.0.1:" + pa + "\"}");
      assertThat(call(pa, "GET", "/v1/scheduler/leader", "").body()).isEqualTo("{\"leader\":\"127.0.0.1:" + pa + "\"}");

      // Create through the follower: the leader stores it.
      HttpResponse<String> created = call(pb, "POST", "/v1/scheduler/iso8601",
          "{\"name\":\"via-b\",\"command\":\"true\",\"schedule\":\"R/2099-01-01T00:00:00Z/PT1H\",\"owner\":\"ops\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(204);
      assertThat(call(pa, "GET", "/v1/scheduler/jobs", "").body()).contains("\"name\":\"via-b\"");
      assertThat(store.keys(JobsEngine.DEFINITIONS)).containsExactly(JobsEngine.DEFINITIONS + "via-b");
      // Query strings, bodies, methods and error answers go through unchanged.
      assertThat(call(pb, "GET", "/v1/scheduler/jobs/search?name=via", "").body()).contains("\"name\":\"via-b\"");
      assertThat(call(pb, "GET", "/v1/scheduler/jobs/search?name=nothing", "").body()).isEqualTo("[]");
      HttpResponse<String> bad = call(pb, "POST", "/v1/scheduler/iso8601",
          "{\"name\":\"bad\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT-5S\"}");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("must be positive");
      HttpResponse<String> ran = call(pb, "PUT", "/v1/scheduler/job/via-b?arguments=one%20two", "");
      assertThat(ran.statusCode()).isEqualTo(200);
      assertThat(ran.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(ran.body()).contains("\"started\":true", "\"arguments\":[\"one\",\"two\"]");
      assertThat(call(pb, "GET", "/v1/scheduler/job/nope", "").statusCode()).isEqualTo(404);
      assertThat(call(pb, "GET", "/v1/scheduler/graph/csv", "").headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));

      // No leader: both answer 503 saying so, and store nothing.
      election.depose();
      await().atMost(Duration.ofSeconds(10)).until(() -> !a.engine().orElseThrow().isLeader());
      for (int port : new int[] {pa, pb}) {
        HttpResponse<String> none = call(port, "POST", "/v1/scheduler/iso8601",
            "{\"name\":\"lost\",\"command\":\"true\",\"schedule\":\"R//PT1H\"}");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.body()).contains("no jobs-service leader is known");
        assertThat(call(port, "GET", "/v1/scheduler/leader", "").body()).isEqualTo("{\"leader\":\"\"}");
      }
      assertThat(store.keys(JobsEngine.DEFINITIONS)).containsExactly(JobsEngine.DEFINITIONS + "via-b");

      // B leads: it answers from the stored state, and A forwards to it.
      election.elect(Address.of("http://127.0.0.1:" + pb));
      await().atMost(Duration.ofSeconds(20)).until(() -> b.engine().orElseThrow().isLeader());
      assertThat(call(pa, "GET", "/v1/scheduler/leader", "").body()).isEqualTo("{\"leader\":\"127.0.0.1:" + pb + "\"}");
      await().atMost(Duration.ofSeconds(20)).until(() -> call(pa, "GET", "/v1/scheduler/jobs", "").statusCode() == 200);
      assertThat(call(pa, "GET", "/v1/scheduler/jobs", "").body()).contains("\"name\":\"via-b\"", "\"owner\":\"ops\"");
      assertThat(call(pa, "DELETE", "/v1/scheduler/job/via-b", "").statusCode()).isEqualTo(204);
      assertThat(call(pb, "GET", "/v1/scheduler/jobs", "").body()).isEqualTo("[]");
      assertThat(store.keys(JobsEngine.DEFINITIONS)).isEmpty();
    }
  }
}
