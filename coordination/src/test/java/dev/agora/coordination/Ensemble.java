package dev.agora.coordination;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.zookeeper.CreateMode;

/** A real three-node ZooKeeper ensemble in this JVM (Curator's TestingCluster) and clients of it. */
final class Ensemble implements AutoCloseable {
  static final Duration SESSION = Duration.ofSeconds(4);
  final TestingCluster cluster;
  private final List<ZooKeeperCoordination> coordinations = new ArrayList<>();

  Ensemble() throws Exception {
    cluster = new TestingCluster(3);
    cluster.start();
    awaitEveryServerServing();
  }

  /**
   * Waits until each server, asked alone, takes a write: the quorum has formed and every follower
   * has synced. (Right after start the servers may still elect and sync; a session made then on a
   * follower that re-syncs was seen to end on the server within milliseconds, which tests of
   * client-side expiry must not meet.)
   */
  private void awaitEveryServerServing() throws Exception {
    for (InstanceSpec server : cluster.getInstances()) {
      try (CuratorFramework probe = CuratorFrameworkFactory.newClient(server.getConnectString(), 4000, 2000,
          new RetryOneTime(100))) {
        probe.start();
        if (!probe.blockUntilConnected(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("ZooKeeper server " + server.getConnectString() + " did not serve in 60 s");
        }
        String path = probe.create().creatingParentsIfNeeded()
            .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/ensemble-probe/p-");
        probe.delete().forPath(path);
      }
    }
  }

  /** A fresh cluster root, so tests sharing an ensemble do not see each other. */
  String newUrl() {
    return "zk://" + cluster.getConnectString() + "/agora-" + UUID.randomUUID();
  }

  /** A new session on {@code url}, closed with the ensemble. */
  ZooKeeperCoordination connect(String url) {
    return connect(url, SESSION);
  }

  /** A new session on {@code url} with the given session timeout, closed with the ensemble. */
  synchronized ZooKeeperCoordination connect(String url, Duration session) {
    ZooKeeperCoordination c = ZooKeeperCoordination.builder().url(url)
        .sessionTimeout(session).connectionTimeout(Duration.ofSeconds(2)).build();
    coordinations.add(c);
    return c;
  }

  /** A candidate with a session of its own; closing it also closes its session. */
  LeaderElector elector(String url, String name) {
    ZooKeeperCoordination c = connect(url);
    LeaderElector e = c.leaderElector(Address.of(name));
    return new LeaderElector() {
      @Override
      public void start(Listener listener, Executor executor) {
        e.start(listener, executor);
      }

      @Override
      public void close() {
        e.close();
        c.close();
      }
    };
  }

  @Override
  public void close() throws Exception {
    List<ZooKeeperCoordination> all;
    synchronized (this) {
      all = new ArrayList<>(coordinations);
    }
    for (ZooKeeperCoordination c : all) {
      c.close();
    }
    cluster.close();
  }
}
