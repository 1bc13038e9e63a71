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
 * {@code agora apps}: the Marathon-style apps service with its {@code /v2} REST API. Until the
 * HTTP transport lands, it runs against an in-process cluster of {@code --agents} agents; a remote
 * {@code --master} is refused with a clear message.
 */
@Command(
    name = "apps",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the apps service (Marathon's /v2 REST API: apps, tasks, queue, deployments, events) on --port.",
      "Without --master it starts its own in-process master and agents; Ctrl-C stops it."
    })
final class AppsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "REST API port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--master", description = "A remote master (needs the HTTP transport; not available yet).")
  String master;

  @Option(names = "--zk", description = "ZooKeeper URL for HA (not available yet).")
  String zk;

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
    if (master != null || zk != null) {
      throw new ParameterException(spec.commandLine(),
          "--master/--zk need the HTTP transport, which this build does not have yet; run without them");
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
}
