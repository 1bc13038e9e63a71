package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.security.Acls;
import dev.agora.core.transport.http.CredentialsAuthenticator;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import dev.agora.core.transport.http.RecordIo;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mesos-style ACLs on an authenticating master: every write endpoint answers 401 without
 * credentials and 403 when the ACLs deny, and neither changes anything (weights, quotas,
 * reservations, frameworks and tasks are checked unchanged); allowed calls still work.
 */
class HttpAclTest {
  static final String ACLS = "{\"permissive\": false,"
      + "\"register_frameworks\": [{\"principals\": {\"values\": [\"fw\"]}, \"roles\": {\"values\": [\"web\"]}}],"
      + "\"run_tasks\": [{\"principals\": {\"values\": [\"fw\"]}, \"users\": {\"values\": [\"nobody\"]}}],"
      + "\"teardown_frameworks\": [{\"principals\": {\"values\": [\"ops\"]}, \"framework_principals\": {\"type\": \"ANY\"}}],"
      + "\"reserve_resources\": [{\"principals\": {\"values\": [\"ops\"]}, \"roles\": {\"values\": [\"web\"]}}],"
      + "\"unreserve_resources\": [{\"principals\": {\"values\": [\"ops\"]}, \"roles\": {\"values\": [\"web\"]}}],"
      + "\"update_quotas\": [{\"principals\": {\"values\": [\"ops\"]}, \"roles\": {\"values\": [\"web\"]}}],"
      + "\"update_weights\": [{\"principals\": {\"values\": [\"ops\"]}, \"roles\": {\"values\": [\"web\"]}}],"
      + "\"view_state\": [{\"principals\": {\"values\": [\"ops\", \"viewer\"]}}]}";

  @TempDir Path work;
  HttpTransport masterTransport;
  HttpTransport agentTransport;
  Master master;
  Agent agent;
  final HttpClient http = HttpClient.newHttpClient();
  final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
  InputStream stream;

