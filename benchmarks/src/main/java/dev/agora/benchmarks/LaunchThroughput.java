package dev.agora.benchmarks;

import dev.agora.containers.Containerizers;
import dev.agora.containers.LinuxContainerizer;
import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.Containerizer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * Container launches with up to {@code inflight} launches under way at once (a launch is under way
 * until its stage completes; the container then runs on), as an agent launches the tasks of an
 * offer: each container runs {@code true} ({@code cpus:0.1;mem:32}) to its end. Prints, per round,
 * the launch latency p50/p99 (until the launch stage completes), launches per second (launches /
 * wall time until the last launch completed), whole container lives per second, and CPU per
 * container: this JVM's (all threads, from the OS) and its children's (the container processes,
 * once reaped), which unlike wall-clock figures hardly depend on the machine's load.
 *
 * <p>Run: {@code java -Djdk.lang.Process.launchMechanism=VFORK -cp benchmarks/target/benchmarks.jar
 * dev.agora.benchmarks.LaunchThroughput linux|linux-shell|process [count] [inflight] [rounds]}.
 */
public final class LaunchThroughput {
  private LaunchThroughput() {}

  /**
   * The CPU time of this process's descendants, in clock ticks of 10 ms: its reaped children's
   * (cutime + cstime), plus each live descendant's own and reaped children's (the native launch
   * server is a live child, which reaps the containers it starts).
   */
  private static long childTicks() throws IOException {
    long ticks = ticks(Path.of("/proc/self/stat"), false);
    for (ProcessHandle h : ProcessHandle.current().descendants().toList()) {
      try {
        ticks += ticks(Path.of("/proc", Long.toString(h.pid()), "stat"), true);
      } catch (IOException | RuntimeException e) {
        // gone meanwhile: counted by its parent once reaped
      }
    }
    return ticks;
  }

  private static long ticks(Path stat, boolean own) throws IOException {
    String s = Files.readString(stat);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    long children = Long.parseLong(f[13]) + Long.parseLong(f[14]);
    return own ? children + Long.parseLong(f[11]) + Long.parseLong(f[12]) : children;
  }

  /**
   * A containerizer by benchmark name: {@code process}, {@code linux} (the native launch path
   * where a C compiler is found) or {@code linux-shell} (the sh/setsid/unshare chain).
   */
  static Containerizer containerizer(String kind) {
    if (kind.equals("linux-shell")) {
      return LinuxContainerizer.builder().hierarchy("agora-bench").nativeLauncher(false).build();
    }
    return Containerizers.create(kind, "agora-bench");
  }

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "linux";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int inflight = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Path root = Files.createTempDirectory("agora-throughput");
    try (Containerizer c = containerizer(kind)) {
      for (int round = 0; round < rounds; round++) {
        long[] latency = new long[n];
        long[] launchedAt = new long[n];
        Semaphore slots = new Semaphore(inflight);
        List<CompletableFuture<?>> ends = new ArrayList<>();
        long cpu0 = os.getProcessCpuTime();
        long children0 = childTicks();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          String id = "r" + round + "-" + i;
          Path sandbox = Files.createDirectory(root.resolve(id));
          TaskInfo task = TaskInfo.of(TaskId.of(id), AgentId.of("bench"), Resources.parse("cpus:0.1;mem:32"),
              CommandInfo.shell("true"));
          ContainerConfig config = new ContainerConfig(new ContainerId(id), task, sandbox, Map.of(), Optional.empty());
          slots.acquire();
          long start = System.nanoTime();
          int k = i;
          ends.add(c.launch(config).toCompletableFuture()
              .whenComplete((s, e) -> {
                launchedAt[k] = System.nanoTime();
                latency[k] = launchedAt[k] - start;
                slots.release(); // the next launch may start; this container runs on
              })
              .thenCompose(x -> c.termination(config.containerId()).toCompletableFuture()));
        }
        CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).join();
        long wall = System.nanoTime() - t0;
        long lastLaunch = Arrays.stream(launchedAt).max().orElse(t0) - t0;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e6 / n;
        double children = (childTicks() - children0) * 10.0 / n;
        Arrays.sort(latency);
        System.out.printf("%s inflight %d, %d containers: launch p50 %.2f ms, p99 %.2f ms; %.0f launches/s;"
                + " %.1f whole lives/s; cpu per container: JVM %.2f ms, container processes %.2f ms%n",
            kind, inflight, n, latency[n / 2] / 1e6, latency[n * 99 / 100] / 1e6, n / (lastLaunch / 1e9),
            n / (wall / 1e9), cpu, children);
      }
    } finally {
      try (Stream<Path> all = Files.walk(root)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
