package dev.agora.examples.cli;

import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
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

/** {@code agora jobs}: the Chronos-style jobs service, with an embedded cluster, serving its REST API. */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = {
      "Starts one master and N agents in this process, and on them the jobs service",
      "(Chronos-style scheduled and dependent jobs). Serves Chronos's REST API under",
      "http://HOST:PORT/v1/scheduler until interrupted (or for --run-for).",
      "State is in memory: it is lost when the process ends.",
      "Running it against a separate master process (--master/--zk) is not available yet."
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
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("agora-jobs-");
    try (LocalCluster cluster = new LocalCluster(agents, perAgent, attributes, dir);
        JobsService jobs = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .address(Address.of("jobs")).http(host, port).catchUp(catchUp)
            .disableAfterFailures(disableAfterFailures).start()) {
      out.printf("jobs service: http://%s:%d/v1/scheduler (1 master, %d agent(s) [%s]; sandboxes under %s)%n", host,
          jobs.httpPort(), agents, perAgent, dir);
      out.flush();
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
      out.println("jobs service stopped");
      return 0;
    }
  }
}
