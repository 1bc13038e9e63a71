package dev.agora.coordination;

import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the leader through ZooKeeper: the leader is the address in the epoch node, as long as the
 * candidate node that claimed that epoch still exists. Watches both the epoch node and the
 * candidates; every change (and every reconnection) reads both again.
 *
 * <p>Concurrency: state lives on the coordination's event loop; {@link #leader()} reads a
 * volatile. Each watcher is called on its executor with the current leader, then on every change,
 * in order (if its executor runs tasks in order).
 */
final class ZooKeeperMasterDetector implements MasterDetector {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperMasterDetector.class);
  private static final Duration RETRY = Duration.ofMillis(500);

  private final CuratorFramework client;
  private final Layout layout;
  private final EventLoop loop;
  private final CuratorWatcher watcher = event -> post(this::refresh);
  private final ConnectionStateListener connectionListener = (c, state) -> {
    if (state.isConnected()) {
      post(this::refresh);
    }
  };
  private volatile Optional<Address> leader = Optional.empty();

  // Loop-confined.
  private final List<Watch> watches = new ArrayList<>();
  private boolean closed;
  private boolean retryScheduled;

  private record Watch(Executor executor, Consumer<Optional<Address>> listener) {}

  ZooKeeperMasterDetector(CuratorFramework client, Layout layout, EventLoop loop) {
    this.client = client;
    this.layout = layout;
    this.loop = loop;
    client.getConnectionStateListenable().addListener(connectionListener);
    post(this::refresh);
  }

  private void post(Runnable task) {
    loop.execute(task);
  }

  @Override
  public Optional<Address> leader() {
    return leader;
  }

  @Override
  public void watch(Executor executor, Consumer<Optional<Address>> listener) {
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(listener, "listener");
    post(() -> {
      if (closed) {
        return;
      }
      Watch w = new Watch(executor, listener);
      watches.add(w);
      Optional<Address> now = leader;
      executor.execute(() -> listener.accept(now));
    });
  }

  private void refresh() {
    if (closed) {
      return;
    }
    try {
      Optional<Address> found = Optional.empty();
      List<String> candidates;
      try {
        candidates = client.getChildren().usingWatcher(watcher).forPath(layout.candidates());
      } catch (KeeperException.NoNodeException e) {
        client.checkExists().usingWatcher(watcher).forPath(layout.candidates());
        candidates = List.of();
      }
      byte[] data = null;
      try {
        data = client.getData().usingWatcher(watcher).forPath(layout.epoch());
      } catch (KeeperException.NoNodeException e) {
        client.checkExists().usingWatcher(watcher).forPath(layout.epoch());
      }
      Layout.EpochRecord record = Layout.EpochRecord.decode(data);
      if (!record.candidate().isEmpty() && candidates.contains(record.candidate())) {
        found = record.leaderAddress().map(Address::of);
      }
      if (!found.equals(leader)) {
        LOG.info("leading master: {} (epoch {})", found.map(Address::value).orElse("none"), record.epoch());
        leader = found;
        Optional<Address> now = found;
        for (Watch w : watches) {
          w.executor().execute(() -> w.listener().accept(now));
        }
      }
    } catch (Exception e) {
      LOG.debug("could not read the leader; retrying in {}", RETRY, e);
      if (!retryScheduled && !closed) {
        retryScheduled = true;
        loop.schedule(RETRY, () -> {
          retryScheduled = false;
          refresh();
        });
      }
    }
  }

  @Override
  public void close() {
    client.getConnectionStateListenable().removeListener(connectionListener);
    post(() -> {
      closed = true;
      watches.clear();
    });
  }
}
