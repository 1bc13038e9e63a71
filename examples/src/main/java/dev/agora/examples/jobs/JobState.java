package dev.agora.examples.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.core.model.AgentId;
import dev.agora.core.runtime.Cancellable;
import dev.agora.examples.jobs.JobRun.State;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * A job's state beside its definition: schedule cursor, dependency cycles, counters, its last runs
 * and those not over, and the stored form of the scalar part ({@code jobs/state/<name>}; the runs
 * are stored one key each).
 *
 * <p>Concurrency: confined to the engine's loop (a copy made there may be read elsewhere).
 */
final class JobState {
  Instant created;
  Instant cursor;
  JobStats stats = JobStats.NONE;
  Optional<Instant> lastSuccessCycle = Optional.empty();
  Instant lastTriggeredCycle;
  final LinkedHashMap<String, JobRun> history = new LinkedHashMap<>();
  final List<Active> active = new ArrayList<>();

  /** A copy of the scalar part, without runs (null: a new job's, all unset). */
  static JobState copyOf(JobState s) {
    JobState c = new JobState();
    if (s != null) {
      c.created = s.created;
      c.cursor = s.cursor;
      c.stats = s.stats;
      c.lastSuccessCycle = s.lastSuccessCycle;
      c.lastTriggeredCycle = s.lastTriggeredCycle;
    }
    return c;
  }

  /** "running", "queued" or "idle". */
  String activity() {
    if (active.stream().anyMatch(a -> a.run.state() == State.RUNNING)) {
      return "running";
    }
    return active.isEmpty() ? "idle" : "queued";
  }

  /** "success", "failure" or "fresh", from the last run that ended. */
  String lastStatus() {
    return history.values().stream()
        .filter(r -> r.state() == State.SUCCESS || r.state() == State.FAILED)
        .reduce((a, b) -> b).map(r -> r.state() == State.SUCCESS ? "success" : "failure").orElse("fresh");
  }

  /** The stored form of the scalar part, stamped with the writer's epoch. */
  static String json(JobState s, long epoch) {
    ObjectNode o = JobJson.MAPPER.createObjectNode();
    o.put("created", s.created.toString());
    o.put("cursor", s.cursor.toString());
    o.put("lastTriggeredCycle", s.lastTriggeredCycle.toString());
    o.put("lastSuccessCycle", s.lastSuccessCycle.map(Instant::toString).orElse(""));
    o.put("successCount", s.stats.successCount());
    o.put("errorCount", s.stats.errorCount());
    o.put("lastSuccess", s.stats.lastSuccess().map(Instant::toString).orElse(""));
    o.put("lastError", s.stats.lastError().map(Instant::toString).orElse(""));
    o.put("errorsSinceLastSuccess", s.stats.errorsSinceLastSuccess());
    o.put("epoch", epoch);
    return o.toString();
  }

  /** Sets the scalar part from its stored form. */
  void read(JsonNode o) {
    created = Instant.parse(o.get("created").asText());
    cursor = Instant.parse(o.get("cursor").asText());
    lastTriggeredCycle = Instant.parse(o.get("lastTriggeredCycle").asText());
    lastSuccessCycle = instant(o, "lastSuccessCycle");
    stats = new JobStats(o.path("successCount").asLong(), o.path("errorCount").asLong(), instant(o, "lastSuccess"),
        instant(o, "lastError"), o.path("errorsSinceLastSuccess").asLong());
  }

  private static Optional<Instant> instant(JsonNode o, String f) {
    String v = o.path(f).asText("");
    return v.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(v));
  }

  /** A run of the job not yet over. */
  static final class Active {
    JobRun run;
    Instant deadline;
    Optional<AgentId> agent = Optional.empty();
    String killReason;
    boolean noRetry;
    /** Queued by an earlier leader (recovered from the store). */
    boolean inherited;
    /** Its task was handed to the master (or an earlier leader launched it). */
    boolean launched;
    Cancellable timer;

    Active(JobRun run, Instant deadline) {
      this.run = run;
      this.deadline = deadline;
    }
  }
}
