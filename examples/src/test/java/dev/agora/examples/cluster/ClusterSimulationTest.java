package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.FrameworkInfo.Capability;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.transport.FaultInjectingTransport.MessageMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Master, agents and frameworks in virtual time: the timing and protocol rules, deterministically. */
class ClusterSimulationTest {
  @TempDir Path work;
  private SimCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static FrameworkInfo framework(String name) {
    return FrameworkInfo.builder(name).user("nobody").build();
  }

  private static TaskInfo task(String id, Offer offer, String resources) {
    return TaskInfo.of(TaskId.of(id), offer.agentId(), Resources.parse(resources), CommandInfo.shell("true"));
  }

  private SimCluster startCluster() {
    cluster = new SimCluster(42, work);
    cluster.addAgent("cpus:4;mem:4096");
    return cluster;
  }

  @Test
  void declineFilterHoldsOffersBackForTheRefuseTime() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("decliner"), s);
    cluster.sim.runUntilIdle();
    assertThat(s.offersReceived).hasSize(1);

    d.decline(List.of(s.lastOffer().id()), new Filters(Duration.ofSeconds(30)));
    cluster.sim.advance(Duration.ofSeconds(29));
    assertThat(s.offersReceived).as("offers within the refuse time").hasSize(1);

    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(s.offersReceived).as("offers after the refuse time").hasSize(2);
    assertThat(s.lastOffer().resources()).isEqualTo(Resources.parse("cpus:4;mem:4096"));
  }

  @Test
  void declineWithoutFilterComesBackAtTheNextCycle() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    d.decline(List.of(s.lastOffer().id()), Filters.NONE);
    cluster.sim.runUntilIdle();
    assertThat(s.offersReceived).hasSize(2);
  }

  @Test
  void taskRunsToFinishedAndItsResourcesAreOfferedAgain() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t1", offer, "cpus:1;mem:128")));
    cluster.sim.runUntilIdle();
    assertThat(s.states(TaskId.of("t1"))).containsExactly(TaskState.STARTING, TaskState.RUNNING);

    cluster.containerizers.get(0).finish(TaskId.of("t1"), 0);
    cluster.sim.advance(Duration.ofSeconds(6));
    assertThat(s.states(TaskId.of("t1"))).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED);
    assertThat(s.lastOffer().resources()).isEqualTo(Resources.parse("cpus:4;mem:4096"));
    assertThat(cluster.masterSnapshot().framework(d.frameworkId().orElseThrow()).orElseThrow().tasks())
        .as("acknowledged terminal task leaves the master").isEmpty();
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).isZero();
  }

  @Test
  void reconcileAnswersForKnownAndUnknownTasks() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("known", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    s.updates.clear();

    d.reconcile(List.of(
        new ReconcileTask(TaskId.of("known"), Optional.of(offer.agentId())),
        new ReconcileTask(TaskId.of("unknown-on-agent"), Optional.of(offer.agentId())),
        new ReconcileTask(TaskId.of("unknown"), Optional.empty())));
    cluster.sim.runUntilIdle();
    assertThat(s.latest(TaskId.of("known")).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    assertThat(s.latest(TaskId.of("known")).orElseThrow().reason()).contains(TaskStatus.Reason.REASON_RECONCILIATION);
    assertThat(s.latest(TaskId.of("unknown-on-agent")).orElseThrow().state()).isEqualTo(TaskState.LOST);
    assertThat(s.latest(TaskId.of("unknown")).orElseThrow().state()).isEqualTo(TaskState.LOST);

    s.updates.clear();
    d.reconcile(List.of());
    cluster.sim.runUntilIdle();
    assertThat(s.updates).extracting(TaskStatus::taskId).containsExactly(TaskId.of("known"));
  }

  @Test
  void partitionAwareFrameworksHearGoneAndUnknownOnReconcile() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(
        FrameworkInfo.builder("aware").user("nobody").capability(Capability.PARTITION_AWARE).build(), s);
    AgentId agent = s.lastOffer().agentId();
    d.reconcile(List.of(new ReconcileTask(TaskId.of("a"), Optional.of(agent)),
        new ReconcileTask(TaskId.of("b"), Optional.empty())));
    cluster.sim.runUntilIdle();
    assertThat(s.latest(TaskId.of("a")).orElseThrow().state()).isEqualTo(TaskState.GONE);
    assertThat(s.latest(TaskId.of("b")).orElseThrow().state()).isEqualTo(TaskState.UNKNOWN);
  }

  @Test
  void frameworkThatFailsOverWithinItsTimeoutKeepsItsTasks() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    FrameworkInfo info = FrameworkInfo.builder("failover").user("nobody").failoverTimeout(Duration.ofMinutes(1)).build();
    SchedulerDriver d = cluster.subscribe(info, s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    FrameworkId id = d.frameworkId().orElseThrow();

    d.close();
    cluster.sim.advance(Duration.ofSeconds(50));
    assertThat(cluster.masterSnapshot().framework(id).orElseThrow().connected()).isFalse();

    RecordingScheduler s2 = new RecordingScheduler();
    SchedulerDriver d2 = cluster.subscribe(FrameworkInfo.builder("failover").user("nobody").id(id)
        .failoverTimeout(Duration.ofMinutes(1)).build(), s2);
    assertThat(s2.subscriptions).containsExactly(id);
    cluster.sim.advance(Duration.ofMinutes(5));
    assertThat(cluster.containerizers.get(0).running()).containsExactly(TaskId.of("t"));
    d2.reconcile(List.of());
    cluster.sim.runUntilIdle();
    assertThat(s2.latest(TaskId.of("t")).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
  }

  @Test
  void frameworkThatDoesNotReturnWithinItsTimeoutIsTornDown() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    FrameworkInfo info = FrameworkInfo.builder("gone").user("nobody").failoverTimeout(Duration.ofMinutes(1)).build();
    SchedulerDriver d = cluster.subscribe(info, s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    FrameworkId id = d.frameworkId().orElseThrow();
    d.close();

    cluster.sim.advance(Duration.ofSeconds(59));
    assertThat(cluster.containerizers.get(0).running()).containsExactly(TaskId.of("t"));
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(cluster.containerizers.get(0).running()).as("tasks killed after the failover timeout").isEmpty();
    assertThat(cluster.masterSnapshot().framework(id)).isEmpty();
    cluster.sim.advance(Duration.ofMinutes(1));
    assertThat(cluster.agentSnapshot(0).tasks()).isEmpty();
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).as("master acknowledged for the removed framework").isZero();

    RecordingScheduler late = new RecordingScheduler();
    cluster.subscribe(FrameworkInfo.builder("gone").user("nobody").id(id).build(), late);
    assertThat(late.errors).singleElement().asString().contains("has been removed");
  }

  @Test
  void statusUpdateIsResentWhenItsAcknowledgementIsDropped() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    cluster.transport.dropNext(MessageMatcher.ofType(AgentMessage.StatusUpdateAcknowledgement.class), 1);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    assertThat(s.states(TaskId.of("t"))).containsExactly(TaskState.STARTING);
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).isEqualTo(2);

    cluster.sim.advance(Duration.ofSeconds(9));
    assertThat(s.states(TaskId.of("t"))).as("no resend before 10 s").containsExactly(TaskState.STARTING);
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(s.states(TaskId.of("t"))).containsExactly(TaskState.STARTING, TaskState.STARTING, TaskState.RUNNING);
    assertThat(s.updates.get(0).uuid()).isEqualTo(s.updates.get(1).uuid());
    assertThat(cluster.agentSnapshot(0).pendingStatusUpdates()).isZero();
  }

  @Test
  void invalidAcceptsAreAnsweredWithTheReason() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(
        task("too-big", offer, "cpus:8;mem:64"),
        task("empty", offer, "cpus:0"),
        task("ok", offer, "cpus:1;mem:64"),
        task("ok", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    assertThat(s.latest(TaskId.of("too-big")).orElseThrow().state()).isEqualTo(TaskState.ERROR);
    assertThat(s.latest(TaskId.of("too-big")).orElseThrow().message().orElseThrow()).contains("more resources");
    assertThat(s.latest(TaskId.of("empty")).orElseThrow().message().orElseThrow()).contains("no resources");
    assertThat(s.states(TaskId.of("ok"))).contains(TaskState.ERROR, TaskState.RUNNING);
    assertThat(s.updates).filteredOn(u -> u.taskId().value().equals("ok") && u.state() == TaskState.ERROR)
        .singleElement().extracting(u -> u.message().orElseThrow()).asString().contains("duplicate ID: ok");

    // The same offer again: it was used, so it is no longer valid.
    d.launch(offer, List.of(task("late", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    TaskStatus late = s.latest(TaskId.of("late")).orElseThrow();
    assertThat(late.state()).isEqualTo(TaskState.LOST);
    assertThat(late.reason()).contains(TaskStatus.Reason.REASON_INVALID_OFFERS);
    assertThat(late.message().orElseThrow()).isEqualTo("Offer " + offer.id() + " is no longer valid");
  }

  @Test
  void partitionAwareFrameworkGetsDroppedForAnInvalidOffer() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(
        FrameworkInfo.builder("aware").user("nobody").capability(Capability.PARTITION_AWARE).build(), s);
    Offer offer = s.lastOffer();
    d.decline(List.of(offer.id()), Filters.DEFAULT);
    d.launch(offer, List.of(task("t", offer, "cpus:1")));
    cluster.sim.runUntilIdle();
    assertThat(s.latest(TaskId.of("t")).orElseThrow().state()).isEqualTo(TaskState.DROPPED);
  }

  @Test
  void offersOfTwoAgentsInOneAcceptAreRefused() {
    startCluster();
    cluster.addAgent("cpus:2;mem:1024");
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    assertThat(s.offersReceived).hasSize(2);
    Offer a = s.offersReceived.get(0);
    Offer b = s.offersReceived.get(1);
    d.accept(List.of(a.id(), b.id()), List.of(new Operation.Launch(List.of(task("t", a, "cpus:1")))), Filters.NONE);
    cluster.sim.runUntilIdle();
    assertThat(s.latest(TaskId.of("t")).orElseThrow().message().orElseThrow()).contains("more than one agent");
  }

  @Test
  void anotherFrameworksOfferIsInvalid() {
    startCluster();
    RecordingScheduler s1 = new RecordingScheduler();
    cluster.subscribe(framework("one"), s1);
    RecordingScheduler s2 = new RecordingScheduler();
    SchedulerDriver d2 = cluster.subscribe(framework("two"), s2);
    Offer theirs = s1.lastOffer();
    d2.launch(theirs, List.of(task("t", theirs, "cpus:1")));
    cluster.sim.runUntilIdle();
    assertThat(s2.latest(TaskId.of("t")).orElseThrow().message().orElseThrow()).contains("is not for framework");
  }

  @Test
  void killEndsTaskKilledAndFreesItsResources() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    d.kill(TaskId.of("t"), Optional.empty(), Optional.empty());
    cluster.sim.runUntilIdle();
    assertThat(s.states(TaskId.of("t"))).endsWith(TaskState.KILLED);
    assertThat(cluster.containerizers.get(0).running()).isEmpty();
  }

  @Test
  void agentThatStopsAnsweringPingsIsRemovedAndItsTasksLost() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();

    cluster.agentLoops.get(0).shutdown(); // the agent's process hangs: no more pongs
    cluster.sim.advance(Duration.ofSeconds(15 * 5 - 1));
    assertThat(s.failures).isEmpty();
    cluster.sim.advance(Duration.ofSeconds(16));
    assertThat(s.failures).containsExactly(offer.agentId());
    TaskStatus lost = s.latest(TaskId.of("t")).orElseThrow();
    assertThat(lost.state()).isEqualTo(TaskState.LOST);
    assertThat(lost.reason()).contains(TaskStatus.Reason.REASON_AGENT_REMOVED);
    assertThat(cluster.masterSnapshot().agents()).isEmpty();
  }

  @Test
  void offersNotUsedWithinTheOfferTimeoutAreRescinded() {
    cluster = new SimCluster(7, work, Master.builder().offerTimeout(Duration.ofSeconds(30)));
    cluster.addAgent("cpus:1;mem:128");
    RecordingScheduler s = new RecordingScheduler();
    cluster.subscribe(framework("slow"), s);
    Offer first = s.lastOffer();
    cluster.sim.advance(Duration.ofSeconds(31));
    assertThat(s.rescinded).contains(first.id());
    assertThat(s.offersReceived).as("the resources come back in a new offer").hasSizeGreaterThan(1);
  }

  @Test
  void teardownKillsTheFrameworksTasks() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("f"), s);
    Offer offer = s.lastOffer();
    d.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    cluster.sim.runUntilIdle();
    d.teardown();
    cluster.sim.runUntilIdle();
    assertThat(cluster.containerizers.get(0).running()).isEmpty();
    assertThat(cluster.masterSnapshot().frameworks()).isEmpty();
  }

  @Test
  void offersADeclinesGoToTheOtherFramework() {
    cluster = new SimCluster(3, work);
    for (int i = 0; i < 4; i++) {
      cluster.addAgent("cpus:2;mem:2048");
    }
    RecordingScheduler a = new RecordingScheduler();
    SchedulerDriver da = cluster.subscribe(framework("a"), a);
    assertThat(a.offersReceived).hasSize(4);
    RecordingScheduler b = new RecordingScheduler();
    cluster.subscribe(framework("b"), b);
    assertThat(b.offersReceived).as("everything is offered to a").isEmpty();

    List<Offer> declined = a.offersReceived.subList(0, 2);
    da.decline(declined.stream().map(Offer::id).toList(), new Filters(Duration.ofHours(1)));
    cluster.sim.runUntilIdle();
    assertThat(b.offersReceived).extracting(Offer::agentId)
        .containsExactlyInAnyOrderElementsOf(declined.stream().map(Offer::agentId).toList());
  }

  @Test
  void frameworkWithoutFailoverTimeoutIsRemovedWhenItDisconnects() {
    // Regression: removing the framework while scanning frameworks for the disconnected address
    // threw ConcurrentModificationException when another framework came after it.
    startCluster();
    RecordingScheduler first = new RecordingScheduler();
    SchedulerDriver d1 = cluster.subscribe(framework("first"), first);
    Offer offer = first.lastOffer();
    d1.launch(offer, List.of(task("t", offer, "cpus:1;mem:64")));
    RecordingScheduler second = new RecordingScheduler();
    SchedulerDriver d2 = cluster.subscribe(framework("second"), second);
    cluster.sim.runUntilIdle();

    d1.close();
    cluster.sim.runUntilIdle();
    assertThat(cluster.masterSnapshot().frameworks()).extracting(f -> f.name()).containsExactly("second");
    assertThat(cluster.containerizers.get(0).running()).isEmpty();
    assertThat(d2.frameworkId()).isPresent();
  }
}
