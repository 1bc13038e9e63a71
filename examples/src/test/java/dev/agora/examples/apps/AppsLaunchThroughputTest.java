package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wall-clock launch throughput through the apps service on simulated agents (run with -Psoak). */
@Tag("slow")
class AppsLaunchThroughputTest {
  /** The simulation runs master, agents and apps service on the test's thread: its CPU time is the work. */
  private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
  @TempDir
  Path dir;

  @Test
  void oneAppWithAThousandInstances() {
    for (int round = 0; round < Integer.getInteger("apps.bench.rounds", 1); round++) {
      oneAppRound(round);
    }
  }

  private void oneAppRound(int round) {
    try (AppsSim s = new AppsSim(3 + round, dir.resolve("r" + round))) {
      for (int i = 0; i < 100; i++) {
        s.addAgent("cpus:16;mem:65536;ports:[31000-31999]", "");
      }
      s.start();
      long t0 = System.nanoTime();
      long c0 = CPU.getCurrentThreadCpuTime();
      long e0 = s.sim.executedTasks();
      s.call("POST", "/v2/apps", "{\"id\":\"/bulk\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"instances\":1000}");
      s.advanceUntil(() -> s.apps.scheduler().apps.get("/bulk").instances.values().stream()
          .filter(Instance::running).count() == 1000, Duration.ofMinutes(5));
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
      System.err.printf("1 app x 1000 instances RUNNING in %.2f s wall (%.0f tasks/s), %.2f s CPU of the simulation"
          + " thread (%.0f tasks/CPU-s), %s virtual, %d loop tasks%n", seconds, 1000 / seconds, cpu, 1000 / cpu,
          s.sim.elapsed(), s.sim.executedTasks() - e0);
      assertThat(seconds).isLessThan(60);
    }
  }

  @Test
  void hundredAppsWithTenInstances() {
    for (int round = 0; round < Integer.getInteger("apps.bench.rounds", 1); round++) {
      hundredAppsRound(round);
    }
  }

  private void hundredAppsRound(int round) {
    try (AppsSim s = new AppsSim(4 + round, dir.resolve("h" + round))) {
      for (int i = 0; i < 100; i++) {
        s.addAgent("cpus:16;mem:65536;ports:[31000-31999]", "");
      }
      s.start();
      long t0 = System.nanoTime();
      long c0 = CPU.getCurrentThreadCpuTime();
      long e0 = s.sim.executedTasks();
      for (int a = 0; a < 100; a++) {
        s.call("POST", "/v2/apps", "{\"id\":\"/app" + a + "\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,"
            + "\"instances\":10}");
      }
      s.advanceUntil(() -> s.apps.scheduler().apps.values().stream().mapToLong(app -> app.instances.values().stream()
          .filter(Instance::running).count()).sum() == 1000, Duration.ofMinutes(5));
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
      System.err.printf("100 apps x 10 instances RUNNING in %.2f s wall (%.0f tasks/s), %.2f s CPU of the simulation"
          + " thread (%.0f tasks/CPU-s), %s virtual, %d loop tasks%n", seconds, 1000 / seconds, cpu, 1000 / cpu,
          s.sim.elapsed(), s.sim.executedTasks() - e0);
      assertThat(seconds).isLessThan(60);
    }
  }
}
