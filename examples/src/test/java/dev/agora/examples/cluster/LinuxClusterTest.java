package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.LinuxContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent with the Linux containerizer: limits become task states. Skipped, saying why, where
 * the host cannot run Linux containers.
 */
class LinuxClusterTest {
  @TempDir Path work;
  private final InProcessTransport transport = new InProcessTransport();
  private final String hierarchy = "agora-test-" + UUID.randomUUID().toString().substring(0, 8);
  private Master master;
  private Agent agent;
  private SchedulerDriver driver;

  @BeforeAll
  static void needsLinuxContainers() {
    Optional<String> why = LinuxContainerizer.unavailableBecause();
    assumeTrue(why.isEmpty(), () -> "Linux cluster tests skipped: " + why.orElse(""));
  }

  @BeforeEach
  void start() {
    master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build()).build().start();
    agent = Agent.builder().transport(transport).address(Address.of("agent-0")).master(master.address())
        .info(new AgentInfo("host0", Resources.parse("cpus:2;mem:1024")))
        .containerizer(LinuxContainerizer.builder().hierarchy(hierarchy).build()).workDir(work.resolve("agent-0"))
        .defaultKillGracePeriod(Duration.ofMillis(500)).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      driver.close();
    }
    agent.close();
    master.close();
    for (String c : List.of("cpu", "cpuacct", "memory", "pids", "freezer")) {
      Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, hierarchy));
    }
  }

  private RecordingScheduler subscribe() {
    RecordingScheduler s = new RecordingScheduler();
    driver = SchedulerDriver.builder().transport(transport).address(Address.of("fw"))
        .master(master.address()).framework(FrameworkInfo.builder("fw").user("root").build()).scheduler(s).start();
    await().atMost(Duration.ofSeconds(10)).until(() -> !s.offersReceived.isEmpty());
    return s;
  }

  private static TaskInfo task(String id, Offer offer, String resources, String command) {
    return TaskInfo.of(TaskId.of(id), offer.agentId(), Resources.parse(resources), CommandInfo.shell(command));
  }

  private static TaskStatus awaitTerminal(RecordingScheduler s, String task) {
    await().atMost(Duration.ofSeconds(20)).until(() ->
        s.latest(TaskId.of(task)).map(u -> u.state().isTerminal()).orElse(false));
    return s.latest(TaskId.of(task)).orElseThrow();
  }

  @Test
  void aTaskOverItsMemoryEndsFailedWithTheMemoryReasonAndItsNeighbourRuns() {
    RecordingScheduler s = subscribe();
    Offer offer = s.offersReceived.get(0);
    driver.launch(offer, List.of(
        task("neighbour", offer, "cpus:0.5;mem:64", "sleep 1000"),
        task("hog", offer, "cpus:1;mem:64", "dd if=/dev/zero of=/dev/null bs=300M count=1; sleep 1000")));

    TaskStatus end = awaitTerminal(s, "hog");

    assertThat(end.state()).isEqualTo(TaskState.FAILED);
    assertThat(end.reason()).contains(TaskStatus.Reason.REASON_CONTAINER_LIMITATION_MEMORY);
    assertThat(end.message().orElseThrow()).startsWith("container limitation: memory: Memory limit 64 MB exceeded");
    assertThat(s.latest(TaskId.of("neighbour")).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
  }

  @Test
  void aTaskWithoutMemEndsFailedSayingSo() {
    RecordingScheduler s = subscribe();
    Offer offer = s.offersReceived.get(0);
    driver.launch(offer, List.of(task("nomem", offer, "cpus:0.5", "true")));

    TaskStatus end = awaitTerminal(s, "nomem");

    assertThat(end.state()).isEqualTo(TaskState.FAILED);
    assertThat(end.reason()).contains(TaskStatus.Reason.REASON_CONTAINER_LAUNCH_FAILED);
    assertThat(end.message().orElseThrow()).contains("requests no mem");
  }

  @Test
  void aCommandThatDoesNotExistEndsFailedNamingIt() {
    RecordingScheduler s = subscribe();
    Offer offer = s.offersReceived.get(0);
    driver.launch(offer, List.of(TaskInfo.of(TaskId.of("nocmd"), offer.agentId(), Resources.parse("cpus:0.5;mem:64"),
        CommandInfo.exec("agora-no-such-program", List.of("agora-no-such-program")))));

    TaskStatus end = awaitTerminal(s, "nocmd");

    assertThat(end.state()).isEqualTo(TaskState.FAILED);
    assertThat(end.reason()).contains(TaskStatus.Reason.REASON_CONTAINER_LAUNCH_FAILED);
    assertThat(end.message().orElseThrow()).contains("agora-no-such-program");
  }
}
