package dev.agora.examples.cli;

import dev.agora.core.model.Resources;
import dev.agora.examples.apps.AppsService;
import dev.agora.examples.local.LocalCluster;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code agora apps}: the Marathon-style apps service with its {@code /v2} REST API. Without
 * {@code --master} it runs against an in-process cluster of {@code --agents} agents; with
 * {@code --master host:port} or {@code --master zk://...} it is a framework of that cluster over
 * the HTTP scheduler API. With {@code --zk zk://hosts/path}, any number of apps services elect one
 * leader under {@code <path>/apps} and keep their state there; followers proxy the API to it, and
 * a leader that loses its leadership exits (status 3) so that nothing acts twice.
 */
@Command(
    name = "apps",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the apps service (Marathon's /v2 REST API: apps, tasks, queue, deployments, events) on --port.",
      "Without --master it starts its own in-process master and agents; Ctrl-C stops it.",
      "With --zk, several apps services elect one leader (state in ZooKeeper); followers proxy to it."
    })
final class AppsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "REST API port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--master", description = "A remote master: host:port, or zk://hosts/path to follow the leading one.")
  String master;

  @Option(names = "--zk", description = "ZooKeeper URL for apps-service HA, e.g. zk://h1:2181/agora: "
      + "election and state under <path>/apps.")
  String zk;

  @Option(names = "--zk-session-timeout", defaultValue = "PT10S",
      description = "ZooKeeper session timeout, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration zkSessionTimeout;

  @Option(names = "--hostname", defaultValue = "127.0.0.1",
      description = "Host name other apps services reach this one's API on (default: ${DEFAULT-VALUE}).")
  String hostname;

  @Option(names = "--agents", defaultValue = "2", description = "In-process agents (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--agent-resources", defaultValue = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]",
      description = "Resources of each agent (default: ${DEFAULT-VALUE}).")
  String agentResources;

  @Option(names = "--attributes", defaultValue = "", description = "Attributes of each agent, e.g. rack:r1.")
  String attributes;

  @Option(names = "--work-dir", description = "Where agents put task sandboxes (default: a new temporary directory).")
  Path workDir;

  @Option(names = "--run-for", description = "Stop after this ISO-8601 duration (default: until interrupted).")
  Duration runFor;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (zk != null && master == null) {
      throw new ParameterException(spec.commandLine(), "--zk needs --master: HA apps services share a remote cluster");
    }
    if (master != null) {
      return remote(out);
    }
    if (agents < 1 || port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--agents must be >= 1 and --port in 0..65535");
    }
    Resources perAgent;
    try {
      perAgent = Resources.parse(agentResources);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--agent-resources': " + e.getMessage());
    }
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("agora-apps-");
    try (LocalCluster cluster = new LocalCluster(agents, perAgent, attributes, dir);
        AppsService apps = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .httpPort(port).build().start()) {
      out.printf("apps service on http://localhost:%d/v2/apps with %d agent(s) [%s]%n", apps.httpPort().orElseThrow(),
          agents, perAgent);
      out.printf("agora apps listening on http://localhost:%d%n", apps.httpPort().orElseThrow());
      out.flush();
      CountDownLatch stop = new CountDownLatch(1);
      if (runFor != null) {
        stop.await(runFor.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } else {
        stop.await();
      }
      return 0;
    }
  }

  /** Against a remote cluster over HTTP, optionally highly available through ZooKeeper. */
  private int remote(PrintWriter out) throws Exception {
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be in 0..65535");
    }
    java.util.List<AutoCloseable> owned = new java.util.ArrayList<>();
    try {
      dev.agora.core.coordination.MasterDetector detector;
      if (ZooKeeperOptions.isZooKeeper(master)) {
        dev.agora.coordination.ZooKeeperCoordination masters =
            ZooKeeperOptions.connect(spec, "--master", master, zkSessionTimeout);
        owned.add(masters);
        detector = ZooKeeperOptions.httpMasters(masters.masterDetector());
      } else {
        try {
          detector = dev.agora.core.coordination.MasterDetector.standalone(AgentMain.masterAddress(master));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "Invalid value for option '--master': " + e.getMessage());
        }
      }
      dev.agora.core.transport.http.HttpSchedulerTransport transport =
          dev.agora.core.transport.http.HttpSchedulerTransport.create();
      owned.add(transport);
      // Bind first, so that the advertised URL carries the real port.
      java.net.ServerSocket probe = null;
      int bound = port;
      if (bound == 0) {
        probe = new java.net.ServerSocket(0);
        bound = probe.getLocalPort();
        probe.close();
      }
      String url = "http://" + hostname + ":" + bound;
      AppsService.Builder b = AppsService.builder().transport(transport).masterDetector(detector).httpPort(bound)
          .advertisedUrl(url);
      CountDownLatch stop = new CountDownLatch(1);
      int[] status = {0};
      if (zk != null) {
        dev.agora.coordination.ZooKeeperUrl base;
        try {
          base = dev.agora.coordination.ZooKeeperUrl.parse(zk);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "Invalid value for option '--zk': " + e.getMessage());
        }
        String appsUrl = new dev.agora.coordination.ZooKeeperUrl(base.hosts(),
            (base.root().equals("/") ? "" : base.root()) + "/apps").toString();
        dev.agora.coordination.ZooKeeperCoordination coordination =
            ZooKeeperOptions.connect(spec, "--zk", appsUrl, zkSessionTimeout);
        owned.add(0, coordination);
        dev.agora.core.coordination.LeaderElector elector = coordination.leaderElector(
            dev.agora.core.transport.Address.of(url));
        b.stateStore(coordination.stateStore()).leaderElector(new ExitWhenDeposed(elector, code -> {
          status[0] = code;
          stop.countDown();
        }));
      }
      try (AppsService apps = b.build().start()) {
        out.printf("agora apps listening on %s (master %s%s)%n", url, master, zk != null ? ", HA via " + zk : "");
        out.flush();
        if (runFor != null) {
          stop.await(runFor.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
          stop.await();
        }
        if (status[0] != 0) {
          org.slf4j.LoggerFactory.getLogger(AppsCommand.class).error("apps service lost its leadership; exiting");
        }
        return status[0];
      }
    } finally {
      for (AutoCloseable c : owned) {
        c.close();
      }
    }
  }
}
