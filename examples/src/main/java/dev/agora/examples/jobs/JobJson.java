package dev.agora.examples.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.examples.jobs.JobDefinition.Constraint;
import dev.agora.examples.jobs.JobDefinition.EnvironmentVariable;
import dev.agora.examples.jobs.JobDefinition.Operator;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chronos job JSON to and from {@link JobDefinition}. Lenient where Chronos was: numbers and
 * booleans may come as strings ({@code "cpus": "0.5"}), unknown fields ({@code async},
 * {@code highPriority}, {@code fetch}, ...) are ignored, and the read-only statistics
 * ({@code successCount}, {@code lastSuccess}, ...) are accepted and ignored. Strict where a value
 * would be wrong: a bad name, schedule, zone or period is an {@link IllegalArgumentException}
 * naming the field and value.
 *
 * <p>Defaults are Chronos's: shell true, retries 2, epsilon PT60S, concurrent false, cpus 0.1,
 * mem 128, disk 256.
 *
 * <p>Thread-safe (stateless).
 */
public final class JobJson {
  /** The mapper for job JSON; nesting and string length bounded, since input comes from the network. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(32).maxStringLength(1 << 20).build());
  }

  private JobJson() {}

  /** Parses JSON text; see {@link #parse(JsonNode, Instant)}. */
  public static JobDefinition parse(String json, Instant now) {
    try {
      return parse(MAPPER.readTree(json), now);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("job JSON is malformed: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses one Chronos job.
   *
   * @param now the creation time, which an empty schedule start means
   * @throws IllegalArgumentException naming the offending field and value
   */
  public static JobDefinition parse(JsonNode n, Instant now) {
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("a job must be a JSON object");
    }
    String name = text(n, "name", null);
    if (name == null || !JobDefinition.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("job name '" + name + "' must match [\\w.-]+");
    }
    ZoneId zone = Schedule.zone(text(n, "scheduleTimeZone", ""));
    Optional<Schedule> schedule = Optional.empty();
    String iso = text(n, "schedule", "");
    String cron = text(n, "cron", "");
    if (!iso.isEmpty() && !cron.isEmpty()) {
      throw new IllegalArgumentException("job '" + name + "' has both schedule and cron; give one");
    }
    if (!iso.isEmpty()) {
      schedule = Optional.of(Schedule.iso8601(iso, zone, now));
    } else if (!cron.isEmpty()) {
      schedule = Optional.of(Schedule.cron(cron, zone));
    }
    List<String> parents = strings(n, "parents");
    List<EnvironmentVariable> env = new ArrayList<>();
    JsonNode envNode = n.path("environmentVariables");
    if (envNode.isArray()) {
      for (JsonNode e : envNode) {
        env.add(new EnvironmentVariable(e.path("name").asText(null), e.path("value").asText(null)));
      }
    }
    List<Constraint> constraints = new ArrayList<>();
    JsonNode cNode = n.path("constraints");
    if (cNode.isArray()) {
      for (JsonNode c : cNode) {
        if (!c.isArray() || c.size() != 3) {
          throw new IllegalArgumentException("job '" + name + "' constraint " + c
              + " must be [attribute, EQUALS|LIKE|UNLIKE, value]");
        }
        Operator op;
        try {
          op = Operator.valueOf(c.get(1).asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("job '" + name + "' constraint operator '" + c.get(1).asText()
              + "' must be EQUALS, LIKE or UNLIKE", e);
        }
        constraints.add(new Constraint(c.get(0).asText(), op, c.get(2).asText()));
      }
    }
    Optional<Duration> maxCompletion = Optional.empty();
    JsonNode mct = n.path("maxCompletionTime");
    if (!mct.isMissingNode() && !mct.isNull()) {
      if (mct.isTextual() && mct.asText().startsWith("P")) {
        maxCompletion = Optional.of(duration(name, "maxCompletionTime", mct.asText()));
      } else {
        long ms = (long) number(n, name, "maxCompletionTime", 0);
        maxCompletion = ms > 0 ? Optional.of(Duration.ofMillis(ms)) : Optional.empty();
      }
    }
    JsonNode container = n.path("container");
    String user = text(n, "runAsUser", "");
    try {
      return new JobDefinition(name, text(n, "command", ""), strings(n, "arguments"),
          bool(n, name, "shell", true), schedule, parents,
          duration(name, "epsilon", text(n, "epsilon", "PT60S")),
          (int) number(n, name, "retries", 2), bool(n, name, "concurrent", false), bool(n, name, "disabled", false),
          number(n, name, "cpus", 0.1), number(n, name, "mem", 128), number(n, name, "disk", 256), env, constraints,
          text(n, "owner", ""), text(n, "ownerName", ""), text(n, "description", ""), maxCompletion,
          user.isEmpty() ? Optional.empty() : Optional.of(user),
          container.isObject() ? Optional.of(container.toString()) : Optional.empty());
    } catch (IllegalArgumentException e) {
      throw e;
    }
  }

  private static String text(JsonNode n, String field, String dflt) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  private static List<String> strings(JsonNode n, String field) {
    JsonNode v = n.get(field);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw new IllegalArgumentException("'" + field + "' must be an array but was " + v);
    }
    v.forEach(e -> out.add(e.asText()));
    return out;
  }

  private static double number(JsonNode n, String job, String field, double dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull() || v.isTextual() && v.asText().isEmpty()) {
      return dflt;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    try {
      return Double.parseDouble(v.asText().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("job '" + job + "' " + field + " must be a number but was '"
          + v.asText() + "'", e);
    }
  }

  private static boolean bool(JsonNode n, String job, String field, boolean dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    String s = v.asText().trim().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException("job '" + job + "' " + field + " must be true or false but was '"
        + v.asText() + "'");
  }

  private static Duration duration(String job, String field, String s) {
    try {
      Schedule.PeriodAndDuration p = Schedule.PeriodAndDuration.parse(s, "job " + job + " " + field);
      if (p.period().getMonths() != 0 || p.period().getYears() != 0) {
        throw new IllegalArgumentException("job '" + job + "' " + field + " '" + s + "' must not use months or years");
      }
      return p.duration().plusDays(p.period().getDays());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("job '" + job + "' " + field + " '" + s + "' is not an ISO 8601 duration", e);
    }
  }

  /** The job as Chronos JSON, with its statistics. */
  public static ObjectNode write(JobDefinition job, JobStats stats) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("name", job.name());
    o.put("command", job.command());
    ArrayNode args = o.putArray("arguments");
    job.arguments().forEach(args::add);
    o.put("shell", job.shell());
    job.schedule().ifPresent(s -> {
      if (s instanceof Schedule.Cron) {
        o.put("cron", s.text());
      } else {
        o.put("schedule", s.text());
      }
      o.put("scheduleTimeZone", s.zone().getId());
    });
    if (job.isDependent()) {
      ArrayNode p = o.putArray("parents");
      job.parents().forEach(p::add);
    }
    o.put("epsilon", job.epsilon().toString());
    o.put("retries", job.retries());
    o.put("concurrent", job.concurrent());
    o.put("disabled", job.disabled());
    o.put("cpus", job.cpus());
    o.put("mem", job.mem());
    o.put("disk", job.disk());
    ArrayNode env = o.putArray("environmentVariables");
    job.environmentVariables().forEach(e -> env.addObject().put("name", e.name()).put("value", e.value()));
    ArrayNode cons = o.putArray("constraints");
    job.constraints().forEach(c -> cons.addArray().add(c.attribute()).add(c.operator().name()).add(c.value()));
    o.put("owner", job.owner());
    o.put("ownerName", job.ownerName());
    o.put("description", job.description());
    o.put("maxCompletionTime", job.maxCompletionTime().map(Duration::toMillis).orElse(0L));
    o.put("runAsUser", job.runAsUser().orElse(""));
    job.container().ifPresent(c -> {
      try {
        o.set("container", MAPPER.readTree(c));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("stored container JSON is malformed", e);
      }
    });
    o.put("successCount", stats.successCount());
    o.put("errorCount", stats.errorCount());
    o.put("lastSuccess", stats.lastSuccess().map(Instant::toString).orElse(""));
    o.put("lastError", stats.lastError().map(Instant::toString).orElse(""));
    o.put("errorsSinceLastSuccess", stats.errorsSinceLastSuccess());
    return o;
  }

  /** The JSON form used to store a definition; parses back to an equal job with {@link #parse}. */
  static String store(JobDefinition job) {
    return write(job, JobStats.NONE).toString();
  }
}
