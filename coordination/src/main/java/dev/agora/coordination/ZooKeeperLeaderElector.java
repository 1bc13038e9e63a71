package dev.agora.coordination;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.transport.Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on ZooKeeper, written on Curator's framework rather than its LeaderLatch so that
 * every step that grants leadership is visible here.
 *
 * <p>Each candidate holds one ephemeral sequential node under {@code root/candidates} (data: its
 * address). The candidate with the lowest sequence leads, but only after two checks:
 * <ol>
 *   <li>its node's {@code ephemeralOwner} is the client's <em>current</em> session. A node of an
 *       earlier session (still alive on the server after a client-side expiry, CURATOR-620 /
 *       CURATOR-696) is never taken as ours: it is deleted and a new node created;
 *   <li>it claims the next epoch with one transaction: check(its node) + setData(epoch node, epoch
 *       + 1, the epoch node's version). Two claims of the same epoch cannot both succeed, so no
 *       two terms share an epoch, and the {@link ZooKeeperStateStore} refuses writes fenced with
 *       an older one.
 * </ol>
 * SUSPENDED or LOST: the listener hears {@code notLeader()} at once, and Curator's thread waits
 * until that call has returned before it delivers the next connection event (before any other
 * candidate could be elected, since our node lives until our session ends or we delete it). A
 * node of an earlier session is deleted only after our listener's {@code notLeader()} has run, so
 * a leader stops acting before the next one starts. RECONNECTED: the election runs
 * again; a leader that is still first claims a new epoch (a new term), never resumes the old one.
 *
 * <p>Concurrency: the election's state lives on the coordination's event loop; ZooKeeper watchers
 * and connection events post to it. The term (whether and under which epoch we lead) is guarded
 * by a lock, because SUSPENDED / LOST stop the term directly on Curator's thread: the loop may be
 * blocked in a ZooKeeper call that waits for the lost connection. Listener calls are handed to
 * the caller's executor under that lock, so they are in order.
 */
final class ZooKeeperLeaderElector implements LeaderElector {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLeaderElector.class);
  private static final String PREFIX = "c-";
  private static final Duration RETRY = Duration.ofMillis(500);
  /** How long a step that ends our term waits for the listener's {@code notLeader()} to run. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private final CuratorFramework client;
  private final Layout layout;
  private final EventLoop loop;
  private final Address address;
  /** Candidates that must be in the election before the first in line takes office. */
  private final int quorum;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final CuratorWatcher watcher = event -> post(this::elect);
  private final ConnectionStateListener connectionListener = (c, state) -> {
    if (!state.isConnected()) {
      disconnected(state); // at once, on Curator's thread: the loop may be blocked in a ZooKeeper call
    }
    post(() -> connectionChanged(state));
  };

  /** Guards {@link #term}, {@link #disconnections} and {@link #lastStop}; orders the listener calls. */
  private final Object termLock = new Object();
  private long term; // the epoch we lead under; 0 while not leading
  private long disconnections; // SUSPENDED / LOST / READ_ONLY events seen so far
  /** Completes once the last term's {@code notLeader()} has run. */
  private CompletableFuture<Void> lastStop = CompletableFuture.completedFuture(null);
  private volatile Listener listener;
  private volatile Executor executor;

  // Loop-confined state.
  private String ourPath;
  private boolean closed;
  private boolean retryScheduled;

  ZooKeeperLeaderElector(CuratorFramework client, Layout layout, EventLoop loop, Address address) {
    this(client, layout, loop, address, 1);
  }

  ZooKeeperLeaderElector(CuratorFramework client, Layout layout, EventLoop loop, Address address, int quorum) {
    if (quorum < 1) {
      throw new IllegalArgumentException("quorum must be >= 1 but was " + quorum);
    }
    this.client = client;
    this.layout = layout;
    this.loop = loop;
    this.address = address;
    this.quorum = quorum;
  }

  @Override
  public void start(Listener listener, Executor executor) {
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(executor, "executor");
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("elector cannot be started more than once");
    }
    post(() -> {
      if (closed) {
        return;
      }
      this.listener = listener;
      this.executor = executor;
      client.getConnectionStateListenable().addListener(connectionListener);
      elect();
    });
  }

  private void post(Runnable task) {
    loop.execute(task);
  }

  private void connectionChanged(ConnectionState state) {
    if (closed) {
      return;
    }
    LOG.info("candidate {}: ZooKeeper connection {}", address, state);
    if (state.isConnected()) {
      elect();
    }
  }

  private void disconnected(ConnectionState state) {
    CompletableFuture<Void> stopped;
    synchronized (termLock) {
      disconnections++;
      stopped = stopLeading("connection " + state);
    }
    // Synchronously, on Curator's thread, before it delivers anything else (RECONNECTED, whose
    // election may delete our old node and let the next candidate lead): the listener has stopped
    // acting when this returns, unless its executor is stuck.
    awaitStopped(stopped);
  }

  /**
   * Ends our term, if any: the listener hears {@code notLeader()} on its executor. The future
   * completes once that call has returned (at once if we did not lead).
   */
  private CompletableFuture<Void> stopLeading(String why) {
    synchronized (termLock) {
      if (term == 0) {
        return lastStop; // the previous term's notLeader() may still be on its way
      }
      LOG.warn("candidate {} stops leading epoch {}: {}", address, term, why);
      term = 0;
      Listener l = listener;
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      lastStop = stopped;
      try {
        executor.execute(() -> {
          try {
            l.notLeader();
          } finally {
            stopped.complete(null);
          }
        });
      } catch (RuntimeException e) {
        LOG.warn("candidate {}: listener executor refused notLeader()", address, e);
        stopped.complete(null);
      }
      return stopped;
    }
  }

  /** Waits (bounded) until the listener's {@code notLeader()} has run. */
  private void awaitStopped(CompletableFuture<Void> stopped) {
    try {
      stopped.get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("candidate {}: the listener did not run notLeader() within {}", address, STOP_WAIT);
    }
  }

  private long term() {
    synchronized (termLock) {
      return term;
    }
  }

  /** One election step: make sure we have a node of this session, then lead if first. */
  private void elect() {
    if (closed || listener == null) {
      return;
    }
    if (!client.getZookeeperClient().isConnected()) {
      return; // CONNECTED / RECONNECTED runs us again
    }
    try {
      org.apache.zookeeper.ZooKeeper handle = client.getZookeeperClient().getZooKeeper();
      if (!handle.getState().isConnected()) {
        return; // a handle of an expired session, about to be replaced: RECONNECTED runs us again
      }
      long session = handle.getSessionId();
      if (ourPath != null) {
        Stat stat = client.checkExists().forPath(ourPath);
        if (stat == null || stat.getEphemeralOwner() != session) {
          // Stop acting first, and only then give up the node that keeps the others out: the
          // next leader must not start before our listener has stopped (CURATOR-620 ordering).
          awaitStopped(stopLeading("our candidate node is of an earlier session or gone"));
          if (stat != null) {
            LOG.warn("candidate {}: {} belongs to an earlier session; deleting it", address, ourPath);
            deleteQuietly(ourPath, stat.getVersion());
          }
          ourPath = null;
        }
      }
      if (ourPath == null) {
        ourPath = client.create().creatingParentsIfNeeded().withProtection()
            .withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
            .forPath(layout.candidates() + "/" + PREFIX, address.value().getBytes(StandardCharsets.UTF_8));
        LOG.info("candidate {} joined as {}", address, ourPath);
      }
      List<String> children = new ArrayList<>(client.getChildren().usingWatcher(watcher).forPath(layout.candidates()));
      children.sort(Comparator.comparing(ZooKeeperLeaderElector::sequence));
      String ourName = ourPath.substring(ourPath.lastIndexOf('/') + 1);
      if (!children.contains(ourName)) {
        ourPath = null;
        stopLeading("our candidate node vanished");
        post(this::elect);
        return;
      }
      if (!children.get(0).equals(ourName)) {
        stopLeading("another candidate is first");
        return;
      }
      if (term() == 0 && children.size() < quorum) {
        // First in line, but too few contenders yet: the children watch runs us again when one joins.
        LOG.info("candidate {} is first in line but waits for a quorum: {} of {} master(s) present", address,
            children.size(), quorum);
        return;
      }
      if (term() == 0) {
        claim(session, ourName);
      }
    } catch (Exception e) {
      LOG.warn("candidate {}: election step failed, retrying in {}", address, RETRY, e);
      stopLeading("election step failed");
      retryLater();
    }
  }

  private void claim(long session, String ourName) throws Exception {
    Stat ours = client.checkExists().forPath(ourPath);
    if (ours == null || ours.getEphemeralOwner() != session) {
      retryLater(); // the session changed under us: its connection events come first
      return;
    }
    Stat epochStat = new Stat();
    byte[] data;
    try {
      data = client.getData().storingStatIn(epochStat).forPath(layout.epoch());
    } catch (KeeperException.NoNodeException e) {
      try {
        client.create().creatingParentsIfNeeded().forPath(layout.epoch(), Layout.EpochRecord.NONE.encode());
      } catch (KeeperException.NodeExistsException ignored) {
        // made by another candidate meanwhile
      }
      post(this::elect);
      return;
    }
    long next = Layout.EpochRecord.decode(data).epoch() + 1;
    long disconnectionsBefore;
    synchronized (termLock) {
      disconnectionsBefore = disconnections;
    }
    byte[] record = new Layout.EpochRecord(next, ourName, address.value()).encode();
    try {
      client.transaction().forOperations(
          client.transactionOp().check().withVersion(ours.getVersion()).forPath(ourPath),
          client.transactionOp().setData().withVersion(epochStat.getVersion()).forPath(layout.epoch(), record));
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      LOG.info("candidate {}: claim of epoch {} lost a race; electing again", address, next);
      post(this::elect);
      return;
    }
    if (!sameLiveSession(session)) {
      // The session ended (client-side expiry) while we claimed: the transaction may have run on
      // a new session against our node of the old one. That node is not ours to lead with; the
      // term is void and the next step deletes the node.
      LOG.info("candidate {}: session changed while claiming epoch {}; not leading", address, next);
      post(this::elect);
      return;
    }
    synchronized (termLock) {
      if (disconnections != disconnectionsBefore || closed) {
        // Disconnected meanwhile: the term we claimed is void; a reconnection elects again and
        // claims a new epoch (so a write fenced with this one can never land after that).
        LOG.info("candidate {}: disconnected while claiming epoch {}; not leading", address, next);
        return;
      }
      // Our session may still have changed since the checks; its connection events then depose
      // us, and our old node keeps everyone else out until then.
      term = next;
      LOG.info("candidate {} leads under epoch {}", address, next);
      Listener l = listener;
      executor.execute(() -> l.isLeader(next));
    }
  }

  /** Whether the client's current handle is connected under {@code session}. */
  private boolean sameLiveSession(long session) {
    try {
      org.apache.zookeeper.ZooKeeper handle = client.getZookeeperClient().getZooKeeper();
      return handle.getSessionId() == session && handle.getState().isConnected();
    } catch (Exception e) {
      return false;
    }
  }

  private void retryLater() {
    if (retryScheduled || closed) {
      return;
    }
    retryScheduled = true;
    loop.schedule(RETRY, () -> {
      retryScheduled = false;
      elect();
    });
  }

  private void deleteQuietly(String path, int version) {
    try {
      client.delete().withVersion(version).forPath(path);
    } catch (Exception e) {
      LOG.debug("could not delete {}", path, e);
    }
  }

  static long sequence(String name) {
    int i = name.lastIndexOf(PREFIX);
    try {
      return Long.parseLong(name.substring(i + PREFIX.length()));
    } catch (RuntimeException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Leaves the election: a leader's listener hears {@code notLeader()} and (within 5 s) has run
   * it before our candidate node is deleted, so the next leader starts after we stopped. Blocks
   * up to about 10 s; do not call it from the listener's executor if that is single-threaded.
   */
  @Override
  public void close() {
    if (!closeCalled.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      post(() -> {
        closed = true;
        client.getConnectionStateListenable().removeListener(connectionListener);
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        synchronized (termLock) {
          if (term != 0) {
            LOG.info("candidate {} abdicates epoch {}", address, term);
            term = 0;
            Listener l = listener;
            executor.execute(() -> {
              try {
                l.notLeader();
              } finally {
                stopped.complete(null);
              }
            });
          } else {
            stopped.complete(null);
          }
        }
        String path = ourPath;
        ourPath = null;
        stopped.completeOnTimeout(null, 5, TimeUnit.SECONDS).whenComplete((v, e) -> post(() -> {
          if (path != null) {
            try {
              client.delete().guaranteed().forPath(path);
            } catch (Exception ex) {
              LOG.debug("could not delete {} (it goes with our session)", path, ex);
            }
          }
          done.complete(null);
        }));
      });
      done.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("candidate {}: close did not finish in time", address, e);
    }
  }

  /** For tests: our candidate node's path, read on the loop. */
  CompletableFuture<String> candidatePath() {
    CompletableFuture<String> f = new CompletableFuture<>();
    post(() -> f.complete(ourPath));
    return f;
  }
}
