package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Schedules on their own: occurrences, DST, far-away starts, bounds, parsing. */
class ScheduleTest {
  private static final ZoneId NY = ZoneId.of("America/New_York");

  private static List<Instant> occurrences(Schedule s, Instant from, int n) {
    List<Instant> out = new ArrayList<>();
    Instant t = from;
    for (int i = 0; i < n; i++) {
      Optional<Instant> next = s.nextAfter(t);
      if (next.isEmpty()) {
        break;
      }
      out.add(next.get());
      t = next.get();
    }
    return out;
  }

  private static Instant ny(String local) {
    return LocalDateTime.parse(local).atZone(NY).toInstant();
  }

  @Test
  void cronAt0230RunsOnceOnTheSpringForwardDay() {
    Schedule s = Schedule.cron("30 2 * * *", NY);
    List<Instant> runs = occurrences(s, ny("2026-03-07T00:00:00"), 3);
    // Mar 8 has no 02:30 in New York; the run happens once that day (03:30 EDT) or the day is skipped,
    // but never twice, and the days around it keep 02:30.
    assertThat(runs.get(0)).isEqualTo(ny("2026-03-07T02:30:00"));
    assertThat(runs).doesNotHaveDuplicates();
    assertThat(runs.get(runs.size() - 1)).isIn(ny("2026-03-09T02:30:00"), ny("2026-03-10T02:30:00"));
  }

  @Test
  void cronAt0130RunsOnceOnTheFallBackDay() {
    Schedule s = Schedule.cron("30 1 * * *", NY);
    List<Instant> runs = occurrences(s, ny("2026-10-31T00:00:00"), 3);
    assertThat(runs).containsExactly(ny("2026-10-31T01:30:00"), Instant.parse("2026-11-01T05:30:00Z"),
        ny("2026-11-02T01:30:00"));
  }

  @Test
  void farAwayStartIsFoundQuickly() {
    Schedule s = Schedule.iso8601("R/2012-10-01T05:52:00Z/PT2S", ZoneOffset.UTC, Instant.EPOCH);
    long t0 = System.nanoTime();
    Instant next = s.nextAfter(Instant.parse("2026-01-01T00:00:01Z")).orElseThrow();
    assertThat(System.nanoTime() - t0).isLessThan(1_000_000_000L);
    assertThat(next).isEqualTo(Instant.parse("2026-01-01T00:00:02Z"));
    assertThat(s.lastBefore(Instant.parse("2026-01-01T00:00:02Z"))).contains(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void boundedRepetitionsEnd() {
    Schedule s = Schedule.iso8601("R10/2012-10-01T05:52:00Z/PT2S", ZoneOffset.UTC, Instant.EPOCH);
    assertThat(s.nextAfter(Instant.parse("2012-10-01T05:52:17Z"))).contains(Instant.parse("2012-10-01T05:52:18Z"));
    assertThat(s.nextAfter(Instant.parse("2012-10-01T05:52:18Z"))).isEmpty();
    assertThat(s.lastBefore(Instant.parse("2026-01-01T00:00:00Z"))).contains(Instant.parse("2012-10-01T05:52:18Z"));
  }

  @Test
  void emptyStartMeansNow() {
    Instant now = Instant.parse("2026-05-05T10:00:00Z");
    Schedule s = Schedule.iso8601("R//PT1H", ZoneOffset.UTC, now);
    assertThat(s.nextAfter(now.minusMillis(1))).contains(now);
    assertThat(s.text()).isEqualTo("R/2026-05-05T10:00Z/PT1H");
  }

  @Test
  void startWithoutOffsetIsInTheJobZone() {
    Schedule s = Schedule.iso8601("R/2026-07-01T09:00:00/P1D", NY, Instant.EPOCH);
    assertThat(s.nextAfter(Instant.EPOCH)).contains(Instant.parse("2026-07-01T13:00:00Z"));
  }

  @Test
  void badSchedulesNameTheProblem() {
    assertThatThrownBy(() -> Schedule.iso8601("R0/2026-01-01T00:00:00Z/PT1H", NY, Instant.EPOCH))
        .hasMessageContaining("R0");
    assertThatThrownBy(() -> Schedule.iso8601("R//P-1D", NY, Instant.EPOCH)).hasMessageContaining("positive");
    assertThatThrownBy(() -> Schedule.iso8601("R//PT", NY, Instant.EPOCH)).hasMessageContaining("PT");
    assertThatThrownBy(() -> Schedule.zone("Nowhere/Special")).hasMessageContaining("Nowhere/Special");
    assertThat(Schedule.zone("PST")).isEqualTo(ZoneId.of("America/Los_Angeles"));
  }
}
