package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.examples.jobs.JobRun.State;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Simulated days of the jobs service on a simulated cluster: schedules, zones, DST, clock jumps, policies. */
class JobsSimulationTest {
  @TempDir
  Path dir;

  private static Instant at(String local, String zone) {
    return LocalDateTime.parse(local).atZone(ZoneId.of(zone)).toInstant();
  }

  @Test
  void hourlyJobsInSeveralZonesRunOncePerHour() {
    try (JobsHarness h = new JobsHarness(dir, Instant.parse("2026-01-01T00:00:00Z"))) {
      h.startService();
      assertThat(h.post("{\"name\":\"utc\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:10:00Z/PT1H\"}")
          .status()).isEqualTo(204);
      assertThat(h.post("{\"name\":\"kolkata\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T06:00:00/PT1H\","
          + "\"scheduleTimeZone\":\"Asia/Kolkata\"}").status()).isEqualTo(204);
      assertThat(h.post("{\"name\":\"pst\",\"command\":\"true\",\"schedule\":\"R/2014-10-10T18:32:00Z/PT60M\","
          + "\"scheduleTimeZone\":\"PST\"}").status()).isEqualTo(204);
      h.advance(Duration.ofHours(48));

      Instant end = h.wall();
      List<Instant> utc = IntStream.range(0, 48).mapToObj(i -> Instant.parse("2026-01-01T00:10:00Z").plusSeconds(3600L * i))
          .filter(t -> t.isBefore(end.minusSeconds(120))).toList();
      assertThat(h.scheduled("utc", State.SUCCESS)).startsWith(utc.toArray(Instant[]::new));
      // 06:00 in Kolkata is 00:30 UTC.
      assertThat(h.scheduled("kolkata", State.SUCCESS)).first().isEqualTo(Instant.parse("2026-01-01T00:30:00Z"));
      assertThat(h.scheduled("kolkata", State.SUCCESS)).hasSize(48);
      assertThat(h.scheduled("pst", State.SUCCESS)).first().isEqualTo(Instant.parse("2026-01-01T00:32:00Z"));
      for (String job : List.of("utc", "kolkata", "pst")) {
        assertThat(h.runs(job)).allMatch(r -> r.state() == State.SUCCESS, job + " runs all succeeded");
        assertThat(h.launches(job)).as("one task per run of %s", job).isEqualTo(h.runs(job).size());
        assertThat(h.scheduled(job, State.SUCCESS)).doesNotHaveDuplicates();
      }
    }
  }

  @Test
  void dailyJobAt0230RunsOnceOnSpringForwardAndFallBackDays() {
    String ny = "America/New_York";
    try (JobsHarness h = new JobsHarness(dir, at("2026-03-06T00:00:00", ny))) {
      h.startService();
      assertThat(h.post("{\"name\":\"daily\",\"command\":\"true\",\"schedule\":\"R/2026-03-06T02:30:00/P1D\","
          + "\"scheduleTimeZone\":\"America/New_York\"}").status()).isEqualTo(204);
      h.advance(Duration.ofDays(4));
      // Mar 8 is the spring-forward day: 02:30 does not exist, the run is at 03:30 EDT, once.
      assertThat(h.scheduled("daily", State.SUCCESS)).containsExactly(at("2026-03-06T02:30:00", ny),
          at("2026-03-07T02:30:00", ny), Instant.parse("2026-03-08T07:30:00Z"), at("2026-03-09T02:30:00", ny));
      assertThat(h.launches("daily")).isEqualTo(4);
    }
    try (JobsHarness h = new JobsHarness(dir.resolve("fall"), at("2026-10-30T00:00:00", ny))) {
      h.startService();
      h.post("{\"name\":\"daily\",\"command\":\"true\",\"schedule\":\"R/2026-10-30T02:30:00/P1D\","
          + "\"scheduleTimeZone\":\"America/New_York\"}");
      // 01:30 happens twice on the fall-back day (Nov 1): the job runs at the first one only.
      h.post("{\"name\":\"early\",\"command\":\"true\",\"schedule\":\"R/2026-10-30T01:30:00/P1D\","
          + "\"scheduleTimeZone\":\"America/New_York\"}");
      h.advance(Duration.ofDays(4));
      assertThat(h.scheduled("daily", State.SUCCESS)).containsExactly(at("2026-10-30T02:30:00", ny),
          at("2026-10-31T02:30:00", ny), Instant.parse("2026-11-01T07:30:00Z"), at("2026-11-02T02:30:00", ny));
      assertThat(h.scheduled("early", State.SUCCESS)).containsExactly(at("2026-10-30T01:30:00", ny),
          at("2026-10-31T01:30:00", ny), Instant.parse("2026-11-01T05:30:00Z"), at("2026-11-02T01:30:00", ny));
    }
  }

