package dev.agora.examples.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One run of a job: the record kept per (job, scheduled time), written to the state store with
 * compare-and-set before its task is launched, so that it happens at most once.
 *
 * @param job the job's name
 * @param scheduled the time the run was due (for a dependent job: its cycle; for a manual run: the request)
 * @param cycle the cycle this run belongs to; children of the job run for the same cycle
 * @param trigger why it ran
 * @param state where it is
 * @param attempt 1 for the first try, then retries
 * @param taskId the task of the current attempt, once there is one
 * @param started when the current attempt was launched
 * @param ended when the run ended
 * @param reason why it ended (or was skipped); empty while it goes on
 * @param epoch the leader epoch that wrote the record
 * @param arguments extra arguments of a manual run
 */
public record JobRun(String job, Instant scheduled, Instant cycle, Trigger trigger, State state, int attempt,
    Optional<String> taskId, Optional<Instant> started, Optional<Instant> ended, String reason, long epoch,
    List<String> arguments) {

  /** Why a run happened. */
  public enum Trigger { SCHEDULE, DEPENDENCY, MANUAL }

  /** A run's state. */
  public enum State {
    /** Waiting for an offer (or for a retry's backoff). */
    PENDING,
    /** Its task was launched. */
    RUNNING,
    /** Its task finished, or it was marked successful. */
    SUCCESS,
    /** Its last attempt failed, was killed, or ran past maxCompletionTime. */
    FAILED,
    /** It never started: late past epsilon, overlapping, missed while down, or not runnable here. */
    SKIPPED;

    /** Whether the run is over. */
    public boolean isTerminal() {
      return this == SUCCESS || this == FAILED || this == SKIPPED;
    }
  }

  public JobRun {
    arguments = List.copyOf(arguments);
  }

  /** The store key suffix of this run: unique per (job, scheduled time, trigger). */
  String key() {
    String millis = String.format("%020d", scheduled.toEpochMilli() + 1_000_000_000_000_000L);
    return trigger == Trigger.MANUAL ? millis + "-manual" : millis;
  }

  /** How long the run took, if it ran and ended. */
  public Optional<Duration> duration() {
    return started.isPresent() && ended.isPresent() && state != State.SKIPPED
        ? Optional.of(Duration.between(started.get(), ended.get())) : Optional.empty();
  }

  JobRun with(State s, int a, Optional<String> task, Optional<Instant> start, Optional<Instant> end, String why,
      long e) {
    return new JobRun(job, scheduled, cycle, trigger, s, a, task, start, end, why, e, arguments);
  }

  /** This run as JSON. */
  public ObjectNode toJson() {
    ObjectNode o = JobJson.MAPPER.createObjectNode();
    o.put("job", job);
    o.put("scheduled", scheduled.toString());
    o.put("cycle", cycle.toString());
    o.put("trigger", trigger.name());
    o.put("state", state.name());
    o.put("attempt", attempt);
    o.put("taskId", taskId.orElse(""));
    o.put("started", started.map(Instant::toString).orElse(""));
    o.put("ended", ended.map(Instant::toString).orElse(""));
    duration().ifPresent(d -> o.put("durationSeconds", d.toMillis() / 1000.0));
    o.put("reason", reason);
    o.put("epoch", epoch);
    var args = o.putArray("arguments");
    arguments.forEach(args::add);
    return o;
  }

  static JobRun fromJson(JsonNode o) {
    List<String> args = new ArrayList<>();
    o.path("arguments").forEach(a -> args.add(a.asText()));
    return new JobRun(o.get("job").asText(), Instant.parse(o.get("scheduled").asText()),
        Instant.parse(o.get("cycle").asText()), Trigger.valueOf(o.get("trigger").asText()),
        State.valueOf(o.get("state").asText()), o.get("attempt").asInt(), opt(o, "taskId"),
        opt(o, "started").map(Instant::parse), opt(o, "ended").map(Instant::parse), o.path("reason").asText(""),
        o.path("epoch").asLong(), args);
  }

  private static Optional<String> opt(JsonNode o, String f) {
    String s = o.path(f).asText("");
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
