package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.ForwardingStateStore;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.transport.Address;
import dev.agora.examples.jobs.JobRun.State;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leader changes between jobs-service instances, in virtual time: the new leader reconciles the
 * tasks it inherits before it fires anything, re-arms their maxCompletionTime kills, resumes a DAG
 * in the middle, and stamps what it writes with its own epoch.
 */
class JobsFailoverTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir
  Path dir;

  private static String job(String name, String extra) {
    return "{\"name\":\"" + name + "\",\"command\":\"true\"," + extra + "}";
  }

  private static JobsService start(JobsHarness h, TestElection election) {
    return h.startService(b -> b.leaderElection(election::candidate).leaderDetector(election.detector()));
  }

  @Test
  void maxCompletionTimeKillsAreReArmedByTheNextLeader() {
    TestElection election = new TestElection();
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(null, 0); // tasks hang
      JobsService first = start(h, election);
      h.post(job("hang", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"maxCompletionTime\":600000,\"retries\":0"));
      h.post(job("short", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"maxCompletionTime\":120000,\"retries\":0"));
      h.advance(Duration.ofMinutes(2));
      assertThat(h.runs("hang")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      Instant started = h.runs("hang").get(0).started().orElseThrow();
      assertThat(h.runs("short")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));

      // The leader goes away at 00:02 (its timers with it); the next one leads from 00:05, after
      // "short"'s deadline (00:03) and before "hang"'s (00:11).
      first.close();
      h.advance(Duration.ofMinutes(3));
      JobsService second = start(h, election); // leads: nobody else is a candidate
      assertThat(second.engine().orElseThrow().isLeader()).isTrue();
      long epoch = election.epoch();
      assertThat(epoch).isGreaterThan(1);

      h.advance(Duration.ofSeconds(5));
      assertThat(h.runs("short")).singleElement().satisfies(r -> {
        assertThat(r.state()).as(r.toString()).isEqualTo(State.FAILED);
        assertThat(r.reason()).contains("maxCompletionTime");
        assertThat(r.epoch()).as("stamped by the new leader").isEqualTo(epoch);
        assertThat(r.ended().orElseThrow()).as("killed as soon as the new leader reconciled")
            .isBetween(Instant.parse("2026-01-01T00:05:00Z"), Instant.parse("2026-01-01T00:05:05Z"));
      });
      assertThat(h.runs("hang")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));

      h.advance(Duration.ofMinutes(10));
      assertThat(h.runs("hang")).singleElement().satisfies(r -> {
        assertThat(r.state()).as(r.toString()).isEqualTo(State.FAILED);
        assertThat(r.reason()).contains("maxCompletionTime");
        assertThat(r.epoch()).isEqualTo(epoch);
        assertThat(r.ended().orElseThrow()).as("killed at its deadline, started + 10 min")
            .isBetween(started.plus(Duration.ofMinutes(10)), started.plus(Duration.ofMinutes(10)).plusSeconds(5));
      });
      assertThat(h.launches("hang")).isEqualTo(1);
      assertThat(h.launches("short")).isEqualTo(1);
      assertThat(h.containerizers.stream().mapToInt(c -> c.running().size()).sum()).as("no task left running")
          .isZero();
    }
  }

  @Test
  void newLeaderFiresNothingBeforeTheMasterAnsweredForTheTasksItInherits() {
    RecordingStore store = new RecordingStore();
    TestElection election = new TestElection();
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      h.outcome = job -> job.equals("long") ? new JobsHarness.Outcome(Duration.ofSeconds(90), 0)
          : new JobsHarness.Outcome(Duration.ofSeconds(5), 0);
      JobsService first = start(h, election);
      h.post(job("long", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\""));
      h.post(job("tick", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1M\""));
      h.advance(Duration.ofSeconds(75)); // 00:01:15: long runs (until ~00:02:30), tick 00:01 ran
      assertThat(h.runs("long")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      first.close();
      // "long" ends while nobody leads; "tick" 00:02 and 00:03 come due.
      h.advance(Duration.ofMinutes(2)); // 00:03:15
      int from = store.log.size();
      JobsService second = start(h, election); // leads: nobody else is a candidate
      h.advance(Duration.ofMinutes(1));

      assertThat(h.runs("long")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.SUCCESS));
      List<String> writes = store.log.subList(from, store.log.size());
      int longDone = writes.indexOf("put " + JobsEngine.RUNS + "long/" + h.runs("long").get(0).key() + " SUCCESS");
      int firstTick = -1;
      for (int i = 0; i < writes.size(); i++) {
        if (writes.get(i).startsWith("create " + JobsEngine.RUNS + "tick/")) {
          firstTick = i;
          break;
        }
      }
      assertThat(longDone).as("the inherited run is settled: %s", writes).isGreaterThanOrEqualTo(0);
      assertThat(firstTick).as("the new leader fires tick: %s", writes).isGreaterThanOrEqualTo(0);
      assertThat(longDone).as("settled before anything fires: %s", writes).isLessThan(firstTick);
      assertThat(h.launches("long")).isEqualTo(1);
      assertThat(h.scheduled("tick", State.SUCCESS)).doesNotHaveDuplicates()
          .contains(Instant.parse("2026-01-01T00:01:00Z"), Instant.parse("2026-01-01T00:04:00Z"));
      assertThat(second.engine().orElseThrow().isReconciling()).isFalse();
    }
  }

  @Test
  void dagInTheMiddleOfACycleResumesUnderTheNextLeader() {
    TestElection election = new TestElection();
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(job.equals("b") ? Duration.ofMinutes(10) : Duration.ofSeconds(30), 0);
      JobsService first = start(h, election);
      h.post(job("a", "\"schedule\":\"R/2026-01-01T01:00:00Z/P1D\""));
      h.post(job("b", "\"parents\":[\"a\"]"));
      h.post(job("c", "\"parents\":[\"b\"]"));
      h.post(job("d", "\"parents\":[\"a\",\"c\"]"));
      h.advance(Duration.ofMinutes(65)); // 01:05: a done, b running
      assertThat(h.runs("a", State.SUCCESS)).hasSize(1);
      assertThat(h.runs("b")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      JobsService second = start(h, election);
      election.elect(Address.of("local:jobs-1"));
      first.close();
      h.advance(Duration.ofHours(1));

      Instant cycle = Instant.parse("2026-01-01T01:00:00Z");
      for (String name : List.of("a", "b", "c", "d")) {
        assertThat(h.runs(name)).as(name).singleElement().satisfies(r -> {
          assertThat(r.state()).isEqualTo(State.SUCCESS);
          assertThat(r.cycle()).isEqualTo(cycle);
        });
        assertThat(h.launches(name)).as(name).isEqualTo(1);
      }
      assertThat(second.engine().orElseThrow().isLeader()).isTrue();
    }
  }

  /** An in-memory store that logs every write, fenced views included. */
  static final class RecordingStore extends ForwardingStateStore {
    final List<String> log = Collections.synchronizedList(new ArrayList<>());

    RecordingStore() {
      this(new InMemoryStateStore(), null);
    }

    private RecordingStore(StateStore inner, List<String> shared) {
      super(inner);
      if (shared != null) {
        sharedLog = shared;
      }
    }

    private List<String> sharedLog;

    private List<String> target() {
      return sharedLog != null ? sharedLog : log;
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      Optional<Long> v = inner.compareAndSet(key, value, expectedVersion);
      if (v.isPresent()) {
        String text = new String(value, java.nio.charset.StandardCharsets.UTF_8);
        int s = text.indexOf("\"state\":\"");
        String state = s < 0 ? "" : " " + text.substring(s + 9, text.indexOf('"', s + 9));
        target().add((expectedVersion < 0 ? "create " : "put ") + key + state);
      }
      return v;
    }

    @Override
    public StateStore fenced(long epoch) {
      return new RecordingStore(inner.fenced(epoch), target());
    }
  }
}