  @BeforeEach
  void start() throws Exception {
    Path creds = work.resolve("credentials.json");
    StringBuilder c = new StringBuilder("{\"credentials\": [");
    for (String p : List.of("fw", "ops", "viewer", "agent")) {
      c.append(p.equals("fw") ? "" : ",").append("{\"principal\": \"").append(p).append("\", \"secret_hash\": \"")
          .append(CredentialsAuthenticator.hashSecret(p + "-secret")).append("\"}");
    }
    Files.writeString(creds, c.append("]}"));
    Path acls = work.resolve("acls.json");
    Files.writeString(acls, ACLS);
    masterTransport = HttpTransport.builder().authenticator(CredentialsAuthenticator.fromFile(creds))
        .acls(Acls.fromFile(acls)).build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).build();
    masterTransport.serveSchedulerApi(master.address());
    OperatorApi.serve(masterTransport, master, Map.of());
    master.start();
    masterTransport.start();
    agentTransport = HttpTransport.builder().credentials("agent", "agent-secret").build();
    agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent")).master(master.address())
        .info(new AgentInfo("localhost", Resources.parse("cpus:2;mem:256")))
        .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("agent")).build();
    agentTransport.start();
    agent.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().agents().size() == 1);
  }

  @AfterEach
  void stop() throws Exception {
    if (stream != null) {
      stream.close();
    }
    agent.close();
    master.close();
    agentTransport.close();
    masterTransport.close();
  }

  static String auth(String principal) {
    return principal == null ? null : "Basic " + Base64.getEncoder()
        .encodeToString((principal + ":" + principal + "-secret").getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<String> post(String path, String body, String principal, String streamId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (principal != null) {
      b.header("Authorization", auth(principal));
    }
    if (streamId != null) {
      b.header("Mesos-Stream-Id", streamId);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String subscribe(String role) {
    return "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"nobody\",\"name\":\"acl-fw\","
        + "\"principal\":\"fw\",\"roles\":[\"" + role + "\"],\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]}}}";
  }

  String agentId() {
    return master.snapshot().join().agents().get(0).id().value();
  }

  String reserve(String type, String role) {
    return "{\"type\":\"" + type + "\",\"" + type.toLowerCase(java.util.Locale.ROOT) + "\":{\"agent_id\":{\"value\":\""
        + agentId() + "\"},\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5},"
        + "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"" + role + "\"}]}]}}";
  }

  static String weights(String role) {
    return "{\"type\":\"UPDATE_WEIGHTS\",\"update_weights\":{\"weight_infos\":[{\"role\":\"" + role
        + "\",\"weight\":3.0}]}}";
  }

  static String quota(String role) {
    return "{\"type\":\"UPDATE_QUOTA\",\"update_quota\":{\"quota_configs\":[{\"role\":\"" + role
        + "\",\"guarantees\":{\"cpus\":{\"value\":1}}}]}}";
  }

  /** What the calls under test could change. */
  record Books(Map<String, Double> weights, Map<String, ?> quotas, int frameworks, int tasks, String roles) {}

  Books books() {
    MasterSnapshot s = master.snapshot().join();
    return new Books(master.weights().join(), master.quotas().join(), s.frameworks().size(),
        s.frameworks().stream().mapToInt(f -> f.tasks().size()).sum(), master.roles().join().toString());
  }

  @Test
  void withoutCredentialsEveryWriteIs401AndChangesNothing() throws Exception {
    Books before = books();
    String teardown = "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":{\"value\":\"x\"}}}";
    for (String[] call : new String[][] {{"/api/v1/scheduler", subscribe("web")}, {"/api/v1", weights("web")},
        {"/api/v1", quota("web")}, {"/api/v1", reserve("RESERVE_RESOURCES", "web")},
        {"/api/v1", reserve("UNRESERVE_RESOURCES", "web")}, {"/api/v1", teardown},
        {"/api/v1", "{\"type\":\"MARK_AGENT_GONE\",\"mark_agent_gone\":{\"agent_id\":{\"value\":\"" + agentId() + "\"}}}"},
        {"/master", "{\"type\":\"REGISTER_AGENT\",\"register_agent\":{\"agent_info\":{\"hostname\":\"evil\","
            + "\"resources\":[]}}}"}}) {
      assertThat(post(call[0], call[1], null, null).statusCode()).as(call[1]).isEqualTo(401);
    }
    assertThat(books()).isEqualTo(before);
    assertThat(master.snapshot().join().agents()).hasSize(1);
    assertThat(master.unreachableAgents().join()).isEmpty();
  }

  @Test
  void aclDenialsAre403AndChangeNothingWhileAllowedCallsWork() throws Exception {
    Books before = books();
    // register_frameworks: fw only in role web; viewer nowhere.
    assertThat(post("/api/v1/scheduler", subscribe("batch"), "fw", null).statusCode()).isEqualTo(403);
    assertThat(post("/api/v1/scheduler", subscribe("web"), "viewer", null).statusCode()).isEqualTo(403);
    // update_weights, update_quotas, reserve/unreserve: ops for web only.
    for (String[] denied : new String[][] {{"viewer", weights("web")}, {"ops", weights("batch")},
        {"fw", quota("web")}, {"ops", quota("batch")}, {"fw", reserve("RESERVE_RESOURCES", "web")},
        {"ops", reserve("RESERVE_RESOURCES", "batch")}, {"viewer", reserve("UNRESERVE_RESOURCES", "web")}}) {
      HttpResponse<String> r = post("/api/v1", denied[1], denied[0], null);
      assertThat(r.statusCode()).as("%s %s", denied[0], denied[1]).isEqualTo(403);
      assertThat(r.body()).contains("not authorized");
    }
    // view_state: ops and viewer, not fw.
    assertThat(post("/api/v1", "{\"type\":\"GET_STATE\"}", "fw", null).statusCode()).isEqualTo(403);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/state"))
        .header("Authorization", auth("fw")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
    assertThat(books()).isEqualTo(before);
    assertThat(post("/api/v1", "{\"type\":\"GET_STATE\"}", "viewer", null).statusCode()).isEqualTo(200);

    // Allowed: ops sets web's weight; fw subscribes in web.
    assertThat(post("/api/v1", weights("web"), "ops", null).statusCode()).isEqualTo(200);
    assertThat(master.weights().join()).containsEntry("web", 3.0);
    String streamId = openStream();
    JsonNode offers = next("OFFERS");
    String frameworkId = offers.path("offers").path("offers").get(0).path("framework_id").path("value").asText();
    String offerId = offers.path("offers").path("offers").get(0).path("id").path("value").asText();

    // run_tasks: root is denied (403, the offer stays valid and no task exists), nobody is allowed.
    Books subscribed = books();
    assertThat(post("/api/v1/scheduler", accept(frameworkId, offerId, "root"), "fw", streamId).statusCode())
        .isEqualTo(403);
    assertThat(books()).isEqualTo(subscribed);
    // teardown_frameworks: fw may not tear itself down as an operator.
    assertThat(post("/api/v1", "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":{\"value\":\"" + frameworkId
        + "\"}}}", "fw", null).statusCode()).isEqualTo(403);
    assertThat(books()).isEqualTo(subscribed);
    assertThat(post("/api/v1/scheduler", accept(frameworkId, offerId, "nobody"), "fw", streamId).statusCode())
        .isEqualTo(202);
    await().atMost(Duration.ofSeconds(10)).until(() -> books().tasks() == 1);
    assertThat(post("/api/v1", "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":{\"value\":\"" + frameworkId
        + "\"}}}", "ops", null).statusCode()).isEqualTo(200);
    assertThat(books().frameworks()).isZero();
  }

  String accept(String frameworkId, String offerId, String user) {
    return "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"" + frameworkId + "\"},\"accept\":{\"offer_ids\":"
        + "[{\"value\":\"" + offerId + "\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{"
        + "\"name\":\"t\",\"task_id\":{\"value\":\"t-" + user + "\"},\"agent_id\":{\"value\":\"" + agentId()
        + "\"},\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}],"
        + "\"command\":{\"value\":\"sleep 30\",\"user\":\"" + user + "\"}}]}}]}}";
  }

  String openStream() throws Exception {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl()
        + "/api/v1/scheduler")).header("Authorization", auth("fw")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(subscribe("web"))).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    stream = r.body();
    Thread reader = new Thread(() -> {
      try {
        Optional<byte[]> rec;
        while ((rec = RecordIo.read(stream, 1 << 22)).isPresent()) {
          events.add(MesosJson.parse(rec.get()));
        }
      } catch (Exception e) {
        // the stream closes when the test ends
      }
    }, "acl-test-stream");
    reader.setDaemon(true);
    reader.start();
    return r.headers().firstValue("Mesos-Stream-Id").orElseThrow();
  }

  JsonNode next(String type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      JsonNode e = events.poll(1, TimeUnit.SECONDS);
      if (e != null && e.path("type").asText().equals(type)) {
        return e;
      }
    }
    throw new AssertionError("no " + type + " event within 20 s");
  }
}
