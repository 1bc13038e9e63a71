package dev.agora.benchmarks;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Container launches on one agent, one after another: {@code launch} is the time until the
 * containerizer's launch stage completes (the task's process runs, in its cgroups for the Linux
 * containerizer); {@code launchToExit} adds the run of {@code true} and the cleanup, until the
 * termination completes (the whole life of a trivial container). Serial launches per second are
 * 1 / mean. The Linux containerizer needs root and writable cgroup v1 controllers.
 *
 * <p>The forked JVM starts processes through vfork, as {@code agora agent} does; add
 * {@code -jvmArgsAppend -Djdk.lang.Process.launchMechanism=POSIX_SPAWN} for the JDK's default.
 * {@link LaunchThroughput} measures launches with several in flight and the CPU each costs.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ContainerLaunch -p containerizer=linux,linux-shell}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = "-Djdk.lang.Process.launchMechanism=VFORK") // as the agent starts tasks
public class ContainerLaunch {
  /** {@code linux}: the native launch path; {@code linux-shell}: the sh/setsid/unshare chain. */
  @Param({"process", "linux", "linux-shell"})
  public String containerizer;

  private Containerizer c;
  private Path root;
  private long next;
  private ContainerConfig config;

  @Setup(Level.Trial)
  public void start() throws IOException {
    c = LaunchThroughput.containerizer(containerizer);
    root = Files.createTempDirectory("agora-bench");
  }

  @Setup(Level.Invocation)
  public void prepare() throws IOException {
    String id = "c" + (next++);
    Path sandbox = Files.createDirectory(root.resolve(id));
    TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("bench"), Resources.parse("cpus:0.1;mem:32"),
        CommandInfo.shell("true"));
    config = new ContainerConfig(new ContainerId(id), task, sandbox, Map.of(), Optional.empty());
  }

  @Benchmark
  public ContainerStatus launch() {
    return c.launch(config).toCompletableFuture().join();
  }

  @Benchmark
  public ContainerTermination launchToExit() {
    c.launch(config).toCompletableFuture().join();
    return c.termination(config.containerId()).toCompletableFuture().join();
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    c.close();
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
