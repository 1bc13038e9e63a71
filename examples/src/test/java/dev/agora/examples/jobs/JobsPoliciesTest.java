package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.examples.jobs.JobRun.State;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dependencies, overlap, retries, timeouts, failures, catch-up and exactly-once, in virtual time. */
class JobsPoliciesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir
  Path dir;

  private static String job(String name, String extra) {
    return "{\"name\":\"" + name + "\",\"command\":\"true\"," + extra + "}";
  }

  @Test
  void dagOfFiveWithAFailingMiddleJobWaitsUntilMarkedSuccessful() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(30), job.equals("b") ? 1 : 0);
      h.startService();
      assertThat(h.post(job("a", "\"schedule\":\"R/2026-01-01T01:00:00Z/P1D\"")).status()).isEqualTo(204);
      assertThat(h.post(job("b", "\"parents\":[\"a\"],\"retries\":1")).status()).isEqualTo(204);
      assertThat(h.post(job("c", "\"parents\":[\"b\"]")).status()).isEqualTo(204);
      assertThat(h.post(job("d", "\"parents\":[\"a\"]")).status()).isEqualTo(204);
      assertThat(h.post(job("e", "\"parents\":[\"b\",\"d\"]")).status()).isEqualTo(204);
      h.advance(Duration.ofHours(3));

      assertThat(h.runs("a", State.SUCCESS)).hasSize(1);
      assertThat(h.runs("d", State.SUCCESS)).hasSize(1);
      List<JobRun> b = h.runs("b");
      assertThat(b).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.FAILED);
        assertThat(r.attempt()).isEqualTo(2);
      });
      assertThat(h.launches("b")).isEqualTo(2);
      assertThat(h.runs("c")).isEmpty();
      assertThat(h.runs("e")).as("e waits for b although d succeeded").isEmpty();

      assertThat(h.call("PUT", "/v1/scheduler/job/success/b", "").status()).isEqualTo(200);
      h.advance(Duration.ofMinutes(5));
      Instant cycle = Instant.parse("2026-01-01T01:00:00Z");
      assertThat(h.runs("c")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.SUCCESS);
        assertThat(r.cycle()).isEqualTo(cycle);
      });
      assertThat(h.runs("e")).singleElement().satisfies(r -> assertThat(r.cycle()).isEqualTo(cycle));

      // Next day: a and d run again, b fails again, c and e wait again.
      h.advance(Duration.ofDays(1));
      assertThat(h.runs("a", State.SUCCESS)).hasSize(2);
      assertThat(h.runs("d", State.SUCCESS)).hasSize(2);
      assertThat(h.runs("b", State.FAILED)).hasSize(1);
      assertThat(h.runs("c")).hasSize(1);
      assertThat(h.runs("e")).hasSize(1);
      String csv = h.call("GET", "/v1/scheduler/graph/csv", "").body();
      assertThat(csv).contains("node,b,failure,idle", "node,c,success,idle", "link,b,e", "link,d,e");
      assertThat(h.call("GET", "/v1/scheduler/graph/dot", "").body()).contains("\"a\" -> \"b\";");
    }
  }

  @Test
  void nonConcurrentJobSkipsRunsWhileThePreviousIsActive() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(150), 0);
      h.startService();
      h.post(job("slow", "\"schedule\":\"R5/2026-01-01T00:01:00Z/PT1M\""));
      h.post(job("overlap", "\"schedule\":\"R5/2026-01-01T00:01:00Z/PT1M\",\"concurrent\":true"));
      h.advance(Duration.ofMinutes(10));
      assertThat(h.scheduled("slow", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:01:00Z"),
          Instant.parse("2026-01-01T00:04:00Z"));
      assertThat(h.runs("slow", State.SKIPPED)).hasSize(3)
          .allMatch(r -> r.reason().contains("concurrent=false"));
      assertThat(h.runs("overlap", State.SUCCESS)).hasSize(5);
    }
  }

  @Test
  void maxCompletionTimeKillsAndRepeatedFailuresDisableTheJob() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> job.equals("hang") ? new JobsHarness.Outcome(null, 0)
          : new JobsHarness.Outcome(Duration.ofSeconds(5), 2);
      h.startService(JobsService.CatchUp.SKIP, 2);
      h.post(job("hang", "\"schedule\":\"R1//PT1H\",\"maxCompletionTime\":30000,\"retries\":0"));
      h.post(job("flaky", "\"schedule\":\"R/2026-01-01T00:10:00Z/PT10M\",\"retries\":2"));
      h.advance(Duration.ofMinutes(45));
      assertThat(h.runs("hang")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.FAILED);
        assertThat(r.reason()).contains("maxCompletionTime");
        assertThat(r.duration().orElseThrow()).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(35));
      });
      // flaky: 00:10 and 00:20 fail after 3 attempts each (retries 2, backoff 10 s then 20 s); then disabled.
      assertThat(h.runs("flaky", State.FAILED)).hasSize(2).allMatch(r -> r.attempt() == 3);
      assertThat(h.launches("flaky")).isEqualTo(6);
      assertThat(h.runs("flaky", State.SKIPPED)).isNotEmpty().allMatch(r -> r.reason().contains("disabled"));
      assertThat(h.call("GET", "/v1/scheduler/jobs", "").body()).contains("\"disabled\":true");
      assertThat(h.call("GET", "/v1/scheduler/job/stat/flaky", "").body()).contains("\"count\":2");
    }
  }

  @Test
  void runThatFindsNoOfferWithinEpsilonIsRecordedSkipped() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      h.post(job("huge", "\"schedule\":\"R2/2026-01-01T00:01:00Z/PT1H\",\"cpus\":64,\"epsilon\":\"PT2M\""));
      h.advance(Duration.ofHours(2));
      assertThat(h.runs("huge", State.SKIPPED)).hasSize(2).allMatch(r -> r.reason().contains("no matching offer"));
      assertThat(h.launched).isEmpty();
    }
  }

  @Test
  void manualRunWithArgumentsAndKill() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(null, 0);
      h.startService();
      h.post(job("manual", "\"schedule\":\"R/2027-01-01T00:00:00Z/P1D\""));
      assertThat(h.call("PUT", "/v1/scheduler/job/manual?arguments=--fast%20-v", "").body()).contains("\"started\":true");
      h.advance(Duration.ofSeconds(10));
      assertThat(h.runs("manual")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.RUNNING);
        assertThat(r.arguments()).containsExactly("--fast", "-v");
      });
      assertThat(h.call("DELETE", "/v1/scheduler/task/kill/manual", "").body()).contains("\"killed\":1");
      h.advance(Duration.ofSeconds(10));
      assertThat(h.runs("manual")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.FAILED);
        assertThat(r.reason()).contains("killed by request");
      });
    }
  }

  @Test
  void twoLeadersOnOneStoreRunEachOccurrenceOnce() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      h.post(job("once", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1M\""));
      // A second instance that also believes it leads (a split brain): the store's compare-and-set
      // lets only one of them record, and so launch, each occurrence.
      JobsService first = h.service;
      JobsService second = h.startService();
      h.advance(Duration.ofMinutes(30));
      // The second subscribed with the stored framework id and so failed the first over (the master
      // refuses the first from then on): runs the first recorded after that never launch. Either
      // way, each occurrence has one record and at most one task.
      assertThat(h.store.keys(JobsEngine.RUNS + "once/")).hasSize(30);
      List<String> scheduledOfLaunches = h.launched.stream().map(t -> t.split(":")[1]).toList();
      assertThat(scheduledOfLaunches).doesNotHaveDuplicates().hasSizeGreaterThan(20);
      assertThat(second.engine().orElseThrow().history("once")).isNotEmpty();
      first.close();
    }
  }

  @Test
  void catchUpAfterDowntimeRunsTheLatestMissedOnceAndRecordsTheRestSkipped() {
    InMemoryStateStore store = new InMemoryStateStore();
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      JobsService first = h.startService();
      h.post(job("hourly", "\"schedule\":\"R/2026-01-01T01:00:00Z/PT1H\""));
      h.advance(Duration.ofMinutes(90));
      first.close();
      h.advance(Duration.ofHours(5));
      h.startService(JobsService.CatchUp.RUN_ONCE, 0);
      h.advance(Duration.ofMinutes(10));
      assertThat(h.scheduled("hourly", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T01:00:00Z"),
          Instant.parse("2026-01-01T06:00:00Z"));
      assertThat(h.runs("hourly", State.SKIPPED)).extracting(JobRun::scheduled).containsExactly(
          Instant.parse("2026-01-01T02:00:00Z"), Instant.parse("2026-01-01T03:00:00Z"),
          Instant.parse("2026-01-01T04:00:00Z"), Instant.parse("2026-01-01T05:00:00Z"));
      assertThat(h.runs("hourly", State.SKIPPED)).allMatch(r -> r.reason().contains("service was down"));
    }
  }

  @Test
  void newLeaderReconcilesTheRunningTaskInsteadOfLaunchingAgain() {
    InMemoryStateStore store = new InMemoryStateStore();
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofMinutes(10), 0);
      JobsService first = h.startService();
      h.post(job("long", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1H\""));
      h.advance(Duration.ofMinutes(3));
      assertThat(h.runs("long")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      // The leader goes away mid-run; its task keeps running (failover timeout); a new leader takes over.
      first.close();
      h.advance(Duration.ofMinutes(1));
      h.startService();
      h.advance(Duration.ofMinutes(15));
      assertThat(h.runs("long")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.SUCCESS);
        assertThat(r.scheduled()).isEqualTo(Instant.parse("2026-01-01T00:01:00Z"));
      });
      assertThat(h.launches("long")).isEqualTo(1);
    }
  }

  @Test
  void historyIsBoundedInMemoryAndInTheStore() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(Duration.ofSeconds(5), 0);
      h.startService(b -> b.historyLimit(3));
      h.post(job("often", "\"schedule\":\"R/2026-01-01T00:01:00Z/PT1M\""));
      h.advance(Duration.ofMinutes(7).plusSeconds(30));
      assertThat(h.scheduled("often", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:05:00Z"),
          Instant.parse("2026-01-01T00:06:00Z"), Instant.parse("2026-01-01T00:07:00Z"));
      assertThat(h.store.keys(JobsEngine.RUNS + "often/")).hasSize(3);
      assertThat(h.call("GET", "/v1/scheduler/jobs", "").body()).contains("\"successCount\":7");
    }
  }

  @Test
  void percentilesAreNearestRankOverTheDurations() {
    List<Double> d = java.util.stream.IntStream.rangeClosed(1, 100).mapToObj(i -> (double) i).toList();
    assertThat(JobsApi.quantile(d, 0.5)).isEqualTo(50.0);
    assertThat(JobsApi.quantile(d, 0.75)).isEqualTo(75.0);
    assertThat(JobsApi.quantile(d, 0.95)).isEqualTo(95.0);
    assertThat(JobsApi.quantile(d, 0.99)).isEqualTo(99.0);
    assertThat(JobsApi.quantile(List.of(1.0, 2.0, 10.0), 0.5)).isEqualTo(2.0);
    assertThat(JobsApi.quantile(List.of(1.0, 2.0, 10.0), 0.99)).isEqualTo(10.0);
  }

  @Test
  void constraintsPlaceRunsOnMatchingAgentsOnly() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.outcome = job -> new JobsHarness.Outcome(null, 0); // keep running, to see where
      h.startService();
      h.post(job("eq", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"constraints\":[[\"rack\",\"EQUALS\",\"r1\"]]"));
      h.post(job("like", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"constraints\":[[\"hostname\",\"LIKE\",\"host[0]\"]]"));
      h.post(job("unlike", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"constraints\":[[\"rack\",\"UNLIKE\",\"r0\"]]"));
      h.post(job("nowhere", "\"schedule\":\"R1/2026-01-01T00:01:00Z/PT1H\",\"epsilon\":\"PT1M\","
          + "\"constraints\":[[\"rack\",\"EQUALS\",\"r9\"]]"));
      h.advance(Duration.ofMinutes(3));
      java.util.function.Function<Integer, List<String>> jobsOn = i -> h.containerizers.get(i).running().stream()
          .map(t -> JobsHarness.jobOf(t.value())).sorted().toList();
      assertThat(jobsOn.apply(0)).containsExactly("like");
      assertThat(jobsOn.apply(1)).containsExactly("eq", "unlike");
      assertThat(h.runs("nowhere")).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(State.SKIPPED);
        assertThat(r.reason()).contains("no matching offer");
      });
    }
  }

  @Test
  void commandCarriesArgumentsEnvironmentUserAndShellMode() {
    Instant now = T0;
    JobDefinition shell = JobJson.parse("{\"name\":\"s\",\"command\":\"echo\",\"arguments\":[\"a\"],\"schedule\":\"R//PT1H\","
        + "\"environmentVariables\":[{\"name\":\"K\",\"value\":\"v\"}],\"runAsUser\":\"nobody\"}", now);
    JobRun run = new JobRun("s", now, now, JobRun.Trigger.MANUAL, State.PENDING, 1, java.util.Optional.empty(),
        java.util.Optional.empty(), java.util.Optional.empty(), "", 1, List.of("b"));
    var c = JobTasks.command(shell, run);
    assertThat(c.shell()).isTrue();
    assertThat(c.value()).isEqualTo("echo a b");
    assertThat(c.environment()).containsEntry("K", "v").containsEntry("CHRONOS_JOB_NAME", "s")
        .containsEntry("AGORA_JOB_SCHEDULED_TIME", now.toString());
    assertThat(c.user()).contains("nobody");
    JobDefinition direct = JobJson.parse("{\"name\":\"d\",\"command\":\"/bin/echo\",\"shell\":false,"
        + "\"arguments\":[\"x y\"],\"schedule\":\"R//PT1H\"}", now);
    var d = JobTasks.command(direct, run);
    assertThat(d.shell()).isFalse();
    assertThat(d.arguments()).containsExactly("/bin/echo", "x y", "b");
  }

  @Test
  void skipCatchUpRecordsEveryRunMissedWhileDownSkipped() {
    InMemoryStateStore store = new InMemoryStateStore();
    try (JobsHarness h = new JobsHarness(dir, T0, store)) {
      JobsService first = h.startService();
      h.post(job("hourly", "\"schedule\":\"R/2026-01-01T01:00:00Z/PT1H\""));
      h.advance(Duration.ofMinutes(90));
      first.close();
      h.advance(Duration.ofHours(5));
      h.startService(JobsService.CatchUp.SKIP, 0);
      h.advance(Duration.ofMinutes(10));
      assertThat(h.scheduled("hourly", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T01:00:00Z"));
      assertThat(h.runs("hourly", State.SKIPPED)).extracting(JobRun::scheduled).containsExactly(
          Instant.parse("2026-01-01T02:00:00Z"), Instant.parse("2026-01-01T03:00:00Z"),
          Instant.parse("2026-01-01T04:00:00Z"), Instant.parse("2026-01-01T05:00:00Z"),
          Instant.parse("2026-01-01T06:00:00Z"));
      assertThat(h.runs("hourly", State.SKIPPED)).allMatch(r -> r.reason().contains("catch-up policy SKIP"));
    }
  }
}
