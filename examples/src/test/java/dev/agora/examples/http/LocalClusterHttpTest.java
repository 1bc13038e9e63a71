package dev.agora.examples.http;

import static org.awaitility.Awaitility.await;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.examples.local.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process local cluster, driven over HTTP through the scheduler API bridge. */
class LocalClusterHttpTest {
  @TempDir Path work;

  @Test
  void anHttpFrameworkRunsATaskOnTheLocalCluster() {
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:1;mem:256"), "", work);
        HttpSchedulerTransport client = HttpSchedulerTransport.create()) {
      HttpTransport http = cluster.serveHttp("127.0.0.1", 0);
      HttpClusterTest.Recorder r = new HttpClusterTest.Recorder();
      SchedulerDriver d = SchedulerDriver.builder().transport(client).address(Address.of("bridged"))
          .master(Address.of(http.baseUrl() + "/master"))
          .framework(FrameworkInfo.builder("bridged").user("root").failoverTimeout(Duration.ofMinutes(1)).build())
          .scheduler(r).start();
      await().atMost(Duration.ofSeconds(20)).until(() -> !r.offers.isEmpty());
      Offer o = r.offers.get(0);
      d.launch(o, List.of(TaskInfo.of(TaskId.of("t"), o.agentId(), Resources.parse("cpus:0.5;mem:32"),
          CommandInfo.shell("true"))));
      await().atMost(Duration.ofSeconds(20)).until(() -> r.states("t").contains(TaskState.FINISHED));
      d.close();
    }
  }
}
