package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.executor.Executor;
import dev.agora.core.executor.ExecutorDriver;
import dev.agora.core.executor.ExecutorTokens;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/v1/executor} with executor authentication: a call needs the bearer token the agent
 * gave the executor; without one it is 401, for another executor 403, and the agent sees neither.
 * The HTTP executor driver presents the token it finds in its environment.
 */
class ExecutorApiAuthenticationTest {
  private static final FrameworkId FW = FrameworkId.of("fw-1");
  private static final ExecutorId EX = ExecutorId.of("ex-1");

  @TempDir Path work;
  private HttpTransport transport;
  private ThreadEventLoop loop;
  private ExecutorTokens tokens;
  private final List<Message> received = new CopyOnWriteArrayList<>();
  private Endpoint agent;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    transport = HttpTransport.builder().host("127.0.0.1").port(0).build();
    loop = ThreadEventLoop.start("fake-agent");
    tokens = ExecutorTokens.inWorkDir(work);
    Address self = transport.address("agent");
    agent = transport.bind(self, loop, new MessageHandler() {
      @Override
      public void onMessage(Address from, Message message) {
        received.add(message);
        if (message instanceof ExecutorCall.Subscribe) {
          agent.send(from, new ExecutorEvent.Subscribed(ExecutorInfo.of(EX, CommandInfo.shell("x")), FW,
              FrameworkInfo.builder("f").user("nobody").build(), AgentId.of("a-1")));
        }
      }
    });
    transport.serveExecutorApi(self, tokens);
    transport.start();
  }

  @AfterEach
  void stop() {
    agent.close();
    transport.close();
    loop.shutdown();
  }

  private HttpResponse<String> post(String json, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(transport.baseUrl() + "/api/v1/executor"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String update(String executor) {
    return "{\"type\":\"UPDATE\",\"framework_id\":{\"value\":\"fw-1\"},\"executor_id\":{\"value\":\"" + executor
        + "\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_RUNNING\","
        + "\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}}";
  }

  @Test
  void callsWithoutAValidTokenAreRefusedBeforeTheAgentSeesThem() throws Exception {
    String subscribe = "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"fw-1\"},"
        + "\"executor_id\":{\"value\":\"ex-1\"},\"subscribe\":{}}";
    assertThat(post(subscribe, null).statusCode()).isEqualTo(401);
    assertThat(post(update("ex-1"), null).statusCode()).isEqualTo(401);
    assertThat(post(subscribe, "Bearer not-a-token").statusCode()).isEqualTo(401);
    String forged = ExecutorTokens.withKey(new byte[32]).mint(FW, EX);
    assertThat(post(subscribe, "Bearer " + forged).statusCode()).as("signed with another key").isEqualTo(401);
    String other = tokens.mint(FW, ExecutorId.of("ex-2"));
    HttpResponse<String> wrong = post(update("ex-1"), "Bearer " + other);
    assertThat(wrong.statusCode()).as("a token of another executor").isEqualTo(403);
    assertThat(wrong.body()).doesNotContain(other);
    assertThat(received).as("nothing reached the agent").isEmpty();
  }

  @Test
  void theDriverPresentsItsTokenFromTheEnvironment() throws Exception {
    List<String> subscribed = new CopyOnWriteArrayList<>();
    Executor executor = new Executor() {
      @Override
      public void subscribed(ExecutorDriver driver, ExecutorInfo info, FrameworkId frameworkId, AgentId agentId) {
        subscribed.add(agentId.value());
        driver.stop();
      }

      @Override
      public void launch(ExecutorDriver driver, TaskInfo task) {}

      @Override
      public void kill(ExecutorDriver driver, TaskId taskId) {}
    };
    String endpoint = URI.create(transport.baseUrl()).getAuthority();
    HttpExecutorDriver driver = HttpExecutorDriver.fromEnvironment(Map.of("MESOS_AGENT_ENDPOINT", endpoint,
        "MESOS_FRAMEWORK_ID", FW.value(), "MESOS_EXECUTOR_ID", EX.value(),
        ExecutorTokens.ENVIRONMENT_VARIABLE, tokens.mint(FW, EX)), executor);
    Thread runner = new Thread(driver::run, "executor-driver");
    runner.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> !subscribed.isEmpty());
    assertThat(received).hasAtLeastOneElementOfType(ExecutorCall.Subscribe.class);
    driver.stop();
    runner.join(10_000);
  }

  @Test
  void tokensNameTheirExecutorAndSurviveARestartThroughTheKeyFile() {
    String token = tokens.mint(FW, EX);
    assertThat(ExecutorTokens.inWorkDir(work).verify(token)).contains(new ExecutorTokens.Claims(FW, EX));
    assertThat(tokens.verify(token.substring(0, token.length() - 2) + "AA")).isEmpty();
    assertThat(tokens.verify("a.b")).isEmpty();
  }
}
