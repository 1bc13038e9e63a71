package dev.agora.examples.jobs;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a job runs: an ISO 8601 repeating interval ({@code R[n]/start/period}, Chronos's form) or a
 * five-field Unix cron expression, both in a time zone.
 *
 * <p>Calendar parts of a period ({@code P1M}, {@code P1D}) are added in the job's zone, so a daily
 * 02:30 job keeps its wall-clock time across DST changes: on the spring-forward day, when 02:30 does
 * not exist, it runs once at 03:30; on the fall-back day it runs once. Occurrence k is always
 * computed from the start ({@code start + k * period}), never by repeated addition, so month ends do
 * not drift (Jan 31, Feb 28, Mar 31).
 *
 * <p>Values are immutable and thread-safe.
 */
public sealed interface Schedule {

  /** The schedule as the user wrote it, with an empty start replaced by the creation time. */
  String text();

  /** The zone calendar arithmetic happens in. */
  ZoneId zone();

  /** The first occurrence strictly after {@code t}, or empty if the schedule has ended. */
  Optional<Instant> nextAfter(Instant t);

  /** The last occurrence strictly before {@code t}, or empty if none. */
  Optional<Instant> lastBefore(Instant t);

  /**
   * Parses a Chronos schedule {@code R[n]/[start]/period}.
   *
   * @param now what an empty start means
   * @throws IllegalArgumentException naming the offending part
   */
  static Schedule iso8601(String text, ZoneId zone, Instant now) {
    String[] parts = text.split("/", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("schedule '" + text + "' must have the form R[n]/[start]/period");
    }
    long repetitions;
    if (parts[0].equals("R")) {
      repetitions = -1;
    } else if (parts[0].matches("R\\d{1,18}")) {
      repetitions = Long.parseLong(parts[0].substring(1));
      if (repetitions == 0) {
        throw new IllegalArgumentException("schedule '" + text + "': R0 means the job never runs");
      }
    } else {
      throw new IllegalArgumentException("schedule '" + text + "': repetitions '" + parts[0]
          + "' must be R or R<n> with n >= 1");
    }
    ZonedDateTime start = parts[1].isEmpty() ? now.atZone(zone) : parseStart(parts[1], zone, text);
    PeriodAndDuration every = PeriodAndDuration.parse(parts[2], text);
    String canonical = parts[0] + "/" + (parts[1].isEmpty() ? start.toOffsetDateTime().toString() : parts[1])
        + "/" + parts[2];
    return new Iso(canonical, zone, repetitions, start, every.period, every.duration);
  }

  /**
   * Parses a five-field Unix cron expression ({@code minute hour day-of-month month day-of-week}).
   *
   * @throws IllegalArgumentException naming the expression
   */
  static Schedule cron(String expression, ZoneId zone) {
    try {
      var cron = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX)).parse(expression);
      cron.validate();
      return new Cron(expression, zone, ExecutionTime.forCron(cron));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cron '" + expression + "' is invalid: " + e.getMessage(), e);
    }
  }

  /**
   * Resolves a time zone id: tz database names, offsets, and the short ids Chronos accepted
   * ({@code PST}, {@code EST}, ...).
   *
   * @throws IllegalArgumentException naming an unknown zone
   */
  static ZoneId zone(String id) {
    if (id == null || id.isEmpty()) {
      return java.time.ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(id, ZoneId.SHORT_IDS);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("unknown time zone '" + id + "'", e);
    }
  }

  private static ZonedDateTime parseStart(String s, ZoneId zone, String text) {
    try {
      return OffsetDateTime.parse(s).atZoneSameInstant(zone);
    } catch (DateTimeParseException withOffset) {
      try {
        return LocalDateTime.parse(s).atZone(zone);
      } catch (DateTimeParseException local) {
        throw new IllegalArgumentException("schedule '" + text + "': start '" + s
            + "' is not a valid ISO 8601 date-time (" + withOffset.getMessage() + ")", withOffset);
      }
    }
  }

  /** An ISO 8601 period split into its calendar and exact parts. */
  record PeriodAndDuration(Period period, Duration duration) {
    private static final Pattern FORM = Pattern.compile("P([^T]*)(T.*)?");

    static PeriodAndDuration parse(String s, String context) {
      Matcher m = FORM.matcher(s);
      if (!m.matches() || s.equals("P") || s.endsWith("T")) {
        throw new IllegalArgumentException("'" + context + "': period '" + s + "' is not an ISO 8601 duration");
      }
      Period period;
      Duration duration;
      try {
        period = m.group(1).isEmpty() ? Period.ZERO : Period.parse("P" + m.group(1));
        duration = m.group(2) == null ? Duration.ZERO : Duration.parse("P" + m.group(2));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("'" + context + "': period '" + s + "' is not an ISO 8601 duration", e);
      }
      if (period.isNegative() || duration.isNegative()
          || period.getYears() < 0 || period.getMonths() < 0 || period.getDays() < 0) {
        throw new IllegalArgumentException("'" + context + "': period '" + s + "' must be positive");
      }
      if (period.isZero() && duration.isZero()) {
        throw new IllegalArgumentException("'" + context + "': period '" + s + "' must be greater than zero");
      }
      return new PeriodAndDuration(period, duration);
    }
  }

  /** {@code R[n]/start/period}. */
  record Iso(String text, ZoneId zone, long repetitions, ZonedDateTime start, Period period, Duration duration)
      implements Schedule {

    /** Occurrence {@code k} (0 is the start). */
    Instant occurrence(long k) {
      ZonedDateTime t = start;
      if (!period.isZero()) {
        t = t.plusYears(period.getYears() * k).plusMonths(period.getMonths() * k).plusDays(period.getDays() * k);
      }
      return t.toInstant().plus(duration.multipliedBy(k));
    }

    private double approximateSeconds() {
      return period.getYears() * 365.2425 * 86400 + period.getMonths() * 30.436875 * 86400
          + period.getDays() * 86400.0 + duration.toNanos() / 1e9;
    }

    @Override
    public Optional<Instant> nextAfter(Instant t) {
      Instant first = start.toInstant();
      long k = 0;
      if (!t.isBefore(first)) {
        double elapsed = Duration.between(first, t).getSeconds();
        k = Math.max(0, (long) (elapsed / approximateSeconds()) - 1);
        while (k > 0 && occurrence(k).isAfter(t)) {
          k = Math.max(0, k - 1 - k / 1000);
        }
        while (!occurrence(k).isAfter(t)) {
          k++;
        }
      }
      return repetitions >= 0 && k >= repetitions ? Optional.empty() : Optional.of(occurrence(k));
    }

    @Override
    public Optional<Instant> lastBefore(Instant t) {
      Optional<Instant> at = nextAfter(t.minusNanos(1));
      // nextAfter(t - 1ns) is the first occurrence >= t (or none); the one before it is what we want.
      Instant first = start.toInstant();
      if (!t.isAfter(first)) {
        return Optional.empty();
      }
      long k = Math.max(0, (long) (Duration.between(first, t).getSeconds() / approximateSeconds()) + 2);
      while (k > 0 && !occurrence(k).isBefore(t)) {
        k--;
      }
      if (at.isEmpty() && repetitions >= 0) {
        k = Math.min(k, repetitions - 1);
      }
      return Optional.of(occurrence(k));
    }
  }

  /** A Unix cron expression in a zone. */
  record Cron(String text, ZoneId zone, ExecutionTime execution) implements Schedule {
    @Override
    public Optional<Instant> nextAfter(Instant t) {
      return execution.nextExecution(t.atZone(zone)).map(ZonedDateTime::toInstant);
    }

    @Override
    public Optional<Instant> lastBefore(Instant t) {
      return execution.lastExecution(t.atZone(zone)).map(ZonedDateTime::toInstant);
    }
  }
}
