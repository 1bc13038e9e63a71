package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.coordination.ForwardingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.examples.jobs.JobRun.State;
import dev.agora.examples.store.HeldExecutor;
import dev.agora.examples.store.StoreWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state store is called off the service's loop: while a write is held back the loop keeps
 * firing schedules and answering reads; a call that changes a job answers only once its write is
 * done; a refused or failed write answers 503 naming the job and leaves memory as it was.
 */
class JobsStoreOffLoopTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String JOBS = "/v1/scheduler/jobs";
  @TempDir
  Path dir;

  private static String job(String name, String extra) {
    return "{\"name\":\"" + name + "\",\"command\":\"true\"" + (extra.isEmpty() ? "" : "," + extra) + "}";
  }

  @Test
  void whileAWriteIsHeldTheLoopFiresSchedulesAndAnswersReadsAndThePostAnswersOnlyOnceWritten() {
    HeldExecutor io = new HeldExecutor();
    JobsFailoverTest.RecordingStore store = new JobsFailoverTest.RecordingStore();
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(5), 0);
      JobsService service = h.startService(b -> b.storeExecutor(io));
      assertThat(h.post(job("tick", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1M\"")).status()).isEqualTo(204);
      h.advance(Duration.ofSeconds(90)); // 00:01:30: the 00:01 run is done
      assertThat(h.scheduled("tick", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:01:00Z"));

      io.hold = true;
      CompletableFuture<JobsService.Response> post = service.request("POST", "/v1/scheduler/iso8601",
          job("late", "\"schedule\":\"R/2026-01-01T01:00:00Z/PT1H\""));
      h.advance(Duration.ofMinutes(3)); // 00:04:30: 00:02, 00:03 and 00:04 come due meanwhile
      assertThat(post).as("the POST waits for its write").isNotDone();
      assertThat(io.held).as("the write is handed to the store's executor, not made on the loop").isNotEmpty();
      CompletableFuture<JobsService.Response> read = service.request("GET", JOBS, "");
      h.sim.runUntilIdle();
      assertThat(read).as("reads are answered while a write is pending").isDone();
      assertThat(read.join().body()).contains("\"name\":\"tick\"").doesNotContain("\"name\":\"late\"");
      StoreWriter writer = service.engine().orElseThrow().writer();
      assertThat(writer.pending()).as("the loop kept firing tick: its runs' records wait behind the POST")
          .isGreaterThan(1);

      io.release();
      h.sim.runUntilIdle();
      assertThat(post).isDone();
      assertThat(post.join().status()).isEqualTo(204);
      assertThat(h.call("GET", JOBS, "").body()).contains("\"name\":\"late\"");
      h.advance(Duration.ofSeconds(30));
      // The loop fired 00:02 while held (it runs once recorded), then 00:03 and 00:04 found it still
      // active: skipped (concurrent=false), as they would be behind any run that had not ended.
      assertThat(h.scheduled("tick", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:01:00Z"),
          Instant.parse("2026-01-01T00:02:00Z"));
      assertThat(h.runs("tick", State.SKIPPED)).extracting(JobRun::scheduled)
          .containsExactly(Instant.parse("2026-01-01T00:03:00Z"), Instant.parse("2026-01-01T00:04:00Z"));
      assertThat(h.runs("tick", State.SKIPPED)).allSatisfy(r -> assertThat(r.reason()).contains("still active"));
      assertThat(h.launches("tick")).isEqualTo(2);
      // Per run, its writes landed in order: created, then RUNNING (before launch), then SUCCESS.
      for (JobRun run : h.runs("tick", State.SUCCESS)) {
        String key = JobsEngine.RUNS + "tick/" + run.key();
        List<String> writes = store.log.stream().filter(w -> w.contains(key)).toList();
        assertThat(writes).as(key).containsExactly("create " + key + " PENDING", "put " + key + " RUNNING",
            "put " + key + " SUCCESS");
      }
    }
  }

  @Test
  void aTaskIsLaunchedOnlyOnceItsRunningRecordIsWrittenAndNotAtAllIfKilledMeanwhile() {
    HeldExecutor io = new HeldExecutor();
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(5), 0);
      JobsService service = h.startService(b -> b.storeExecutor(io));
      assertThat(h.post(job("a", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1H\"")).status()).isEqualTo(204);
      assertThat(h.post(job("b", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1H\"")).status()).isEqualTo(204);
      io.hold = true;
      h.advance(Duration.ofSeconds(61)); // both fire: their records' compare-and-set is held
      assertThat(h.runs("a")).as("not remembered before it is recorded").isEmpty();
      io.runHeld(); // recorded: queued, offered, matched; their RUNNING records are held
      h.advance(Duration.ofSeconds(3));
      assertThat(h.runs("a")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      assertThat(h.containerizers.stream().mapToInt(c -> c.running().size()).sum())
          .as("nothing launched before the RUNNING records are written").isZero();

      CompletableFuture<JobsService.Response> kill = service.request("DELETE", "/v1/scheduler/task/kill/b", "");
      h.sim.runUntilIdle();
      io.release();
      h.sim.runUntilIdle();
      assertThat(kill.join().body()).contains("\"killed\":1");
      h.advance(Duration.ofSeconds(10));
      assertThat(h.launches("a")).isEqualTo(1);
      assertThat(h.runs("a")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.SUCCESS));
      assertThat(h.launches("b")).as("killed before its offer was accepted: never launched").isZero();
      assertThat(h.runs("b")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.FAILED);
        assertThat(r.reason()).contains("killed by request before it started");
      });
    }
  }

  @Test
  void aDeleteSentAfterAPostOfTheSameJobWaitsForIt() {
    HeldExecutor io = new HeldExecutor();
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      JobsService service = h.startService(b -> b.storeExecutor(io));
      io.hold = true;
      CompletableFuture<JobsService.Response> post = service.request("POST", "/v1/scheduler/iso8601",
          job("once", "\"schedule\":\"R/2026-01-02T00:00:00Z/P1D\""));
      CompletableFuture<JobsService.Response> delete = service.request("DELETE", "/v1/scheduler/job/once", "");
      h.sim.runUntilIdle();
      assertThat(post).isNotDone();
      assertThat(delete).isNotDone();
      io.release();
      h.sim.runUntilIdle();
      io.release(); // the delete's writes, handed once the POST answered
      h.sim.runUntilIdle();
      io.release();
      h.sim.runUntilIdle();
      assertThat(post.join().status()).isEqualTo(204);
      assertThat(delete.join().status()).as(delete.join().body()).isEqualTo(204);
      assertThat(h.call("GET", JOBS, "").body()).isEqualTo("[]");
      assertThat(h.store.keys("jobs/definitions/")).isEmpty();
    }
  }

  @Test
  void aFailedWriteAnswers503NamingTheJobAndLeavesNoSuchJob() {
    FailingStore store = new FailingStore(new InMemoryStateStore(), key -> key.endsWith("/bad"));
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      h.startService();
      JobsService.Response r = h.post(job("bad", "\"schedule\":\"R/2026-01-02T00:00:00Z/P1D\""));
      assertThat(r.status()).as(r.body()).isEqualTo(503);
      assertThat(r.body()).contains("job 'bad' was not saved", "ZooKeeper connection loss (test)");
      assertThat(h.call("GET", JOBS, "").body()).isEqualTo("[]");
      assertThat(h.call("GET", "/v1/scheduler/job/stat/bad", "").status()).isEqualTo(404);
      assertThat(store.keys("jobs/definitions/")).isEmpty();

      // The service still leads and takes other jobs.
      assertThat(h.post(job("good", "\"schedule\":\"R/2026-01-02T00:00:00Z/P1D\"")).status()).isEqualTo(204);
      assertThat(h.call("GET", JOBS, "").body()).contains("\"name\":\"good\"").doesNotContain("\"name\":\"bad\"");

      // A refused write (the key changed under the leader) is a 503 too, and the job stays as it was.
      store.refuse = key -> key.equals(JobsEngine.DEFINITIONS + "good");
      JobsService.Response refused = h.post(job("good", "\"schedule\":\"R/2026-01-03T00:00:00Z/P1D\""));
      assertThat(refused.status()).as(refused.body()).isEqualTo(503);
      assertThat(refused.body()).contains("job 'good' was not saved", "refused");
      assertThat(h.call("GET", JOBS, "").body()).contains("R/2026-01-02T00:00:00Z/P1D")
          .doesNotContain("R/2026-01-03");
    }
  }

  @Test
  void aFailedRunWriteMakesTheLeaderStepDownAndDropWhatItCannotStore() {
    FailingStore store = new FailingStore(new InMemoryStateStore(), key -> false);
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(5), 0);
      JobsService service = h.startService();
      assertThat(h.post(job("tick", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1M\"")).status()).isEqualTo(204);
      store.fail = key -> key.startsWith(JobsEngine.RUNS + "tick/");
      h.advance(Duration.ofSeconds(90));
      assertThat(service.engine().orElseThrow().isLeader()).as("a leader whose run write failed stops leading")
          .isFalse();
      assertThat(service.engine().orElseThrow().jobs).as("and drops its in-memory state").isEmpty();
      assertThat(h.launches("tick")).as("no task is launched for a run that could not be recorded").isZero();
      assertThat(h.call("GET", JOBS, "").status()).isEqualTo(503);
    }
  }

  @Test
  void overRealThreadsAReadIsAnsweredWhileTheStoreBlocksOnAWrite() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    StateStore blocking = new FailingStore(new InMemoryStateStore(), key -> false) {
      @Override
      boolean check(String key) {
        if (key.startsWith(JobsEngine.DEFINITIONS)) {
          entered.countDown();
          try {
            release.await(30, TimeUnit.SECONDS); // a bound, not a pause: released by the test
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return true;
      }
    };
    try (JobsService service = JobsService.builder().transport(new InProcessTransport())
        .master(Address.of("no-master")).stateStore(blocking).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> service.engine().orElseThrow().isLeader());
      CompletableFuture<JobsService.Response> post = service.request("POST", "/v1/scheduler/iso8601",
          job("slow", "\"schedule\":\"R/2099-01-01T00:00:00Z/P1D\""));
      assertThat(entered.await(10, TimeUnit.SECONDS)).as("the definition write reached the store").isTrue();
      JobsService.Response read = service.request("GET", JOBS, "").get(10, TimeUnit.SECONDS);
      assertThat(read.body()).as("answered while the store blocks").isEqualTo("[]");
      assertThat(post).isNotDone();
      release.countDown();
      assertThat(post.get(10, TimeUnit.SECONDS).status()).isEqualTo(204);
      assertThat(service.request("GET", JOBS, "").get(10, TimeUnit.SECONDS).body()).contains("\"name\":\"slow\"");
    } finally {
      release.countDown();
    }
  }

  /** A store that throws (like a lost ZooKeeper connection) or refuses writes of the keys chosen. */
  static class FailingStore extends ForwardingStateStore {
    private final FailingStore parent; // the store a fenced view was made from: its checks apply
    volatile Predicate<String> fail;
    volatile Predicate<String> refuse = key -> false;

    FailingStore(StateStore inner, Predicate<String> fail) {
      super(inner);
      this.parent = null;
      this.fail = fail;
    }

    private FailingStore(StateStore inner, FailingStore parent) {
      super(inner);
      this.parent = parent;
    }

    /** Whether the write of {@code key} may go ahead (false: refused); throws to fail it. */
    boolean check(String key) {
      if (parent != null) {
        return parent.check(key);
      }
      if (fail.test(key)) {
        throw new IllegalStateException("ZooKeeper connection loss (test) writing " + key);
      }
      return !refuse.test(key);
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      return check(key) ? inner.compareAndSet(key, value, expectedVersion) : Optional.empty();
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
      return check(key) && inner.delete(key, expectedVersion);
    }

    @Override
    public StateStore fenced(long epoch) {
      return new FailingStore(inner.fenced(epoch), this);
    }
  }
}
