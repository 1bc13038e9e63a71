package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.agent.AgentSnapshot;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.Containerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.transport.http.AgentApi;
import dev.agora.core.transport.http.HttpTransport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Container usage as an agent serves it ({@link AgentApi}: {@code /metrics}, {@code /containers},
 * GET_CONTAINERS), measured by a real containerizer: the Linux one where this host runs it, else
 * the process one.
 */
class AgentApiUsageTest {
  @TempDir Path root;
  private final String hierarchy = "agora-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<AgentSnapshot.TaskView> tasks = new ArrayList<>();
  private Containerizer containerizer;
  private HttpTransport http;
  private final HttpClient client = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    if (http != null) {
      http.close();
    }
    if (containerizer != null) {
      containerizer.close();
    }
    for (String c : CgroupsV1.CONTROLLERS) {
      Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, hierarchy));
    }
  }

  private void start() {
    containerizer = LinuxContainerizer.available()
        ? LinuxContainerizer.builder().hierarchy(hierarchy).build()
        : ProcessContainerizer.builder().build();
    http = HttpTransport.builder().host("127.0.0.1").port(0).build();
    AgentApi api = new AgentApi(() -> CompletableFuture.completedFuture(
        new AgentSnapshot(Optional.of(AgentId.of("a1")), true, List.copyOf(tasks), 0)), containerizer);
    for (String path : List.of("/metrics", "/containers", "/api/v1")) {
      http.addHandler(path, api);
    }
    http.start();
  }

  private void launch(String id, String command) throws Exception {
    Path sandbox = Files.createDirectories(root.resolve(id));
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("a1"), Resources.parse("cpus:1;mem:512"),
        CommandInfo.shell(command));
    ContainerConfig config = new ContainerConfig(new ContainerId("c-" + id), task, sandbox, Map.of(), Optional.empty());
    long pid = containerizer.launch(config).toCompletableFuture().get(10, TimeUnit.SECONDS).pid();
    tasks.add(new AgentSnapshot.TaskView(FrameworkId.of("fw"), task.taskId(), TaskState.RUNNING, pid, sandbox,
        config.containerId()));
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(http.baseUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  private static double metric(String text, String name, String container) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*container_id=\"" + container + "\"\\} (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void aBusyTasksCpuTimeGrowsAndAHungryTasksMemoryShowsUpInMetricsAndContainers() throws Exception {
    start();
    launch("busy", "while :; do :; done");
    // dd fills a 96 MB buffer, then holds it, blocked writing into a pipe nobody reads.
    launch("hungry", "dd if=/dev/zero bs=96M count=1 2>/dev/null | sleep 1000");

    double[] first = new double[1];
    await().atMost(Duration.ofSeconds(20)).until(() -> (first[0] = metric(get("/metrics"),
        "agora_container_cpu_seconds_total", "c-busy")) > 0.05);
    await().atMost(Duration.ofSeconds(20)).until(() -> metric(get("/metrics"),
        "agora_container_cpu_seconds_total", "c-busy") >= first[0] + 0.2);
    await().atMost(Duration.ofSeconds(20)).until(() -> metric(get("/metrics"),
        "agora_container_memory_bytes", "c-hungry") >= 96 << 20);
    String metrics = get("/metrics");
    assertThat(metric(metrics, "agora_container_memory_peak_bytes", "c-hungry")).isGreaterThanOrEqualTo(96 << 20);
    assertThat(metric(metrics, "agora_container_processes", "c-busy")).isGreaterThanOrEqualTo(1);
    assertThat(metrics).contains("agora_agent_tasks 2").contains("agora_agent_registered 1")
        .contains("task_id=\"hungry\"").contains("framework_id=\"fw\"");

    JsonNode containers = MesosJson.mapper().readTree(get("/containers"));
    assertThat(containers).hasSize(2);
    JsonNode hungry = containers.findParents("container_id").stream()
        .filter(c -> c.get("container_id").asText().equals("c-hungry")).findFirst().orElseThrow();
    assertThat(hungry.get("executor_id").asText()).isEqualTo("hungry");
    assertThat(hungry.at("/statistics/mem_total_bytes").asLong()).isGreaterThanOrEqualTo(96 << 20);
    assertThat(hungry.at("/statistics/processes").asInt()).isGreaterThanOrEqualTo(1);

    HttpResponse<String> call = client.send(HttpRequest.newBuilder(URI.create(http.baseUrl() + "/api/v1"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"GET_CONTAINERS\"}"))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(call.statusCode()).as(call.body()).isEqualTo(200);
    JsonNode got = MesosJson.mapper().readTree(call.body()).at("/get_containers/containers");
    assertThat(got).hasSize(2);
    JsonNode busy = got.findParents("container_id").stream()
        .filter(c -> c.at("/container_id/value").asText().equals("c-busy")).findFirst().orElseThrow();
    assertThat(busy.at("/resource_statistics/cpus_time_secs").asDouble()).isGreaterThan(first[0]);
  }
}