  @Test
  void monthlyJobKeepsWallClockTimeAndMonthEnds() {
    String berlin = "Europe/Berlin";
    try (JobsHarness h = new JobsHarness(dir, at("2026-01-30T00:00:00", berlin))) {
      h.startService();
      h.post("{\"name\":\"monthly\",\"command\":\"true\",\"schedule\":\"R/2026-01-31T09:00:00/P1M\","
          + "\"scheduleTimeZone\":\"Europe/Berlin\"}");
      h.post("{\"name\":\"mixed\",\"command\":\"true\",\"schedule\":\"R3/2026-01-31T00:00:00Z/P1DT2H\"}");
      h.advance(Duration.ofDays(92));
      // Berlin moves to summer time on Mar 29: 09:00 local stays 09:00 local.
      assertThat(h.scheduled("monthly", State.SUCCESS)).containsExactly(at("2026-01-31T09:00:00", berlin),
          at("2026-02-28T09:00:00", berlin), at("2026-03-31T09:00:00", berlin), at("2026-04-30T09:00:00", berlin));
      assertThat(h.scheduled("monthly", State.SUCCESS).get(2)).isEqualTo(Instant.parse("2026-03-31T07:00:00Z"));
      // R3: three runs, a day and two hours apart, then none.
      assertThat(h.scheduled("mixed", State.SUCCESS)).containsExactly(Instant.parse("2026-01-31T00:00:00Z"),
          Instant.parse("2026-02-01T02:00:00Z"), Instant.parse("2026-02-02T04:00:00Z"));
    }
  }

  @Test
  void cronScheduleInAZone() {
    try (JobsHarness h = new JobsHarness(dir, Instant.parse("2026-01-01T00:00:00Z"))) {
      h.startService();
      assertThat(h.post("{\"name\":\"cron\",\"command\":\"true\",\"cron\":\"15 9 * * *\","
          + "\"scheduleTimeZone\":\"Asia/Tokyo\"}").status()).isEqualTo(204);
      h.advance(Duration.ofDays(3));
      // 09:15 in Tokyo is 00:15 UTC.
      assertThat(h.scheduled("cron", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:15:00Z"),
          Instant.parse("2026-01-02T00:15:00Z"), Instant.parse("2026-01-03T00:15:00Z"));
    }
  }

  @Test
  void clockJumpForwardFiresRunsWithinEpsilonOnceAndRecordsOlderOnesSkipped() {
    try (JobsHarness h = new JobsHarness(dir, Instant.parse("2026-01-01T00:00:00Z"))) {
      h.startService();
      h.post("{\"name\":\"tenmin\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT10M\","
          + "\"epsilon\":\"PT7M\"}");
      h.advance(Duration.ofMinutes(5));
      h.jump(Duration.ofHours(1));
      h.advance(Duration.ofMinutes(20));
      // Wall time went 00:05 -> 01:05. 00:10..00:50 are older than epsilon: skipped; 01:00 is within: runs once.
      assertThat(h.scheduled("tenmin", State.SKIPPED)).containsExactly(Instant.parse("2026-01-01T00:10:00Z"),
          Instant.parse("2026-01-01T00:20:00Z"), Instant.parse("2026-01-01T00:30:00Z"),
          Instant.parse("2026-01-01T00:40:00Z"), Instant.parse("2026-01-01T00:50:00Z"));
      assertThat(h.runs("tenmin", State.SKIPPED)).allMatch(r -> r.reason().contains("epsilon"));
      assertThat(h.scheduled("tenmin", State.SUCCESS)).containsExactly(Instant.parse("2026-01-01T00:00:00Z"),
          Instant.parse("2026-01-01T01:00:00Z"), Instant.parse("2026-01-01T01:10:00Z"),
          Instant.parse("2026-01-01T01:20:00Z"));
      assertThat(h.launches("tenmin")).isEqualTo(4);
    }
  }

  @Test
  void clockJumpBackwardDoesNotRerun() {
    try (JobsHarness h = new JobsHarness(dir, Instant.parse("2026-01-01T00:00:00Z"))) {
      h.startService();
      h.post("{\"name\":\"tenmin\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT10M\"}");
      h.advance(Duration.ofMinutes(65));
      h.jump(Duration.ofHours(-1));
      h.advance(Duration.ofMinutes(80));
      // Wall: 00:00 -> 01:05, back to 00:05, on to 01:25. Each of 00:00..01:20 ran once; none ran twice.
      List<Instant> expected = new ArrayList<>();
      for (int i = 0; i <= 8; i++) {
        expected.add(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(600L * i));
      }
      assertThat(h.scheduled("tenmin", State.SUCCESS)).containsExactlyElementsOf(expected);
      assertThat(h.launches("tenmin")).isEqualTo(9);
      assertThat(h.runs("tenmin", State.SKIPPED)).isEmpty();
    }
  }
}
