package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Explanation;
import dev.agora.core.allocation.Quota;
import dev.agora.core.allocation.RoleInfo;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master's operator calls for reservations, quota and weights, and RESERVE/UNRESERVE in accept. */
class MasterReservationAndQuotaTest {
  @TempDir Path work;
  private SimCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
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

  private AgentId startCluster() {
    cluster = new SimCluster(42, work);
    cluster.addAgent("cpus:4;mem:4096");
    cluster.sim.runUntilIdle();
    return cluster.masterSnapshot().agents().get(0).id();
  }

  private static FrameworkInfo framework(String name, String role) {
    return FrameworkInfo.builder(name).user("nobody").role(role).build();
  }

  @Test
  void operatorReservationIsOfferedOnlyToItsRole() {
    AgentId agent = startCluster();
    await(cluster.master.reserve(agent, Resources.parse("cpus(eng):2;mem(eng):1024")));
    RecordingScheduler other = new RecordingScheduler();
    cluster.subscribe(framework("other", "ops"), other);
    cluster.sim.runUntilIdle();
    assertThat(other.lastOffer().resources()).isEqualTo(Resources.parse("cpus:2;mem:3072"));

    RecordingScheduler web = new RecordingScheduler();
    cluster.subscribe(framework("web", "eng/web"), web);
    cluster.sim.runUntilIdle();
    assertThat(web.lastOffer().resources()).isEqualTo(Resources.parse("cpus(eng):2;mem(eng):1024"));

    RoleInfo eng = await(cluster.master.roles()).stream().filter(r -> r.role().equals("eng")).findFirst().orElseThrow();
    assertThat(eng.reserved()).isEqualTo(Resources.parse("cpus(eng):2;mem(eng):1024"));
  }

  @Test
  void reserveInAcceptKeepsTheResourcesForTheRole() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("db", "db"), s);
    cluster.sim.runUntilIdle();
    Offer offer = s.lastOffer();
    d.accept(List.of(offer.id()), List.of(new Operation.Reserve(Resources.parse("cpus(db):1;mem(db):512"))), Filters.NONE);
    cluster.sim.runUntilIdle();
    assertThat(s.lastOffer().resources()).isEqualTo(Resources.parse("cpus:3;mem:3584;cpus(db):1;mem(db):512"));

    Offer next = s.lastOffer();
    d.accept(List.of(next.id()), List.of(new Operation.Unreserve(Resources.parse("cpus(db):1;mem(db):512"))), Filters.NONE);
    cluster.sim.runUntilIdle();
    assertThat(s.lastOffer().resources()).isEqualTo(Resources.parse("cpus:4;mem:4096"));
  }

  @Test
  void invalidReservationsInAcceptAreDroppedWithoutChange() {
    startCluster();
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("db", "db"), s);
    cluster.sim.runUntilIdle();
    Offer offer = s.lastOffer();
    d.accept(List.of(offer.id()), List.of(
        new Operation.Reserve(Resources.parse("cpus(someone-else):1")), // a role it may not use
        new Operation.Reserve(Resources.parse("cpus(db):99")), // not in the offer
        new Operation.Unreserve(Resources.parse("cpus(db):1"))), // not reserved
        Filters.NONE);
    cluster.sim.runUntilIdle();
    assertThat(s.lastOffer().resources()).isEqualTo(Resources.parse("cpus:4;mem:4096"));
  }

  @Test
  void badOperatorCallsFailNamingTheValueAndChangeNothing() {
    AgentId agent = startCluster();
    assertThat(failure(cluster.master.reserve(agent, Resources.parse("cpus:1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not reserved");
    assertThat(failure(cluster.master.reserve(agent, Resources.parse("cpus(eng):64"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus");
    assertThat(failure(cluster.master.reserve(AgentId.of("nope"), Resources.parse("cpus(eng):1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
    assertThat(failure(cluster.master.unreserve(agent, Resources.parse("cpus(eng):1"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(cluster.master.updateWeights(Map.of("eng", -2.0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-2.0");
    assertThat(failure(cluster.master.updateQuota("bad role", Quota.NONE)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad role");
    assertThat(await(cluster.master.weights())).isEmpty();
    assertThat(await(cluster.master.quotas())).isEmpty();
    assertThat(await(cluster.master.roles())).noneMatch(r -> r.role().equals("eng"));
  }

  @Test
  void weightsQuotaAndExplainThroughTheMaster() {
    startCluster();
    await(cluster.master.updateWeights(Map.of("eng", 2.0)));
    await(cluster.master.updateQuota("eng", new Quota(Resources.EMPTY, Resources.parse("cpus:1"))));
    assertThat(await(cluster.master.weights())).containsEntry("eng", 2.0);
    assertThat(await(cluster.master.quotas()).get("eng").limit()).isEqualTo(Resources.parse("cpus:1"));
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver d = cluster.subscribe(framework("capped", "eng"), s);
    cluster.sim.runUntilIdle();
    assertThat(s.lastOffer().resources().cpus()).isEqualTo(1.0);
    Explanation why = await(cluster.master.explain(d.frameworkId().orElseThrow()));
    assertThat(why.roles().get(0).agents()).containsKey(Explanation.Reason.QUOTA_LIMIT);
  }
}
