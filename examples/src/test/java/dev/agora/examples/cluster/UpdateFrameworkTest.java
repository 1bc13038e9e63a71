package dev.agora.examples.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * UPDATE_FRAMEWORK in virtual time: a subscribed framework changes its name and roles without
 * resubscribing; offers made under its old info are rescinded and new ones come in the new role;
 * suppressed roles get nothing; an update that changes the user is refused and changes nothing.
 */
class UpdateFrameworkTest {
  @TempDir Path work;
  private SimCluster cluster;

  @AfterEach
  void close() {
    cluster.close();
  }

  private String nameOf(MasterSnapshot s) {
    return s.frameworks().get(0).name();
  }

  @Test
  void aFrameworkChangesItsNameAndRolesWithoutResubscribing() {
    cluster = new SimCluster(7, work);
    cluster.addAgent("cpus:2;mem:512;cpus(web):1;mem(web):128");
    RecordingScheduler s = new RecordingScheduler();
    FrameworkInfo before = FrameworkInfo.builder("batch").user("nobody").role("batch").build();
    SchedulerDriver driver = cluster.subscribe(before, s);
    cluster.sim.advance(Duration.ofSeconds(2));
    assertThat(s.liveOffers()).isNotEmpty().allMatch(o -> o.allocationRole().equals("batch"));
    List<OfferId> old = s.liveOffers().stream().map(Offer::id).toList();

    FrameworkInfo after = FrameworkInfo.builder("web-frontend").user("nobody").role("web").role("batch")
        .build();
    driver.updateFramework(after, Set.of("batch"));
    cluster.sim.advance(Duration.ofSeconds(3));

    assertThat(s.rescinded).containsAll(old);
    assertThat(s.subscriptions).as("no resubscription").hasSize(1);
    assertThat(nameOf(cluster.masterSnapshot())).isEqualTo("web-frontend");
    List<Offer> fresh = s.liveOffers();
    assertThat(fresh).as("offers in the new role only; batch is suppressed").isNotEmpty()
        .allMatch(o -> o.allocationRole().equals("web"));
    // The web reservation reaches the framework now that it has the role.
    assertThat(fresh.stream().mapToDouble(o -> o.resources().scalar("cpus")).sum()).isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void anUpdateThatChangesTheUserIsRefusedAndChangesNothing() {
    cluster = new SimCluster(8, work);
    cluster.addAgent("cpus:2;mem:512");
    RecordingScheduler s = new RecordingScheduler();
    SchedulerDriver driver = cluster.subscribe(FrameworkInfo.builder("fw").user("nobody").build(), s);
    cluster.sim.advance(Duration.ofSeconds(2));
    List<OfferId> live = s.liveOffers().stream().map(Offer::id).toList();
    assertThat(live).isNotEmpty();

    driver.updateFramework(FrameworkInfo.builder("renamed").user("root").build(), Set.of());
    cluster.sim.advance(Duration.ofSeconds(2));

    assertThat(nameOf(cluster.masterSnapshot())).isEqualTo("fw");
    assertThat(s.rescinded).as("offers stand").doesNotContainAnyElementsOf(live);
  }

  @Test
  void aResubscriptionThatChangesTheUserIsRefusedAsAnUpdateWouldBe() {
    cluster = new SimCluster(9, work);
    cluster.addAgent("cpus:2;mem:512");
    RecordingScheduler s = new RecordingScheduler();
    cluster.subscribe(FrameworkInfo.builder("fw").user("nobody").failoverTimeout(Duration.ofHours(1)).build(), s);
    cluster.sim.advance(Duration.ofSeconds(2));
    FrameworkId id = s.subscriptions.get(0);

    RecordingScheduler failover = new RecordingScheduler();
    cluster.subscribe(FrameworkInfo.builder("fw").user("root").failoverTimeout(Duration.ofHours(1)).build()
        .withId(id), failover);
    cluster.sim.advance(Duration.ofSeconds(2));

    assertThat(failover.errors).anyMatch(e -> e.contains("framework_info.user may not change"));
    assertThat(failover.subscriptions).isEmpty();
    assertThat(s.errors).as("the subscribed framework keeps its subscription").isEmpty();
  }
}
