package dev.agora.coordination;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * One process's connection to a ZooKeeper ensemble for one Agora cluster (a {@code zk://} URL):
 * the source of its {@link LeaderElector}, {@link MasterDetector} and {@link StateStore}.
 *
 * <pre>{@code
 * ZooKeeperCoordination zk = ZooKeeperCoordination.builder()
 *     .url("zk://zk1:2181,zk2:2181,zk3:2181/agora").build();
 * Master master = Master.builder().elector(zk.leaderElector(address))...;
 * Agent agent = Agent.builder().masterDetector(zk.masterDetector())...;
 * }</pre>
 *
 * <p>One coordination holds one ZooKeeper session: a process runs one of them (two candidates in
 * one election need two sessions, hence two coordinations). Concurrency: thread-safe. Ownership:
 * the coordination owns its session, its event loop and everything it hands out; {@link #close}
 * closes them all. Lifecycle: {@link Builder#build()} starts connecting (it does not wait);
 * operations wait for the connection up to the connection timeout.
 */
public final class ZooKeeperCoordination implements AutoCloseable {
  private final ZooKeeperUrl url;
  private final CuratorFramework client;
  private final ThreadEventLoop loop;
  private final Layout layout;
  private final List<AutoCloseable> handedOut = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ZooKeeperCoordination(Builder b) {
    this.url = b.url;
    this.layout = new Layout(url.root());
    this.client = CuratorFrameworkFactory.builder()
        .connectString(url.connectString())
        .sessionTimeoutMs(Math.toIntExact(b.sessionTimeout.toMillis()))
        .connectionTimeoutMs(Math.toIntExact(b.connectionTimeout.toMillis()))
        .retryPolicy(new ExponentialBackoffRetry(100, 3, 1_000))
        .ensembleTracker(false)
        .build();
    this.loop = ThreadEventLoop.start("agora-zk-" + url.root());
    client.start();
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The URL this coordination connects to. */
  public ZooKeeperUrl url() {
    return url;
  }

  /**
   * A candidate in this cluster's master election, publishing {@code address} while it leads.
   * Call once per process: its candidacy is this coordination's session.
   */
  public synchronized LeaderElector leaderElector(Address address) {
    return leaderElector(address, 1);
  }

  /**
   * A candidate as {@link #leaderElector(Address)} that takes office only once at least
   * {@code quorum} candidates (itself included) are in the election; a leader in office stays
   * when candidates leave. (Agora's {@code --quorum}: the registry is replicated by ZooKeeper's own
   * quorum, so this is what a master quorum means here.)
   *
   * @throws IllegalArgumentException if {@code quorum < 1}
   */
  public synchronized LeaderElector leaderElector(Address address, int quorum) {
    Objects.requireNonNull(address, "address");
    if (quorum < 1) {
      throw new IllegalArgumentException("quorum must be >= 1 but was " + quorum);
    }
    checkOpen();
    return remember(new ZooKeeperLeaderElector(client, layout, loop, address, quorum));
  }

  /** A detector of this cluster's leading master. */
  public synchronized MasterDetector masterDetector() {
    checkOpen();
    return remember(new ZooKeeperMasterDetector(client, layout, loop));
  }

  /**
   * This cluster's state store. Its fenced writes check the epochs that this cluster's
   * {@linkplain #leaderElector electors} claim. Closing the store does nothing; closing the
   * coordination ends it.
   */
  public StateStore stateStore() {
    checkOpen();
    return new ZooKeeperStateStore(client, layout);
  }

  private <T extends AutoCloseable> T remember(T t) {
    handedOut.add(t);
    return t;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("coordination with " + url + " is closed");
    }
  }

  /** For tests: the Curator client. */
  CuratorFramework client() {
    return client;
  }

  /** Closes electors (abdicating) and detectors, then the session. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<AutoCloseable> all;
    synchronized (this) {
      all = new ArrayList<>(handedOut);
    }
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(ZooKeeperCoordination.class).warn("closing {} failed", c, e);
      }
    }
    loop.shutdown();
    client.close();
  }

  /**
   * Builds a {@link ZooKeeperCoordination}. Each setter may be called once and checks its value;
   * the URL is required.
   */
  public static final class Builder {
    private ZooKeeperUrl url;
    private Duration sessionTimeout;
    private Duration connectionTimeout;

    private Builder() {}

    /** The ensemble and root, e.g. {@code zk://host1:2181,host2:2181/agora}. */
    public Builder url(String value) {
      return url(ZooKeeperUrl.parse(value));
    }

    /** The ensemble and root. */
    public Builder url(ZooKeeperUrl value) {
      if (url != null) {
        throw new IllegalStateException("url was already set to " + url);
      }
      url = Objects.requireNonNull(value, "url");
      return this;
    }

    /** The ZooKeeper session timeout (default 10 s): how long a silent leader keeps its term. */
    public Builder sessionTimeout(Duration value) {
      if (sessionTimeout != null) {
        throw new IllegalStateException("sessionTimeout was already set to " + sessionTimeout);
      }
      sessionTimeout = checkPositive(value, "sessionTimeout");
      return this;
    }

    /** How long an operation waits for a connection (default 5 s). */
    public Builder connectionTimeout(Duration value) {
      if (connectionTimeout != null) {
        throw new IllegalStateException("connectionTimeout was already set to " + connectionTimeout);
      }
      connectionTimeout = checkPositive(value, "connectionTimeout");
      return this;
    }

    private static Duration checkPositive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero() || value.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " must be positive and below 24 days but was " + value);
      }
      return value;
    }

    /** Starts connecting. */
    public ZooKeeperCoordination build() {
      if (url == null) {
        throw new IllegalStateException("url is required");
      }
      if (sessionTimeout == null) {
        sessionTimeout = Duration.ofSeconds(10);
      }
      if (connectionTimeout == null) {
        connectionTimeout = Duration.ofSeconds(5);
      }
      return new ZooKeeperCoordination(this);
    }
  }
}
