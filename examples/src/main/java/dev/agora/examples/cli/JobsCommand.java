package dev.agora.examples.cli;

import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.examples.jobs.JobsService;
import dev.agora.examples.local.LocalCluster;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code agora jobs}: the Chronos-style jobs service serving its REST API, on an embedded cluster
 * or against a master process ({@code --master}), alone or as one of several instances that elect
 * a leader and share state in ZooKeeper ({@code --zk}).
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the jobs service (Chronos-style scheduled and dependent jobs), serving Chronos's",
      "REST API under http://HOST:PORT/v1/scheduler until interrupted (or for --run-for).",
      "Without --master it starts one master and --agents agents in this process.",
      "With --master (host:port, or zk://... of masters started with --zk) it is a framework",
      "of that cluster. With --zk, any number of instances share one ZooKeeper path: they elect",
      "one leader, which acts; the others forward API calls to it. Job definitions and runs",
      "live under that path, so a new leader carries on where the old one stopped.",
      "Without --zk, state is in memory: it is lost when the process ends."
    })
final class JobsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the API binds to (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "4400", description = "API port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--agents", defaultValue = "2", description = "Number of agents (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--agent-resources", defaultValue = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]",
      description = "Resources of each agent, Mesos text form (default: ${DEFAULT-VALUE}).")
  String agentResources;

  @Option(names = "--attributes", defaultValue = "", description = "Attributes of each agent, e.g. rack:r1;zone:a.")
  String attributes;

  @Option(names = "--work-dir", description = "Where agents put task sandboxes (default: a new temporary directory).")
  Path workDir;

  @Option(names = "--catch-up", defaultValue = "RUN_ONCE",
      description = "Runs missed while no leader ran: RUN_ONCE (the latest once) or SKIP (default: ${DEFAULT-VALUE}).")
  JobsService.CatchUp catchUp;

  @Option(names = "--disable-after-failures", defaultValue = "0",
      description = "Disable a job after this many failed runs in a row; 0 never (default: ${DEFAULT-VALUE}).")
  int disableAfterFailures;

  @Option(names = "--master", paramLabel = "MASTER",
      description = {"A master process to run on: host:port, http(s)://host:port, or the zk://... URL of masters",
          "started with --zk (the service follows their leader). Default: an embedded cluster."})
  String master;

  @Option(names = "--zk", paramLabel = "URL",
      description = {"ZooKeeper for the jobs service's own election and state, e.g. zk://h1:2181,h2:2181/agora-jobs;",
          "must be a path of its own (not the masters' --zk path). Needs --master."})
  String zk;

  @Option(names = "--zk-session-timeout", defaultValue = "PT10S",
      description = "ZooKeeper session timeout, ISO-8601: how long a silent leader keeps leading (default: ${DEFAULT-VALUE}).")
  Duration zkSessionTimeout;

  @Option(names = "--advertise-ip", description = "Address other instances reach this API at (default: --host).")
  String advertiseIp;

  @Option(names = "--run-for", description = "Stop after this ISO-8601 duration (default: run until interrupted).")
  Duration runFor;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (agents < 1) {
      throw new ParameterException(spec.commandLine(), "--agents must be >= 1 but was " + agents);
    }
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535] but was " + port);
    }
    Resources perAgent;
    try {
      perAgent = Resources.parse(agentResources);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--agent-resources': " + e.getMessage());
    }
    if (zk != null && master == null) {
      throw new ParameterException(spec.commandLine(), "--zk needs --master: instances on embedded clusters"
          + " cannot share jobs");
    }
    if (zk != null && zk.equals(master)) {
      throw new ParameterException(spec.commandLine(), "--zk must be a ZooKeeper path of its own, not the masters'"
          + " (" + zk + "): e.g. " + zk + "-jobs");
    }
    if (master != null) {
      return remote(out);
    }
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("agora-jobs-");
    try (LocalCluster cluster = new LocalCluster(agents, perAgent, attributes, dir);
        JobsService jobs = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("jobs")).http(host, port).catchUp(catchUp)
            .disableAfterFailures(disableAfterFailures).start()) {
      out.printf("jobs service: http://%s:%d/v1/scheduler (1 master, %d agent(s) [%s]; sandboxes under %s)%n", host,
          jobs.httpPort(), agents, perAgent, dir);
      out.flush();
      awaitStop();
      out.println("jobs service stopped");
      return 0;
    }
  }

  /** The service as a framework of a master process, with its state in ZooKeeper if --zk is given. */
  private int remote(PrintWriter out) throws InterruptedException {
    boolean masterInZk = ZooKeeperOptions.isZooKeeper(master);
    MasterDetector detector;
    ZooKeeperCoordination mastersZk = null;
    ZooKeeperCoordination jobsZk = null;
    HttpSchedulerTransport transport = null;
    try {
      if (masterInZk) {
        mastersZk = ZooKeeperOptions.connect(spec, "--master", master, zkSessionTimeout);
        detector = ZooKeeperOptions.httpMasters(mastersZk.masterDetector());
      } else {
        try {
          detector = MasterDetector.standalone(AgentMain.masterAddress(master));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "Invalid value for option '--master': " + e.getMessage());
        }
      }
      JobsService.Builder b = JobsService.builder();
      if (zk != null) {
        jobsZk = ZooKeeperOptions.connect(spec, "--zk", zk, zkSessionTimeout);
        ZooKeeperCoordination coordination = jobsZk;
        b.leaderElection(coordination::leaderElector).leaderDetector(coordination.masterDetector())
            .stateStore(coordination.stateStore());
      }
      if (advertiseIp != null) {
        b.advertisedHost(advertiseIp);
      }
      transport = HttpSchedulerTransport.create();
      try (JobsService jobs = b.transport(transport).masterDetector(detector).address(Address.of("jobs"))
          .http(host, port).catchUp(catchUp).disableAfterFailures(disableAfterFailures).start()) {
        out.printf("agora jobs listening on http://%s:%d/v1/scheduler, master %s%s%n",
            advertiseIp != null ? advertiseIp : host, jobs.httpPort(), master,
            zk != null ? ", electing and storing in " + zk : " (state in memory)");
        out.flush();
        awaitStop();
        out.println("jobs service stopped");
        return 0;
      }
    } finally {
      if (transport != null) {
        transport.close();
      }
      if (jobsZk != null) {
        jobsZk.close();
      }
      if (mastersZk != null) {
        mastersZk.close();
      }
    }
  }

  private void awaitStop() throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "jobs-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (runFor != null) {
        stop.await(runFor.toMillis(), TimeUnit.MILLISECONDS);
      } else {
        stop.await();
      }
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook already ran
      }
    }
  }
}
