package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.InverseOffer;
import dev.agora.core.model.MachineId;
import dev.agora.core.model.MaintenanceSchedule;
import dev.agora.core.model.MaintenanceStatus;
import dev.agora.core.model.MaintenanceWindow;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Maintenance in a simulated cluster: inverse offers and the frameworks' answers, machines taken
 * down and brought back, agents drained, deactivated and reactivated; and batched allocation
 * (an event-triggered cycle looks only at the touched agent).
 */
class MaintenanceSimulationTest {
  @TempDir Path work;
  private SimCluster cluster;
  private AgentId agent0;
  private AgentId agent1;
  private RecordingScheduler a;
  private RecordingScheduler b;
  private SchedulerDriver driverA;
  private SchedulerDriver driverB;

  /**
   * Two agents (host0, host1); framework a runs a task on host0 and then suppresses offers;
   * framework b runs one on host1 and declines every other offer for 1 s.
   */
  @BeforeEach
  void startCluster() {
    cluster = new SimCluster(17, work);
    cluster.addAgent("cpus:4;mem:4096");
    cluster.addAgent("cpus:4;mem:4096");
    for (var view : cluster.masterSnapshot().agents()) {
      if (view.hostname().equals("host0")) {
        agent0 = view.id();
      } else {
        agent1 = view.id();
      }
    }
    a = new RecordingScheduler();
    driverA = cluster.subscribe(framework("a"), a);
    launchOn(driverA, a, agent0, "ta");
    driverA.suppress(Set.of());
    cluster.sim.runUntilIdle();
    driverA.decline(a.liveOffers().stream().map(Offer::id).toList(), Filters.NONE);
    cluster.sim.runUntilIdle();
    b = new RecordingScheduler();
    driverB = cluster.subscribe(framework("b"), b);
    launchOn(driverB, b, agent1, "tb");
    b.onOffers((d, offers) -> d.decline(offers.stream().map(Offer::id).toList(), new Filters(Duration.ofSeconds(1))));
    driverB.decline(b.liveOffers().stream().map(Offer::id).toList(), new Filters(Duration.ofSeconds(1)));
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(cluster.masterSnapshot().frameworks()).allSatisfy(f -> assertThat(f.tasks()).hasSize(1));
  }

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
      assertThat(cluster.accounting.violations()).isEmpty();
    }
  }

  private static FrameworkInfo framework(String name) {
    return FrameworkInfo.builder(name).user("nobody").role("*").build();
  }

  /** Launches a 1-cpu task on the agent from the framework's live offer there; declines its other offers. */
  private void launchOn(SchedulerDriver driver, RecordingScheduler s, AgentId agent, String task) {
    cluster.sim.advance(Duration.ofSeconds(1));
    for (Offer o : s.liveOffers()) {
      if (o.agentId().equals(agent)) {
        TaskInfo t = TaskInfo.of(TaskId.of(task), agent, Resources.parse("cpus:1;mem:128"), CommandInfo.shell("sleep 1000"));
        driver.accept(List.of(o.id()), List.of(new Operation.Launch(List.of(t))), Filters.NONE);
      } else {
        driver.decline(List.of(o.id()), Filters.NONE);
      }
    }
    s.offersReceived.clear();
    cluster.sim.runUntilIdle();
  }

  private <T> T await(CompletableFuture<T> f) {
    cluster.sim.runUntilIdle();
    return f.join();
  }

  private Throwable failure(CompletableFuture<?> f) {
    cluster.sim.runUntilIdle();
    try {
      f.join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the call to fail");
  }

  private MaintenanceSchedule host0Window() {
    Instant start = cluster.sim.instant().plus(Duration.ofHours(1));
    return new MaintenanceSchedule(List.of(new MaintenanceWindow(List.of(MachineId.of("host0")), start,
        Duration.ofHours(2))));
  }

  private static MaintenanceStatus.Answer answerOf(MaintenanceStatus status, String framework) {
    return status.drainingMachines().get(0).statuses().stream()
        .filter(s -> s.frameworkId().value().endsWith(framework))
        .findFirst().orElseThrow().answer();
  }

  @Test
  void frameworksOnAScheduledMachineGetInverseOffersAndTheirAnswersAreRecorded() {
    MaintenanceSchedule schedule = host0Window();
    await(cluster.master.updateMaintenanceSchedule(schedule));
    assertThat(await(cluster.master.maintenanceSchedule())).isEqualTo(schedule);
    assertThat(a.inverseOffers).hasSize(1);
    InverseOffer first = a.inverseOffers.get(0);
    assertThat(first.agentId()).isEqualTo(agent0);
    assertThat(first.start()).isEqualTo(schedule.windows().get(0).start());
    assertThat(first.duration()).isEqualTo(Duration.ofHours(2));
    assertThat(b.inverseOffers).as("b uses no scheduled agent").isEmpty();

    MaintenanceStatus status = await(cluster.master.maintenanceStatus());
    assertThat(status.drainingMachines()).extracting(MaintenanceStatus.DrainingMachine::id)
        .containsExactly(MachineId.of("host0"));
    assertThat(answerOf(status, "0000")).isEqualTo(MaintenanceStatus.Answer.UNKNOWN);

    // a declines for 10 s: not asked again before that, asked again after.
    driverA.declineInverseOffers(List.of(first.id()), new Filters(Duration.ofSeconds(10)));
    cluster.sim.advance(Duration.ofSeconds(5));
    assertThat(answerOf(await(cluster.master.maintenanceStatus()), "0000")).isEqualTo(MaintenanceStatus.Answer.DECLINE);
    assertThat(a.inverseOffers).hasSize(1);
    cluster.sim.advance(Duration.ofSeconds(7));
    assertThat(a.inverseOffers).hasSize(2);

    // a accepts: recorded, and not asked again.
    driverA.acceptInverseOffers(List.of(a.inverseOffers.get(1).id()), Filters.NONE);
    cluster.sim.advance(Duration.ofSeconds(30));
    assertThat(answerOf(await(cluster.master.maintenanceStatus()), "0000")).isEqualTo(MaintenanceStatus.Answer.ACCEPT);
    assertThat(a.inverseOffers).hasSize(2);

    // Unscheduling the machine ends its draining.
    await(cluster.master.updateMaintenanceSchedule(MaintenanceSchedule.EMPTY));
    assertThat(await(cluster.master.maintenanceStatus()).drainingMachines()).isEmpty();
  }

  @Test
  void startMaintenanceTakesTheMachineDownAndStopBringsItBack() {
    assertThat(failure(cluster.master.startMaintenance(List.of(MachineId.of("host0")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host0").hasMessageContaining("schedule");
    await(cluster.master.updateMaintenanceSchedule(host0Window()));
    await(cluster.master.startMaintenance(List.of(MachineId.of("host0"))));
    // The agent is gone from the master, its task lost to its framework, and it was told to stop.
    assertThat(cluster.masterSnapshot().agents()).extracting(v -> v.id()).containsExactly(agent1);
    assertThat(a.updates).anySatisfy(u -> {
      assertThat(u.taskId()).isEqualTo(TaskId.of("ta"));
      assertThat(u.state()).isEqualTo(TaskState.LOST);
    });
    assertThat(await(cluster.master.maintenanceStatus()).downMachines()).containsExactly(MachineId.of("host0"));
    // A DOWN machine must stay in the schedule; an agent on it may not register.
    assertThat(failure(cluster.master.updateMaintenanceSchedule(MaintenanceSchedule.EMPTY)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("down");
    cluster.restartAgent(0, x -> x);
    cluster.sim.advance(Duration.ofSeconds(5));
    assertThat(cluster.masterSnapshot().agents()).extracting(v -> v.id()).containsExactly(agent1);

    await(cluster.master.stopMaintenance(List.of(MachineId.of("host0"))));
    MaintenanceStatus up = await(cluster.master.maintenanceStatus());
    assertThat(up.downMachines()).isEmpty();
    assertThat(up.drainingMachines()).isEmpty();
    assertThat(await(cluster.master.maintenanceSchedule()).windows()).isEmpty();
    cluster.restartAgent(0, x -> x);
    cluster.sim.advance(Duration.ofSeconds(5));
    assertThat(cluster.masterSnapshot().agents()).hasSize(2);
    assertThat(failure(cluster.master.stopMaintenance(List.of(MachineId.of("host0")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not down");
  }

  @Test
  void drainingKillsTheTasksAndStopsOffersUntilReactivated() {
    await(cluster.master.drainAgent(agent1, Optional.of(Duration.ofSeconds(1)), false));
    cluster.sim.advance(Duration.ofSeconds(5));
    assertThat(b.updates).anySatisfy(u -> {
      assertThat(u.taskId()).isEqualTo(TaskId.of("tb"));
      assertThat(u.state()).isEqualTo(TaskState.KILLED);
    });
    MaintenanceStatus status = await(cluster.master.maintenanceStatus());
    assertThat(status.drainingAgents()).containsExactly(new MaintenanceStatus.DrainingAgent(agent1, true));
    assertThat(status.deactivatedAgents()).containsExactly(agent1);
    b.offersReceived.clear();
    cluster.sim.advance(Duration.ofSeconds(10));
    assertThat(b.offersReceived).as("offers while drained").isNotEmpty().noneMatch(o -> o.agentId().equals(agent1));

    await(cluster.master.reactivateAgent(agent1));
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(b.offersReceived).anyMatch(o -> o.agentId().equals(agent1));
    assertThat(await(cluster.master.maintenanceStatus()).drainingAgents()).isEmpty();
  }

  @Test
  void aDeactivatedAgentKeepsItsTasksButOffersNothing() {
    await(cluster.master.deactivateAgent(agent0));
    b.offersReceived.clear();
    cluster.sim.advance(Duration.ofSeconds(10));
    assertThat(b.offersReceived).as("offers while deactivated").isNotEmpty()
        .noneMatch(o -> o.agentId().equals(agent0));
    assertThat(a.updates).noneMatch(u -> u.state().isTerminal());
    assertThat(cluster.masterSnapshot().agents()).hasSize(2);
    assertThat(failure(cluster.master.deactivateAgent(AgentId.of("nope"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");

    await(cluster.master.reactivateAgent(agent0));
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(b.offersReceived).anyMatch(o -> o.agentId().equals(agent0));
    assertThat(failure(cluster.master.reactivateAgent(agent0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not deactivated");
  }

  @Test
  void aDeclineTriggersACycleOverItsAgentOnly() {
    b.onOffers((d, offers) -> { }); // hold them
    b.offersReceived.clear();
    cluster.sim.advance(Duration.ofSeconds(2));
    Offer held = b.liveOffers().stream().filter(o -> o.agentId().equals(agent0)).findFirst().orElseThrow();
    cluster.accounting.cycles.clear();
    driverB.decline(List.of(held.id()), Filters.NONE);
    cluster.sim.runUntilIdle(); // no virtual time passes: no periodic cycle
    assertThat(cluster.accounting.cycles).containsExactly(Set.of(agent0));
    cluster.sim.advance(Duration.ofSeconds(1));
    assertThat(cluster.accounting.cycles).contains("all");
  }
}
