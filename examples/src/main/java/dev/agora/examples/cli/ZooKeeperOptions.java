package dev.agora.examples.cli;

import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.coordination.ZooKeeperUrl;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.transport.Address;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The {@code zk://} options of {@code agora master} and {@code agora agent}. */
final class ZooKeeperOptions {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperOptions.class);

  private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

  private ZooKeeperOptions() {}

  /** Whether {@code text} is a ZooKeeper URL rather than a master's {@code host:port}. */
  static boolean isZooKeeper(String text) {
    return text != null && text.startsWith("zk://");
  }

  /**
   * Checks {@code url} and {@code sessionTimeout} (a picocli parameter error naming {@code option}
   * and the bad part if not valid), then opens one ZooKeeper session for this process (it connects
   * in the background). The caller closes it.
   */
  static ZooKeeperCoordination connect(CommandSpec spec, String option, String url, Duration sessionTimeout) {
    ZooKeeperUrl parsed;
    try {
      parsed = ZooKeeperUrl.parse(url);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + e.getMessage());
    }
    ZooKeeperCoordination.Builder b = ZooKeeperCoordination.builder().url(parsed);
    try {
      b.sessionTimeout(sessionTimeout);
      // Curator warns when the connection timeout exceeds the session's: wait at most a session.
      b.connectionTimeout(sessionTimeout.compareTo(CONNECTION_TIMEOUT) < 0 ? sessionTimeout : CONNECTION_TIMEOUT);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(),
          "Invalid value for option '--zk-session-timeout': " + e.getMessage());
    }
    return b.build();
  }

  /**
   * The leaders {@code detector} reports, as the HTTP transport addresses a master
   * ({@code http://host:port/master}): masters started by {@code agora master --zk} publish that
   * form already; a bare {@code host:port} (or a URL with another path) is turned into it.
   */
  static MasterDetector httpMasters(MasterDetector detector) {
    return new MasterDetector() {
      @Override
      public Optional<Address> leader() {
        return detector.leader().map(ZooKeeperOptions::httpMaster);
      }

      @Override
      public void watch(Executor executor, Consumer<Optional<Address>> listener) {
        detector.watch(executor, leader -> listener.accept(leader.map(ZooKeeperOptions::httpMaster)));
      }

      @Override
      public void close() {
        detector.close();
      }
    };
  }

  static Address httpMaster(Address published) {
    try {
      return AgentMain.masterAddress(published.value());
    } catch (IllegalArgumentException e) {
      LOG.warn("the leading master published '{}', which is not host:port nor a URL; using it as it is",
          published.value());
      return published;
    }
  }
}
