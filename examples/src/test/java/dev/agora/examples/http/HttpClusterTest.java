package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import dev.agora.core.transport.http.SandboxFileBrowser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Master, agent and framework each on their own HTTP transport in one JVM: every message crosses
 * loopback HTTP as JSON, and the framework uses the Mesos v1 scheduler API.
 */
class HttpClusterTest {
  @TempDir Path work;
  HttpTransport masterTransport;
  HttpTransport agentTransport;
  HttpSchedulerTransport schedulerTransport;
  Master master;
  Agent agent;
  final List<SchedulerDriver> drivers = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    masterTransport = HttpTransport.builder().build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).frameworkHeartbeatInterval(Duration.ofMillis(500))
        .agentPingInterval(Duration.ofMillis(300)).maxAgentPingMisses(3).build();
    masterTransport.serveSchedulerApi(master.address());
    OperatorApi.serve(masterTransport, master);
    master.start();
    masterTransport.start();
    agentTransport = HttpTransport.builder().build();
    SandboxFileBrowser.serve(agentTransport, work);
    agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent")).master(master.address())
        .info(new AgentInfo("localhost", Resources.parse("cpus:2;mem:1024;ports:[31000-31100]")))
        .containerizer(ProcessContainerizer.builder().build()).workDir(work)
        .defaultKillGracePeriod(Duration.ofMillis(300)).build();
    agentTransport.start();
    agent.start();
    schedulerTransport = HttpSchedulerTransport.create();
  }

  @AfterEach
  void stop() {
    drivers.forEach(SchedulerDriver::close);
    agent.close();
    master.close();
    schedulerTransport.close();
    agentTransport.close();
    masterTransport.close();
  }

  static final class Recorder implements Scheduler {
    final List<Offer> offers = new CopyOnWriteArrayList<>();
    final List<TaskStatus> updates = new CopyOnWriteArrayList<>();
    final List<FrameworkId> subscribed = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final List<AgentId> failures = new CopyOnWriteArrayList<>();

    @Override
    public void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {
      subscribed.add(frameworkId);
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> list) {
      offers.addAll(list);
    }

    @Override
    public void rescind(SchedulerDriver driver, OfferId offerId) {}

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
      updates.add(status);
    }

    @Override
    public void failure(SchedulerDriver driver, AgentId agentId) {
      failures.add(agentId);
    }

    @Override
    public void error(SchedulerDriver driver, String message) {
      errors.add(message);
    }

    List<TaskState> states(String task) {
      return updates.stream().filter(u -> u.taskId().value().equals(task)).map(TaskStatus::state).toList();
    }
  }

  SchedulerDriver subscribe(String name, Recorder r) {
    return subscribe(FrameworkInfo.builder(name).user("root").build(), r);
  }

  SchedulerDriver subscribe(FrameworkInfo info, Recorder r) {
    SchedulerDriver d = SchedulerDriver.builder().transport(schedulerTransport)
        .address(dev.agora.core.transport.Address.of(info.name())).master(master.address())
        .framework(info).scheduler(r).start();
    drivers.add(d);
    await().atMost(Duration.ofSeconds(10)).until(() -> !r.offers.isEmpty());
    return d;
  }

  JsonNode operator(String type) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/api/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"type\":\"" + type + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return MesosJson.parse(r.body().getBytes());
  }

  @Test
  void aFrameworkOverHttpRunsARealTaskToFinishedAndReadsItsSandbox() throws Exception {
    Recorder r = new Recorder();
    SchedulerDriver d = subscribe("http-fw", r);
    Offer offer = r.offers.get(0);
    assertThat(offer.resources().cpus()).isEqualTo(2.0);
    d.launch(offer, List.of(TaskInfo.of(TaskId.of("hello"), offer.agentId(), Resources.parse("cpus:0.5;mem:64"),
        CommandInfo.shell("echo hello over http"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> r.states("hello").contains(TaskState.FINISHED));
    assertThat(r.states("hello")).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED);

    JsonNode agents = operator("GET_AGENTS");
    assertThat(agents.at("/get_agents/agents/0/agent_info/id/value").asText()).isEqualTo(offer.agentId().value());
    JsonNode frameworks = operator("GET_FRAMEWORKS");
    assertThat(frameworks.at("/get_frameworks/frameworks/0/framework_info/name").asText()).isEqualTo("http-fw");

    String fw = d.frameworkId().orElseThrow().value();
    HttpResponse<String> browse = http.send(HttpRequest.newBuilder(URI.create(agentTransport.baseUrl()
        + "/files/browse?path=frameworks/" + fw + "/tasks/hello/runs")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(browse.statusCode()).as(browse.body()).isEqualTo(200);
    String run = MesosJson.parse(browse.body().getBytes()).get(0).get("path").asText();
    HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(agentTransport.baseUrl()
        + "/files/read?path=" + run + "/stdout")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(MesosJson.parse(read.body().getBytes()).get("data").asText()).isEqualTo("hello over http\n");
  }

  @Test
  void killOverHttpEndsKilled() {
    Recorder r = new Recorder();
    SchedulerDriver d = subscribe("killer", r);
    Offer offer = r.offers.get(0);
    d.launch(offer, List.of(TaskInfo.of(TaskId.of("sleeper"), offer.agentId(), Resources.parse("cpus:0.5;mem:64"),
        CommandInfo.shell("sleep 100"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> r.states("sleeper").contains(TaskState.RUNNING));
    d.kill(TaskId.of("sleeper"), java.util.Optional.empty(), java.util.Optional.of(Duration.ofMillis(100)));
    await().atMost(Duration.ofSeconds(20)).until(() -> r.states("sleeper").contains(TaskState.KILLED));
  }

  @Test
  void aClosedSchedulerConnectionDisconnectsTheFrameworkAndAFailoverResubscribes() throws Exception {
    Recorder r = new Recorder();
    SchedulerDriver d = subscribe(FrameworkInfo.builder("failover").user("root")
        .failoverTimeout(Duration.ofMinutes(1)).build(), r);
    FrameworkId id = d.frameworkId().orElseThrow();
    drivers.remove(d); // a second close of a closed driver waits for its stopped loop (10 s)
    d.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().framework(id)
        .map(f -> !f.connected()).orElse(false));
    Recorder again = new Recorder();
    SchedulerDriver d2 = SchedulerDriver.builder().transport(schedulerTransport)
        .address(dev.agora.core.transport.Address.of("failover-2")).master(master.address())
        .framework(FrameworkInfo.builder("failover").user("root").id(id).failoverTimeout(Duration.ofMinutes(1)).build())
        .scheduler(again).start();
    drivers.add(d2);
    await().atMost(Duration.ofSeconds(10)).until(() -> again.subscribed.contains(id));
  }

  @Test
  void healthStateAndMetricsEndpoints() throws Exception {
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/health"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().agents().size() == 1);
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("agora_master_agents 1").contains("agora_master_tasks{state=\"TASK_RUNNING\"} 0");
    HttpResponse<String> state = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/state"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(MesosJson.parse(state.body().getBytes()).at("/get_agents/agents").size()).isEqualTo(1);
    assertThat(operator("GET_HEALTH").at("/get_health/healthy").asBoolean()).isTrue();
    assertThat(operator("GET_VERSION").at("/get_version/version_info/version").asText()).isNotEmpty();
  }

  @Test
  void operatorSubscribeStreamsChangesAndTeardownEndsTheFramework() throws Exception {
    HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(masterTransport.baseUrl() + "/api/v1")).POST(HttpRequest.BodyPublishers.ofString(
            "{\"type\":\"SUBSCRIBE\"}")).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    List<JsonNode> events = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (java.io.InputStream in = stream.body()) {
        java.util.Optional<byte[]> rec;
        while ((rec = dev.agora.core.transport.http.RecordIo.read(in, 1 << 20)).isPresent()) {
          events.add(MesosJson.parse(rec.get()));
        }
      } catch (java.io.IOException e) {
        // closed at the end of the test
      }
    });
    reader.setDaemon(true);
    reader.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.path("type").asText()
        .equals("SUBSCRIBED")));

    Recorder r = new Recorder();
    SchedulerDriver d = subscribe("watched", r);
    Offer offer = r.offers.get(0);
    d.launch(offer, List.of(TaskInfo.of(TaskId.of("watched-task"), offer.agentId(), Resources.parse("cpus:0.5;mem:64"),
        CommandInfo.shell("sleep 100"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> r.states("watched-task").contains(TaskState.RUNNING));
    await().atMost(Duration.ofSeconds(10)).until(() -> types(events).containsAll(List.of("FRAMEWORK_ADDED",
        "TASK_ADDED")) && events.stream().anyMatch(e -> e.at("/task_updated/state").asText().equals("TASK_RUNNING")
        || e.at("/task_added/task/state").asText().equals("TASK_RUNNING")));

    String fw = d.frameworkId().orElseThrow().value();
    HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/api/v1"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":"
            + "{\"value\":\"nope\"}}}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    HttpResponse<String> teardown = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/api/v1"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":"
            + "{\"value\":\"" + fw + "\"}}}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(teardown.statusCode()).as(teardown.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> !r.errors.isEmpty());
    await().atMost(Duration.ofSeconds(10)).until(() -> types(events).contains("FRAMEWORK_REMOVED"));
    assertThat(master.snapshot().join().frameworks()).isEmpty();
    stream.body().close();
  }

  private static List<String> types(List<JsonNode> events) {
    return events.stream().map(e -> e.path("type").asText()).toList();
  }

  private HttpResponse<String> operatorCall(String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl() + "/api/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void weightsQuotaAndRolesOverTheOperatorApi() throws Exception {
    assertThat(operatorCall("{\"type\":\"UPDATE_WEIGHTS\",\"update_weights\":{\"weight_infos\":"
        + "[{\"role\":\"eng\",\"weight\":2.5}]}}").statusCode()).isEqualTo(200);
    assertThat(operator("GET_WEIGHTS").at("/get_weights/weight_infos").toString()).contains("\"eng\"", "2.5");

    HttpResponse<String> bad = operatorCall("{\"type\":\"UPDATE_WEIGHTS\",\"update_weights\":{\"weight_infos\":"
        + "[{\"role\":\"eng\",\"weight\":-1}]}}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("-1");
    assertThat(operator("GET_WEIGHTS").at("/get_weights/weight_infos").toString()).as("unchanged").contains("2.5");

    assertThat(operatorCall("{\"type\":\"UPDATE_QUOTA\",\"update_quota\":{\"quota_configs\":[{\"role\":\"eng\","
        + "\"guarantees\":{\"cpus\":{\"value\":1}},\"limits\":{\"cpus\":{\"value\":2}}}]}}").statusCode()).isEqualTo(200);
    JsonNode quota = operator("GET_QUOTA").at("/get_quota/status/configs/0");
    assertThat(quota.path("role").asText()).isEqualTo("eng");
    assertThat(quota.at("/guarantees/cpus/value").asDouble()).isEqualTo(1.0);
    assertThat(quota.at("/limits/cpus/value").asDouble()).isEqualTo(2.0);
    assertThat(operator("GET_ROLES").at("/get_roles/roles").toString()).contains("\"eng\"");
  }

  @Test
  void reserveAndUnreserveOverTheOperatorApi() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> operator("GET_AGENTS").at("/get_agents/agents").size() == 1);
    String agentId = operator("GET_AGENTS").at("/get_agents/agents/0/agent_info/id/value").asText();
    String cpus = "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
        + "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"eng\"}]}]";
    HttpResponse<String> reserve = operatorCall("{\"type\":\"RESERVE_RESOURCES\",\"reserve_resources\":{"
        + "\"agent_id\":{\"value\":\"" + agentId + "\"},\"resources\":" + cpus + "}}");
    assertThat(reserve.statusCode()).as(reserve.body()).isEqualTo(202);
    HttpResponse<String> unreserve = operatorCall("{\"type\":\"UNRESERVE_RESOURCES\",\"unreserve_resources\":{"
        + "\"agent_id\":{\"value\":\"" + agentId + "\"},\"resources\":" + cpus + "}}");
    assertThat(unreserve.statusCode()).as(unreserve.body()).isEqualTo(202);
    HttpResponse<String> again = operatorCall("{\"type\":\"UNRESERVE_RESOURCES\",\"unreserve_resources\":{"
        + "\"agent_id\":{\"value\":\"" + agentId + "\"},\"resources\":" + cpus + "}}");
    assertThat(again.statusCode()).as("nothing reserved any more: " + again.body()).isEqualTo(400);
  }

  @Test
  void markAgentGoneOverTheOperatorApi() throws Exception {
    HttpResponse<String> unknown = operatorCall(
        "{\"type\":\"MARK_AGENT_GONE\",\"mark_agent_gone\":{\"agent_id\":{\"value\":\"nobody\"}}}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(10)).until(() -> operator("GET_AGENTS").at("/get_agents/agents").size() == 1);
    String agentId = operator("GET_AGENTS").at("/get_agents/agents/0/agent_info/id/value").asText();
    HttpResponse<String> gone = operatorCall("{\"type\":\"MARK_AGENT_GONE\",\"mark_agent_gone\":{\"agent_id\":"
        + "{\"value\":\"" + agentId + "\"}}}");
    assertThat(gone.statusCode()).as(gone.body()).isEqualTo(200);
    assertThat(operator("GET_AGENTS").at("/get_agents/agents").size()).isZero();
  }
}
