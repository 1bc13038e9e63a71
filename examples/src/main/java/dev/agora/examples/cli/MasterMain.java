package dev.agora.examples.cli;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.core.master.Master;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpTransport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agora master}: a master in its own process, serving the Mesos v1 scheduler API
 * ({@code POST /api/v1/scheduler}), the operator endpoints and the agents' messages over HTTP.
 * Runs until SIGTERM (or Ctrl-C), then closes the master and its server.
 */
@Command(
    name = "master",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a master in this process. Agents join with 'agora agent --master <ip>:<port>';",
      "frameworks use the Mesos v1 scheduler API at http://<ip>:<port>/api/v1/scheduler.",
      "With --zk, several masters elect one leader; agents and frameworks follow it",
      "('agora agent --master zk://...'). A leader that loses its leadership exits (status 3).",
      "The registry (agents and their marks, frameworks, weights, quotas, maintenance) is kept in ZooKeeper",
      "with --zk, else in --work-dir if given, else in memory only. A new leader, or a lone master restarted",
      "with the same --work-dir, recovers it; tasks come back with their agents' re-registration.",
      "Stops gracefully on SIGTERM."
    })
public final class MasterMain implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--ip", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String ip;

  @Option(names = "--advertise-ip", description = "Address agents and frameworks reach this master at (default: --ip).")
  String advertiseIp;

  @Option(names = "--port", defaultValue = "5050", description = "Port to listen on, 0 for any (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--agent-ping-interval", defaultValue = "PT15S",
      description = "Time between pings to each agent, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration agentPingInterval;

  @Option(names = "--max-agent-ping-misses", defaultValue = "5",
      description = "Pings an agent may miss before it is removed (default: ${DEFAULT-VALUE}).")
  int maxAgentPingMisses;

  @Option(names = "--heartbeat-interval", defaultValue = "PT15S",
      description = "Time between heartbeats to frameworks, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration heartbeatInterval;

  @Option(names = "--allocation-interval", defaultValue = "PT1S",
      description = "Time between allocation cycles, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration allocationInterval;

  @Mixin TlsOptions tls;

  @Option(names = "--authenticate", description = "Require HTTP authentication (Basic or bearer) on every endpoint"
      + " but /health, against --credentials.")
  boolean authenticate;

  @Option(names = "--acls", paramLabel = "FILE", description = "Mesos-style local ACLs (JSON: permissive,"
      + " register_frameworks, run_tasks, teardown_frameworks, reserve_resources, unreserve_resources,"
      + " update_quotas, update_weights, view_state); a denied call is answered 403. Default: all allowed.")
  java.nio.file.Path acls;

  @Option(names = "--credentials", description = "JSON credentials file: {\"credentials\": [{\"principal\": ..., "
      + "\"secret_hash\": ...}], \"tokens\": [{\"principal\": ..., \"token_sha256\": ...}]}"
      + " (make hashes with 'agora hash-secret').")
  java.nio.file.Path credentials;

  @Option(names = "--credential", description = "JSON file {\"principal\": ..., \"secret\": ...} the master"
      + " authenticates with to agents that require it.")
  java.nio.file.Path credential;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Without --zk: keep the registry in DIR/registry (atomic file writes), so that a restarted"
          + " master recovers it. Not used with --zk (the registry is in ZooKeeper).")
  java.nio.file.Path workDir;

  @Option(names = "--zk", paramLabel = "URL",
      description = {"ZooKeeper for leader election, e.g. zk://h1:2181,h2:2181,h3:2181/agora: masters with the same URL",
          "elect one leader; the others stand by. Default: this master leads alone."})
  String zk;

  @Option(names = "--quorum", paramLabel = "N", description = {
      "With --zk: how many masters must be in the election before one takes office (a positive integer; default 1).",
      "Departure from Mesos: there it is the replicated log's write quorum; Agora's registry lives in ZooKeeper,",
      "which replicates it under its own quorum, so here N counts contending masters. Use a majority of your",
      "masters (2 of 3) so that a lone master cut off from the others never starts leading by itself.",
      "Without --zk only 1 is accepted (a lone master)."})
  Integer quorum;

  @Option(names = "--zk-session-timeout", defaultValue = "PT10S",
      description = "ZooKeeper session timeout, ISO-8601: how long a silent leader keeps leading (default: ${DEFAULT-VALUE}).")
  Duration zkSessionTimeout;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    checkQuorum();
    ZooKeeperCoordination coordination = zk != null
        ? ZooKeeperOptions.connect(spec, "--zk", zk, zkSessionTimeout) : null;
    HttpTransport transport;
    Master master;
    dev.agora.core.coordination.StateStore fileRegistry = null;
    try {
      HttpTransport.Builder tb = HttpTransport.builder().host(ip).port(port);
      if (advertiseIp != null) {
        tb.advertisedHost(advertiseIp);
      }
      Security.configure(spec, tb, authenticate, credentials, credential);
      tls.apply(spec, tb);
      if (acls != null) {
        tb.acls(dev.agora.core.security.Acls.fromFile(acls));
      }
      transport = tb.build();
      Address address = transport.address("master");
      Master.Builder mb = Master.builder().transport(transport).address(address)
          .allocator(HierarchicalAllocator.builder().build()).agentPingInterval(agentPingInterval)
          .maxAgentPingMisses(maxAgentPingMisses).frameworkHeartbeatInterval(heartbeatInterval)
          .allocationInterval(allocationInterval);
      if (coordination != null) {
        // Publish the address agents and frameworks send to; exit once deposed (Mesos does too).
        mb.elector(new ExitWhenDeposed(coordination.leaderElector(address, quorum != null ? quorum : 1),
            ExitWhenDeposed::systemExit));
        // The registry (agents and their marks, frameworks, weights, quotas) survives failover.
        mb.registry(coordination.stateStore());
      } else if (workDir != null) {
        fileRegistry = dev.agora.coordination.StateStores.file(workDir.resolve("registry"));
        mb.registry(fileRegistry);
      }
      master = mb.build();
    } catch (RuntimeException e) {
      if (coordination != null) {
        coordination.close();
      }
      if (fileRegistry != null) {
        fileRegistry.close();
      }
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof java.io.UncheckedIOException) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      throw e;
    }
    java.util.Map<String, String> flags = new java.util.LinkedHashMap<>(java.util.Map.of("ip", ip, "port", String.valueOf(port),
        "authenticate", String.valueOf(authenticate), "acls", acls != null ? acls.toString() : "", "agent_ping_interval", agentPingInterval.toString(),
        "max_agent_ping_misses", String.valueOf(maxAgentPingMisses), "heartbeat_interval",
        heartbeatInterval.toString(), "allocation_interval", allocationInterval.toString(), "zk", zk != null ? zk : "",
        "work_dir", workDir != null ? workDir.toString() : ""));
    flags.put("quorum", String.valueOf(quorum != null ? quorum : 1));
    MasterApis.serve(transport, master, flags);
    if (coordination != null) {
      // A follower answers the scheduler and operator APIs with 307 to the leader (503 if none).
      transport.leaderGate(dev.agora.core.transport.http.LeaderGate.of(master::isLeading,
          ZooKeeperOptions.httpMasters(coordination.masterDetector()), master.address()));
    }
    master.start();
    transport.start();
    CountDownLatch closed = new CountDownLatch(1);
    dev.agora.core.coordination.StateStore registry = fileRegistry;
    Thread hook = new Thread(() -> {
      master.close();
      if (coordination != null) {
        coordination.close();
      }
      if (registry != null) {
        registry.close();
      }
      transport.close();
      closed.countDown();
    }, "agora-master-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println("agora master listening on " + transport.baseUrl()
        + (coordination != null ? ", electing with " + coordination.url().connectString() + coordination.url().root() : ""));
    out.flush();
    closed.await();
    return 0;
  }

  /** {@code --quorum}: a positive integer, as Mesos requires; more than 1 only means something with --zk. */
  void checkQuorum() {
    if (quorum == null) {
      return;
    }
    if (quorum < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--quorum must be a positive integer but was " + quorum);
    }
    if (zk == null && quorum > 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--quorum " + quorum + " needs --zk: without ZooKeeper a master leads alone (use 1 or leave it out)");
    }
  }
}
