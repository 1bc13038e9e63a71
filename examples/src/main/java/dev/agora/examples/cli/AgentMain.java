package dev.agora.examples.cli;

import dev.agora.containers.Containerizers;
import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.agent.Agent;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpTransport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agora agent}: an agent in its own process. It registers with the master over HTTP, runs
 * tasks in containers under its work directory, and serves the master's messages, the sandbox file
 * browser and its containers' usage ({@code /metrics}, {@code /containers}, GET_CONTAINERS on
 * {@code /api/v1}: see {@link dev.agora.core.transport.http.AgentApi}). Runs until SIGTERM, then kills its tasks and exits.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Runs an agent in this process, registered with the master at --master.",
      "Stops gracefully on SIGTERM (its tasks are killed)."
    })
public final class AgentMain implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--master", required = true, description = {"The master, host:port (or https://host:port for TLS),",
      "or the ZooKeeper URL of masters started with --zk (zk://h1:2181,h2:2181/agora): the agent follows their leader."})
  String master;

  @Option(names = "--zk-session-timeout", defaultValue = "PT10S",
      description = "ZooKeeper session timeout with --master zk://..., ISO-8601 (default: ${DEFAULT-VALUE}).")
  java.time.Duration zkSessionTimeout;

  @Option(names = "--ip", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String ip;

  @Option(names = "--advertise-ip", description = "Address the master reaches this agent at (default: --ip).")
  String advertiseIp;

  @Option(names = "--port", defaultValue = "5051", description = "Port to listen on, 0 for any (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--hostname", description = "Host name reported in offers (default: --advertise-ip or --ip).")
  String hostname;

  @Option(names = "--resources", defaultValue = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]",
      description = "Resources offered, Mesos text form (default: ${DEFAULT-VALUE}).")
  String resources;

  @Option(names = "--attributes", defaultValue = "", description = "Attributes, e.g. rack:r1;zone:a.")
  String attributes;

  @Option(names = "--work-dir", required = true, description = "Where task sandboxes go.")
  Path workDir;

  @Option(names = "--containerizer", defaultValue = "auto",
      description = {"How tasks run: linux (cgroups and namespaces), process (plain child processes), or auto:",
          "linux where this host allows it, else process with a logged warning (default: ${DEFAULT-VALUE})."})
  String containerizer;

  @Option(names = "--cgroups-hierarchy",
      description = "Cgroup hierarchy of this agent's containers under each controller (default: agora/<hash of --work-dir>);"
          + " the Linux containerizer removes unknown cgroups under it at start, so agents must not share one.")
  String cgroupsHierarchy;

  @Mixin TlsOptions tls;

  @Option(names = "--credential", description = "JSON file {\"principal\": ..., \"secret\": ...} this agent"
      + " authenticates with to the master.")
  Path credential;

  @Option(names = "--authenticate", description = "Require HTTP authentication on this agent's endpoints"
      + " against --credentials; the executor API (/api/v1/executor) then requires the token the agent gives"
      + " each executor it starts (MESOS_EXECUTOR_AUTHENTICATION_TOKEN, signed with WORK_DIR/executor_secret_key).")
  boolean authenticate;

  @Option(names = "--credentials", description = "JSON credentials file for --authenticate (see 'agora master --help').")
  Path credentials;

  /** The JDK's setting for how child processes are started. */
  static final String LAUNCH_MECHANISM = "jdk.lang.Process.launchMechanism";

  @Override
  public Integer call() throws Exception {
    // Tasks start through vfork rather than posix_spawn's extra helper exec: it halves the cost of
    // starting a container (benchmarks/RESULTS.md). Only before the JDK's first process start, and
    // only where the JDK has the mode; an explicit -D setting wins.
    if (System.getProperty(LAUNCH_MECHANISM) == null && Runtime.version().feature() <= 21) {
      System.setProperty(LAUNCH_MECHANISM, "VFORK");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (!java.util.Set.of("auto", "linux", "process").contains(containerizer)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "Invalid value for option '--containerizer': '" + containerizer + "' (supported: auto, linux, process)");
    }
    Resources total;
    AgentInfo info;
    HttpTransport transport;
    boolean followsZooKeeper = ZooKeeperOptions.isZooKeeper(master);
    try {
      total = Resources.parse(resources);
      String advertised = advertiseIp != null ? advertiseIp : ip;
      info = new AgentInfo(hostname != null ? hostname : advertised, total, Attributes.parse(attributes));
      if (followsZooKeeper) {
        dev.agora.coordination.ZooKeeperUrl.parse(master); // checked here; connected below
      } else {
        masterAddress(master);
      }
      HttpTransport.Builder tb = HttpTransport.builder().host(ip).port(port);
      if (advertiseIp != null) {
        tb.advertisedHost(advertiseIp);
      }
      Security.configure(spec, tb, authenticate, credentials, credential);
      tls.apply(spec, tb);
      transport = tb.build();
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Files.createDirectories(workDir);
    ZooKeeperCoordination coordination = followsZooKeeper
        ? ZooKeeperOptions.connect(spec, "--master", master, zkSessionTimeout) : null;
    MasterDetector detector = coordination != null
        ? ZooKeeperOptions.httpMasters(coordination.masterDetector())
        : MasterDetector.standalone(masterAddress(master));
    dev.agora.core.container.Containerizer tasks = Containerizers.create(containerizer, hierarchy());
    // As Mesos's executor authentication: with --authenticate, each executor gets a token signed
    // with a key kept in the work dir (so that executors outliving a restart stay valid).
    dev.agora.core.executor.ExecutorTokens executorTokens =
        authenticate ? dev.agora.core.executor.ExecutorTokens.inWorkDir(workDir) : null;
    Agent.Builder agentBuilder = Agent.builder().transport(transport).address(transport.address("agent"))
        .masterDetector(detector).info(info).containerizer(tasks).workDir(workDir);
    if (executorTokens != null) {
      agentBuilder.executorTokens(executorTokens);
    }
    Agent agent = agentBuilder.build();
    dev.agora.core.transport.http.SandboxFileBrowser.serve(transport, workDir);
    dev.agora.core.transport.http.AgentApi.serve(transport, agent, tasks);
    if (executorTokens != null) {
      transport.serveExecutorApi(transport.address("agent"), executorTokens);
    } else {
      transport.serveExecutorApi(transport.address("agent"));
    }
    transport.start();
    agent.start();
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      if (coordination != null) {
        coordination.close();
      }
      transport.close();
      closed.countDown();
    }, "agora-agent-shutdown"));
    out.println("agora agent listening on " + transport.baseUrl() + ", master "
        + (coordination != null ? "elected in " + master : masterAddress(master)));
    out.flush();
    closed.await();
    return 0;
  }

  /** {@code host:port} or a URL, as the master's actor address. */
  static Address masterAddress(String text) {
    String base = text.contains("://") ? text : "http://" + text;
    java.net.URI u = java.net.URI.create(base);
    if (u.getHost() == null || u.getPort() < 0) {
      throw new IllegalArgumentException("--master must be host:port or zk://... but was '" + text + "'");
    }
    return Address.of(u.getScheme() + "://" + u.getAuthority() + "/master");
  }

  /** One cgroup hierarchy per agent, named after its work dir, so that agents never clean up each other. */
  private String hierarchy() {
    if (cgroupsHierarchy != null) {
      return cgroupsHierarchy;
    }
    String dir = workDir.toAbsolutePath().normalize().toString();
    return "agora/w" + Integer.toHexString(dir.hashCode());
  }
}
