package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.CredentialsAuthenticator;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Authentication on: every endpoint but /health answers 401 without valid credentials and does
 * nothing; Basic (hashed secrets) and bearer tokens work; no secret appears in logs, state or errors.
 */
class HttpSecurityTest {
  static final String FW_SECRET = "fw-s3cret-Zq81";
  static final String AGENT_SECRET = "agent-s3cret-Kp27";
  static final String TOKEN = "tok-4f1c9a7e2b";

  @TempDir Path work;
  HttpTransport masterTransport;
  HttpTransport agentTransport;
  Master master;
  Agent agent;
  final List<AutoCloseable> closeables = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  Logger root;
  Level rootLevel;

  @BeforeEach
  void start() throws Exception {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    logs.start();
    root.addAppender(logs);
    Path creds = work.resolve("credentials.json");
    Files.writeString(creds, "{\"credentials\": ["
        + "{\"principal\": \"fw\", \"secret_hash\": \"" + CredentialsAuthenticator.hashSecret(FW_SECRET) + "\"},"
        + "{\"principal\": \"agent\", \"secret_hash\": \"" + CredentialsAuthenticator.hashSecret(AGENT_SECRET) + "\"}],"
        + "\"tokens\": [{\"principal\": \"ops\", \"token_sha256\": \"" + CredentialsAuthenticator.hashToken(TOKEN)
        + "\"}]}");
    masterTransport = HttpTransport.builder().authenticator(CredentialsAuthenticator.fromFile(creds)).build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).build();
    masterTransport.serveSchedulerApi(master.address());
    OperatorApi.serve(masterTransport, master, Map.of("authenticate", "true"));
    master.start();
    masterTransport.start();
    agentTransport = HttpTransport.builder().credentials("agent", AGENT_SECRET).build();
    agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent")).master(master.address())
        .info(new AgentInfo("localhost", Resources.parse("cpus:1;mem:128")))
        .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("agent")).build();
    agentTransport.start();
    agent.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    agent.close();
    master.close();
    agentTransport.close();
    masterTransport.close();
    root.detachAppender(logs);
    root.setLevel(rootLevel);
  }

  HttpResponse<String> post(String path, String body, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + path))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String basic(String principal, String secret) {
    return "Basic " + Base64.getEncoder().encodeToString((principal + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void withoutValidCredentialsEveryEndpointIs401AndNothingHappens() throws Exception {
    String subscribe = "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"x\"}}}";
    for (String auth : new String[] {null, basic("fw", "wrong"), basic("nobody", FW_SECRET), "Bearer nope",
        "Basic !!!", basic("fw", FW_SECRET + "x")}) {
      HttpResponse<String> r = post("/api/v1/scheduler", subscribe, auth);
      assertThat(r.statusCode()).as("auth %s", auth).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"agora\"");
      assertThat(post("/api/v1", "{\"type\":\"GET_STATE\"}", auth).statusCode()).isEqualTo(401);
      assertThat(post("/master", "{\"type\":\"REGISTER_AGENT\",\"register_agent\":{\"agent_info\":"
          + "{\"hostname\":\"evil\",\"resources\":[]}}}", auth).statusCode()).isEqualTo(401);
    }
    HttpResponse<String> state = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/state"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(state.statusCode()).isEqualTo(401);
    assertThat(master.snapshot().join().frameworks()).isEmpty();
    assertThat(master.snapshot().join().agents()).noneMatch(a -> a.hostname().equals("evil"));
    // /health stays open, as in Mesos.
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/health"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void basicAndBearerCredentialsWorkAndASecretNeverShows() throws Exception {
    // The agent authenticated with Basic and registered.
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().agents().size() == 1);
    // An operator with a bearer token.
    HttpResponse<String> agents = post("/api/v1", "{\"type\":\"GET_AGENTS\"}", "Bearer " + TOKEN);
    assertThat(agents.statusCode()).isEqualTo(200);
    assertThat(agents.body()).contains("localhost");
    // A framework with Basic, over the HTTP driver.
    HttpSchedulerTransport client = HttpSchedulerTransport.builder().basicAuth("fw", FW_SECRET).build();
    closeables.add(client);
    HttpClusterTest.Recorder r = new HttpClusterTest.Recorder();
    SchedulerDriver d = SchedulerDriver.builder().transport(client).address(Address.of("secure"))
        .master(master.address()).framework(FrameworkInfo.builder("secure").user("root").principal("fw").build())
        .scheduler(r).start();
    closeables.add(d);
    await().atMost(Duration.ofSeconds(10)).until(() -> !r.offers.isEmpty());
    // A framework claiming another principal than it authenticated as: 403, no subscription.
    HttpResponse<String> spoof = post("/api/v1/scheduler", "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
        + "{\"user\":\"root\",\"name\":\"spoof\",\"principal\":\"ops\"}}}", basic("fw", FW_SECRET));
    assertThat(spoof.statusCode()).isEqualTo(403);
    assertThat(master.snapshot().join().frameworks()).extracting(f -> f.name()).containsExactly("secure");

    // No secret anywhere: logs, state, flags, error bodies.
    List<String> seen = new ArrayList<>();
    seen.add(post("/api/v1", "{\"type\":\"GET_STATE\"}", "Bearer " + TOKEN).body());
    seen.add(post("/api/v1", "{\"type\":\"GET_FLAGS\"}", "Bearer " + TOKEN).body());
    seen.add(post("/api/v1/scheduler", "{\"type\":\"" + FW_SECRET + "\"}", basic("fw", FW_SECRET)).body());
    seen.add(post("/api/v1", "{}", basic("fw", "wrong-" + FW_SECRET)).body());
    seen.add(spoof.body());
    logs.list.forEach(e -> {
      seen.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        seen.add(e.getThrowableProxy().getMessage());
      }
    });
    String all = String.join("\n", seen);
    assertThat(logs.list).isNotEmpty();
    // The unknown call type is named in its 400 answer, so only check the real secrets elsewhere.
    String withoutEcho = all.replace("'" + FW_SECRET + "'", "'<echoed type>'");
    for (String secret : new String[] {FW_SECRET, AGENT_SECRET, TOKEN}) {
      assertThat(withoutEcho).doesNotContain(secret);
      assertThat(withoutEcho).doesNotContain(Base64.getEncoder().encodeToString(("fw:" + secret).getBytes(
          StandardCharsets.UTF_8)));
    }
  }
}
