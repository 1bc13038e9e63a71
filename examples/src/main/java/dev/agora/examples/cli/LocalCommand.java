package dev.agora.examples.cli;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskState;
import dev.agora.core.transport.Address;
import dev.agora.examples.apps.AppsService;
import dev.agora.examples.jobs.JobsService;
import dev.agora.examples.local.BatchFramework;
import dev.agora.examples.local.LocalCluster;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agora local}: a master, agents and an example batch framework in this one process. */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
      "Starts one master and N agents in this process, runs an example framework's batch of real",
      "shell tasks on them, prints progress (offers, launches, state changes) and a summary, then exits.",
      "Exit status 0 if every task FINISHED, 1 otherwise."
    })
final class LocalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--agents", defaultValue = "2", description = "Number of agents (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--agent-resources", defaultValue = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]",
      description = "Resources of each agent, Mesos text form (default: ${DEFAULT-VALUE}).")
  String agentResources;

  @Option(names = "--attributes", defaultValue = "", description = "Attributes of each agent, e.g. rack:r1;zone:a.")
  String attributes;

  @Option(names = "--tasks", defaultValue = "10", description = "Tasks the example framework runs (default: ${DEFAULT-VALUE}).")
  int tasks;

  @Option(names = "--task-command", defaultValue = "echo hello from $MESOS_TASK_ID; sleep 1",
      description = "Shell command of each task (default: ${DEFAULT-VALUE}).")
  String taskCommand;

  @Option(names = "--task-resources", defaultValue = "cpus:0.5;mem:128",
      description = "Resources of each task (default: ${DEFAULT-VALUE}).")
  String taskResources;

  @Option(names = "--work-dir", description = "Where agents put task sandboxes (default: a new temporary directory).")
  Path workDir;

  @Option(names = "--timeout", defaultValue = "PT5M",
      description = "Give up if the batch has not ended within this ISO-8601 duration (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--api-port", defaultValue = "5050",
      description = "Serve the master's HTTP APIs (scheduler, operator, /health, /state, /metrics) on this port;"
          + " 0 for any free port, -1 to disable (default: ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(names = "--api-host", defaultValue = "127.0.0.1",
      description = "Address the HTTP APIs listen on (default: ${DEFAULT-VALUE}).")
  String apiHost;

  @Option(names = "--jobs-port", defaultValue = "4400",
      description = "Serve the jobs service (Chronos /v1/scheduler API) on this port; 0 for any free port,"
          + " -1 to disable (default: ${DEFAULT-VALUE}, Chronos's).")
  int jobsPort;

  @Option(names = "--apps-port", defaultValue = "8080",
      description = "Serve the apps service (Marathon /v2 API) on this port; 0 for any free port,"
          + " -1 to disable (default: ${DEFAULT-VALUE}, Marathon's).")
  int appsPort;

  @Option(names = "--keep-running",
      description = "After the batch, keep the cluster and its APIs up until interrupted (Ctrl-C or SIGTERM).")
  boolean keepRunning;

  @Override
  public Integer call() throws Exception {
    try {
      return serve();
    } finally {
      closed.countDown();
    }
  }

  private int serve() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (apiPort < -1 || apiPort > 65535) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "Invalid value for option '--api-port': must be -1..65535 but was " + apiPort);
    }
    if (appsPort < -1 || appsPort > 65535) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "Invalid value for option '--apps-port': must be -1..65535 but was " + appsPort);
    }
    if (jobsPort < -1 || jobsPort > 65535) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "Invalid value for option '--jobs-port': must be -1..65535 but was " + jobsPort);
    }
    if (agents < 1 || tasks < 0) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--agents must be >= 1 and --tasks >= 0");
    }
    Resources perAgent = parse("--agent-resources", agentResources);
    Resources perTask = parse("--task-resources", taskResources);
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("agora-local-");
    out.printf("starting 1 master and %d agent(s) [%s]; sandboxes under %s%n", agents, perAgent, dir);
    out.flush();
    try (LocalCluster cluster = new LocalCluster(agents, perAgent, attributes, dir)) {
      if (apiPort >= 0) {
        try {
          out.println("master APIs on " + cluster.serveHttp(apiHost, apiPort).baseUrl()
              + " (POST /api/v1/scheduler, POST /api/v1, GET /health, /state, /metrics)");
        } catch (java.io.UncheckedIOException e) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(),
              "Invalid value for option '--api-port': " + e.getMessage() + " (use --api-port 0 or -1)");
        }
        out.flush();
      }
      AppsService apps = null;
      if (appsPort >= 0) {
        apps = AppsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .httpHost(apiHost).httpPort(appsPort).build().start();
        out.println("apps API on http://" + apiHost + ":" + apps.httpPort().orElseThrow() + "/v2 (Marathon-style)");
        out.flush();
      }
      JobsService jobs = null;
      if (jobsPort >= 0) {
        jobs = JobsService.builder().transport(cluster.transport()).master(cluster.masterAddress())
            .http(apiHost, jobsPort).start();
        out.println("jobs API on http://" + apiHost + ":" + jobs.httpPort() + "/v1/scheduler (Chronos-style)");
        out.flush();
      }
      try {
        int status = runBatch(cluster, perTask, out);
        if (keepRunning) {
          out.println("cluster running; stop with Ctrl-C");
          out.flush();
          awaitInterrupt();
        }
        return status;
      } finally {
        if (jobs != null) {
          jobs.close();
        }
        if (apps != null) {
          apps.close();
        }
      }
    }
  }

  private int runBatch(LocalCluster cluster, Resources perTask, PrintWriter out) throws InterruptedException {
    {
      BatchFramework framework = new BatchFramework(tasks, taskCommand, perTask, line -> {
        out.println(line);
        out.flush();
      });
      SchedulerDriver driver = SchedulerDriver.builder().transport(cluster.transport())
          .address(Address.of("example-batch")).master(cluster.masterAddress())
          .framework(FrameworkInfo.builder("example-batch").build()).scheduler(framework).start();
      try {
        if (tasks == 0) {
          out.println("summary: 0 tasks");
          return 0;
        }
        if (!framework.awaitDone(timeout)) {
          out.println("timed out after " + timeout);
          return 1;
        }
        return framework.finalStates().keySet().stream().allMatch(s -> s == TaskState.FINISHED) ? 0 : 1;
      } finally {
        driver.teardown();
      }
    }
  }

  /** Counted down once {@link #call} has closed everything, so that a shutdown hook can wait for it. */
  private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

  /** Blocks until the JVM is asked to stop; the hook then waits for {@link #closed}. */
  private void awaitInterrupt() throws InterruptedException {
    java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        closed.await(20, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "agora-local-shutdown"));
    stop.await();
  }

  private Resources parse(String option, String text) {
    try {
      return Resources.parse(text);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "Invalid value for option '" + option + "': " + e.getMessage());
    }
  }
}
