package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.coordination.ForwardingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.master.Master;
import dev.agora.core.transport.InProcessTransport;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a check (run with -Psoak): the jobs service on real threads over a store whose
 * every write takes {@code jobs.bench.latencyMs} (default 5 ms, a ZooKeeper write round trip), with
 * {@code jobs.bench.jobs} jobs (default 1,000) all due at the same instant. Reports how long the
 * burst takes to be recorded (runs per second) and how late the service's loop answers a read
 * probed every 10 ms meanwhile (its longest stall), and the process CPU time.
 */
@Tag("slow")
class JobsStoreLatencyTest {
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** Each write (compare-and-set, delete) first waits the store's round trip. */
  static final class SlowStore extends ForwardingStateStore {
    private final long latencyNanos;
    final AtomicInteger runsCreated;

    SlowStore(StateStore inner, long latencyNanos, AtomicInteger runsCreated) {
      super(inner);
      this.latencyNanos = latencyNanos;
      this.runsCreated = runsCreated;
    }

    private void roundTrip() {
      // Models the ZooKeeper round trip of a write; not a wait for a condition.
      long end = System.nanoTime() + latencyNanos;
      for (long left = latencyNanos; left > 0; left = end - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      roundTrip();
      Optional<Long> v = inner.compareAndSet(key, value, expectedVersion);
      if (v.isPresent() && expectedVersion < 0 && key.startsWith(JobsEngine.RUNS)) {
        runsCreated.incrementAndGet();
      }
      return v;
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
      roundTrip();
      return inner.delete(key, expectedVersion);
    }

    @Override
    public StateStore fenced(long epoch) {
      return new SlowStore(inner.fenced(epoch), latencyNanos, runsCreated);
    }
  }

  @Test
  void aBurstOfRunsDueAtOnceOverASlowStore() throws Exception {
    int n = Integer.getInteger("jobs.bench.jobs", 1000);
    long latencyMs = Long.getLong("jobs.bench.latencyMs", 5);
    AtomicInteger runs = new AtomicInteger();
    SlowStore store = new SlowStore(new InMemoryStateStore(), TimeUnit.MILLISECONDS.toNanos(latencyMs), runs);
    InProcessTransport transport = new InProcessTransport();
    try (Master master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build())
            .build().start();
        JobsService jobs = JobsService.builder().transport(transport).master(master.address()).stateStore(store)
            .start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> jobs.engine().orElseThrow().isLeader()
          && !jobs.engine().orElseThrow().isReconciling());
      // Every job is due at the same whole second, far enough ahead for all to be defined first.
      Instant due = Instant.now().plus(Duration.ofSeconds(5L + n * 3L * latencyMs / 1000))
          .truncatedTo(ChronoUnit.SECONDS);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        JobsService.Response r = jobs.request("POST", "/v1/scheduler/iso8601", "{\"name\":\"j" + i
            + "\",\"command\":\"true\",\"epsilon\":\"PT1H\",\"schedule\":\"R/" + due + "/PT1H\"}")
            .get(60, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.body()).isEqualTo(204);
      }
      double defineSeconds = (System.nanoTime() - t0) / 1e9;
      assertThat(Instant.now()).as("all defined before they are due").isBefore(due);
      await().atMost(Duration.ofMinutes(1)).until(() -> !Instant.now().isBefore(due));

      long cpu0 = OS.getProcessCpuTime();
      long burst0 = System.nanoTime();
      List<Long> lateness = Collections.synchronizedList(new ArrayList<>());
      long maxLate = 0;
      while (runs.get() < n && System.nanoTime() - burst0 < TimeUnit.MINUTES.toNanos(5)) {
        long p0 = System.nanoTime();
        jobs.request("GET", "/v1/scheduler/leader", "").get(5, TimeUnit.MINUTES);
        long late = System.nanoTime() - p0;
        lateness.add(late);
        maxLate = Math.max(maxLate, late);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the probe's period
      }
      double burstSeconds = (System.nanoTime() - burst0) / 1e9;
      double cpu = (OS.getProcessCpuTime() - cpu0) / 1e9;
      List<Long> sorted = new ArrayList<>(lateness);
      Collections.sort(sorted);
      long p99 = sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99)));
      System.err.printf("jobs store bench: %d jobs, %d ms per write: defined in %.2f s (%.0f jobs/s); burst of %d runs"
          + " recorded in %.2f s (%.0f runs/s), process CPU %.2f s; loop read probes: %d, p99 %.1f ms, max %.1f ms%n",
          n, latencyMs, defineSeconds, n / defineSeconds, runs.get(), burstSeconds, runs.get() / burstSeconds, cpu,
          sorted.size(), p99 / 1e6, maxLate / 1e6);
      assertThat(runs.get()).isEqualTo(n);
    }
  }
}
