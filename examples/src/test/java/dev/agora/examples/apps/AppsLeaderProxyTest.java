package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.examples.local.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A follower forwards API calls to the leader over HTTP (Marathon's proxying), and answers 503 without one. */
class AppsLeaderProxyTest {
  @TempDir
  Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  /** An election this instance never wins. */
  static final class Follower implements LeaderElector {
    @Override
    public void start(Listener listener, Executor executor) {
      executor.execute(listener::notLeader);
    }

    @Override
    public void close() {}
  }

  HttpResponse<String> send(int port, String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void followersProxyToTheLeaderAndAnswer503WithoutOne() throws Exception {
    InMemoryStateStore store = new InMemoryStateStore();
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:2;mem:1024;ports:[31000-31099]"), "",
        dir.resolve("work"));
        AppsService follower = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("apps-f")).httpPort(0).httpHost("127.0.0.1").stateStore(store)
            .leaderElector(new Follower()).build().start()) {
      int f = follower.httpPort().orElseThrow();
      assertThat(send(f, "GET", "/v2/apps", null).statusCode()).as("no leader yet").isEqualTo(503);
      int leaderPort;
      try (AppsService leader = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
          .address(Address.of("apps-l")).httpPort(0).httpHost("127.0.0.1").stateStore(store).build().start()) {
        leaderPort = leader.httpPort().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(leader::isLeader);
        HttpResponse<String> created = send(f, "POST", "/v2/apps?force=false",
            "{\"id\":\"/via\",\"cmd\":\"sleep 100\",\"cpus\":0.1,\"mem\":16,\"instances\":1}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("X-Marathon-Leader")).hasValue("http://127.0.0.1:" + leaderPort);
        assertThat(created.headers().firstValue("Location")).hasValue("/v2/apps/via");
        await().atMost(Duration.ofSeconds(20)).until(() ->
            send(leaderPort, "GET", "/v2/apps/via", null).body().contains("\"tasksRunning\":1"));
        assertThat(send(f, "GET", "/v2/apps/via", null).body()).contains("\"tasksRunning\":1");
        assertThat(send(f, "GET", "/v2/leader", null).body()).contains("127.0.0.1:" + leaderPort);
        assertThat(send(f, "GET", "/ping", null).body()).isEqualTo("pong");
        assertThat(send(f, "DELETE", "/v2/apps/via", null).statusCode()).isEqualTo(200);
      }
      // the published leader is gone: 503, not a hang or a loop
      assertThat(send(f, "GET", "/v2/apps", null).statusCode()).isEqualTo(503);
    }
  }

  /**
   * A leader publishes its URL through the store's view fenced with its epoch: once a newer leader
   * has begun its term, the old one cannot take the key back.
   */
  @Test
  void aLeaderDeposedBeforeItPublishesItsUrlCannotPublishIt() throws Exception {
    InMemoryStateStore store = new InMemoryStateStore();
    // Runs the first store call (the epoch and the state read) at once, holds the rest.
    List<Runnable> held = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger calls = new AtomicInteger();
    Executor io = r -> {
      if (calls.getAndIncrement() == 0) {
        r.run();
      } else {
        held.add(r);
      }
    };
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:2;mem:1024;ports:[31000-31099]"), "",
        dir.resolve("work"));
        AppsService leader = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("apps-l")).httpPort(0).httpHost("127.0.0.1").stateStore(store).storeExecutor(io)
            .build().start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> leader.isLeader() && !held.isEmpty());
      assertThat(store.beginEpoch(2)).isTrue(); // another instance was elected and began its term
      List<Runnable> now;
      synchronized (held) {
        now = new ArrayList<>(held);
        held.clear();
      }
      now.forEach(Runnable::run); // the publish among them
      assertThat(store.get(LeaderProxy.KEY)).as("the deposed leader's URL").isEmpty();
    }
  }
}
