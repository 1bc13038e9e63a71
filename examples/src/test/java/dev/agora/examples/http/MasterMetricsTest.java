package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} follows the cluster: agents, frameworks, offers, allocation cycles, tasks by state. */
class MasterMetricsTest {
  @TempDir Path work;
  final HttpClient http = HttpClient.newHttpClient();

  static double value(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
    assertThat(m.find()).as("series %s in\n%s", series, metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }

  String metrics(HttpTransport t) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(t.baseUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void metricsChangeAsTheClusterWorks() throws Exception {
    try (HttpTransport mt = HttpTransport.builder().build(); HttpTransport at = HttpTransport.builder().build();
        HttpSchedulerTransport st = HttpSchedulerTransport.create()) {
      Master master = Master.builder().transport(mt).address(mt.address("master"))
          .allocator(HierarchicalAllocator.builder().build()).allocationInterval(Duration.ofMillis(200)).build();
      mt.serveSchedulerApi(master.address());
      OperatorApi.serve(mt, master);
      master.start();
      mt.start();
      String before = metrics(mt);
      assertThat(value(before, "agora_master_agents")).isZero();
      assertThat(value(before, "agora_master_offers_sent_total")).isZero();
      assertThat(value(before, "agora_master_event_queue_depth")).isGreaterThanOrEqualTo(0);
      double runsBefore = value(before, "agora_master_allocation_seconds_count");

      try (Agent agent = Agent.builder().transport(at).address(at.address("agent")).master(master.address())
          .info(new AgentInfo("localhost", Resources.parse("cpus:1;mem:128")))
          .containerizer(ProcessContainerizer.builder().build()).workDir(work)
          .defaultKillGracePeriod(Duration.ofMillis(200)).build()) {
        at.start();
        agent.start();
        AtomicBoolean launched = new AtomicBoolean();
        SchedulerDriver driver = SchedulerDriver.builder().transport(st).address(Address.of("metrics-fw"))
            .master(master.address()).framework(FrameworkInfo.builder("metrics-fw").user("root").build())
            .scheduler(new Scheduler() {
              @Override
              public void offers(SchedulerDriver d, List<Offer> offers) {
                if (launched.compareAndSet(false, true)) {
                  d.launch(offers.get(0), List.of(TaskInfo.of(TaskId.of("sleeper"), offers.get(0).agentId(),
                      Resources.parse("cpus:0.1;mem:16"), CommandInfo.shell("sleep 30"))));
                }
              }
            }).start();
        try {
          await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String now = metrics(mt);
            assertThat(value(now, "agora_master_agents")).isEqualTo(1);
            assertThat(value(now, "agora_master_frameworks{connected=\"true\"}")).isEqualTo(1);
            assertThat(value(now, "agora_master_offers_sent_total")).isGreaterThanOrEqualTo(1);
            assertThat(value(now, "agora_master_tasks{state=\"TASK_RUNNING\"}")).isEqualTo(1);
            assertThat(value(now, "agora_master_allocation_seconds_count")).isGreaterThan(runsBefore);
            assertThat(value(now, "agora_master_allocation_seconds_sum")).isGreaterThan(0);
          });
        } finally {
          driver.close();
        }
      } finally {
        master.close();
      }
    }
  }
}
