package dev.agora.examples.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agora.examples.jobs.JobRun.State;
import dev.agora.examples.store.StoreWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Chronos's REST API ({@code /v1/scheduler/...}) over the {@link JobsEngine}: routing, JSON in and
 * out, status codes. Bad input is a 400 with the reason; an unknown job a 404; a follower answers
 * 503 naming the leader, if known; a state store that refused or failed a write, 503 naming the job
 * and the cause.
 *
 * <p>Calls that change something (every method but GET) answer once what they changed is written
 * (the engine's writes go to the store off the loop), and are taken one at a time, in the order
 * they came: a call waits until the one before it answered, so a DELETE sent after a POST of the
 * same job finds it. Reads answer at once, from memory, while a change is being written.
 *
 * <p>Concurrency: {@link #handle} runs on the engine's loop, and so do the answers' completions.
 */
final class JobsApi {
  static final String PREFIX = "/v1/scheduler";
  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";

  private final JobsEngine engine;
  private final Supplier<String> leaderAddress;
  /** The last change call taken: the next one starts once it answered. */
  private CompletableFuture<?> changes = CompletableFuture.completedFuture(null);

  JobsApi(JobsEngine engine, Supplier<String> leaderAddress) {
    this.engine = engine;
    this.leaderAddress = leaderAddress;
  }

  /** Answers one call; completes on the loop. */
  CompletableFuture<JobsService.Response> handle(String method, String rawPath, String body) {
    if (method.equals("GET")) {
      return handleNow(method, rawPath, body);
    }
    CompletableFuture<JobsService.Response> answer = changes.handle((x, e) -> null)
        .thenCompose(x -> handleNow(method, rawPath, body));
    changes = answer;
    return answer;
  }

  private CompletableFuture<JobsService.Response> handleNow(String method, String rawPath, String body) {
    CompletableFuture<JobsService.Response> answer;
    try {
      answer = answer(method, rawPath, body);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.exceptionally(JobsApi::error);
  }

  private static JobsService.Response error(Throwable thrown) {
    Throwable e = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    if (e instanceof NoSuchElementException) {
      return text(404, e.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return text(400, e.getMessage());
    }
    if (e instanceof StoreWriter.StoreFailure) {
      return text(503, e.getMessage());
    }
    if (e instanceof RuntimeException r) {
      throw r;
    }
    throw new IllegalStateException(e);
  }

  private CompletableFuture<JobsService.Response> answer(String method, String rawPath, String body) {
    String path = rawPath;
    String query = "";
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      path = rawPath.substring(0, q);
      query = rawPath.substring(q + 1);
    }
    Map<String, String> params = params(query);
    if (!path.startsWith(PREFIX + "/")) {
      return done(404, "no such resource: " + path + " (the API is under " + PREFIX + ")");
    }
    List<String> parts = new ArrayList<>(Arrays.asList(path.substring(PREFIX.length() + 1).split("/")));
    parts.replaceAll(p -> URLDecoder.decode(p, StandardCharsets.UTF_8));
    if (parts.equals(List.of("leader")) && method.equals("GET")) {
      return CompletableFuture.completedFuture(json(200, JobJson.MAPPER.createObjectNode()
          .put("leader", leaderAddress.get()).toString()));
    }
    if (!engine.isLeader()) {
      String leader = leaderAddress.get();
      return done(503, leader.isEmpty() ? "not the leader, and no leader is known; retry shortly"
          : "not the leader; the leader is " + leader);
    }
    CompletableFuture<JobsService.Response> changed = change(method, parts, params, body);
    return changed != null ? changed : CompletableFuture.completedFuture(route(method, parts, params, body));
  }

  private static CompletableFuture<JobsService.Response> done(int status, String text) {
    return CompletableFuture.completedFuture(text(status, text));
  }

  /** The calls that write: their answers complete once the write is done; null for another call. */
  private CompletableFuture<JobsService.Response> change(String method, List<String> p, Map<String, String> params,
      String body) {
    String head = p.get(0);
    int n = p.size();
    switch (method + " " + head + (n > 2 ? "/" + p.get(1) : "")) {
      case "POST iso8601", "POST dependency" -> {
        if (n != 1) {
          return null;
        }
        java.time.Instant now = engine.now();
        JobDefinition def = JobJson.parse(body, now);
        if (head.equals("iso8601") && def.isDependent()) {
          throw new IllegalArgumentException("job '" + def.name() + "' has parents: POST it to "
              + PREFIX + "/dependency");
        }
        if (head.equals("dependency") && !def.isDependent()) {
          throw new IllegalArgumentException("job '" + def.name() + "' has no parents: POST it to "
              + PREFIX + "/iso8601");
        }
        return engine.putJob(def, now).thenApply(x -> def.container().isPresent()
            ? json(200, JobJson.MAPPER.createObjectNode().put("warning", "field 'container' is not supported"
                + " here: job '" + def.name() + "' is stored and reported, but its runs are recorded skipped")
                .toString())
            : new JobsService.Response(204, TEXT, ""));
      }
      case "DELETE job" -> {
        return n == 2 ? engine.deleteJob(p.get(1)).thenApply(x -> new JobsService.Response(204, TEXT, "")) : null;
      }
      case "PUT job" -> {
        if (n != 2) {
          return null;
        }
        String args = params.getOrDefault("arguments", "").trim();
        List<String> list = args.isEmpty() ? List.of() : List.of(args.split("\\s+"));
        String name = p.get(1);
        return engine.runNow(name, list).thenApply(run -> {
          ObjectNode o = JobJson.MAPPER.createObjectNode().put("started", run.isPresent());
          run.ifPresent(r -> o.set("run", r.toJson()));
          if (run.isEmpty()) {
            List<JobRun> h = engine.history(name);
            o.put("reason", h.isEmpty() ? "" : h.get(h.size() - 1).reason());
          }
          return json(200, o.toString());
        });
      }
      case "PUT job/success" -> {
        if (n != 3) {
          return null;
        }
        return engine.markSuccess(p.get(2)).thenApply(r -> json(200, r.toJson().toString()));
      }
      case "DELETE task/kill" -> {
        if (n != 3) {
          return null;
        }
        return engine.killRuns(p.get(2)).thenApply(killed -> json(200, JobJson.MAPPER.createObjectNode()
            .put("killed", killed).toString()));
      }
      default -> {
        return null;
      }
    }
  }

  private JobsService.Response route(String method, List<String> p, Map<String, String> params, String body) {
    String head = p.get(0);
    int n = p.size();
    boolean nameSecond = n == 2 && (head.equals("job") || head.equals("stats"));
    switch (method + " " + head + (n > 1 && !nameSecond ? "/" + p.get(1) : "")) {
      case "GET jobs" -> {
        if (n != 1) {
          break;
        }
        ArrayNode a = JobJson.MAPPER.createArrayNode();
        engine.jobs.values().forEach(j -> a.add(JobJson.write(j, engine.states.get(j.name()).stats)));
        return json(200, a.toString());
      }
      case "GET jobs/summary" -> {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("jobs");
        for (JobDefinition j : engine.jobs.values()) {
          ObjectNode s = a.addObject().put("name", j.name()).put("status", engine.states.get(j.name()).lastStatus())
              .put("state", engine.states.get(j.name()).activity()).put("schedule", j.schedule().map(Schedule::text).orElse(""))
              .put("disabled", j.disabled());
          ArrayNode ps = s.putArray("parents");
          j.parents().forEach(ps::add);
        }
        return json(200, o.toString());
      }
      case "GET jobs/search" -> {
        String name = params.getOrDefault("name", "").toLowerCase(Locale.ROOT);
        String command = params.getOrDefault("command", "").toLowerCase(Locale.ROOT);
        String any = params.getOrDefault("any", "").toLowerCase(Locale.ROOT);
        ArrayNode a = JobJson.MAPPER.createArrayNode();
        for (JobDefinition j : engine.jobs.values()) {
          String jn = j.name().toLowerCase(Locale.ROOT);
          String jc = j.command().toLowerCase(Locale.ROOT);
          boolean anyHit = any.isEmpty() || jn.contains(any) || jc.contains(any)
              || j.description().toLowerCase(Locale.ROOT).contains(any) || j.owner().toLowerCase(Locale.ROOT).contains(any);
          if (jn.contains(name) && jc.contains(command) && anyHit) {
            a.add(JobJson.write(j, engine.states.get(j.name()).stats));
          }
        }
        return json(200, a.toString());
      }
      case "GET job/stat" -> {
        if (n == 3) {
          return json(200, stat(p.get(2)).toString());
        }
      }
      case "GET job/history" -> {
        if (n == 3) {
          ArrayNode a = JobJson.MAPPER.createArrayNode();
          engine.history(p.get(2)).forEach(r -> a.add(r.toJson()));
          return json(200, a.toString());
        }
      }
      case "GET stats" -> {
        if (n == 2) {
          double q = percentile(p.get(1));
          ArrayNode a = JobJson.MAPPER.createArrayNode();
          for (String name : engine.jobs.keySet()) {
            List<Double> d = durations(name);
            if (!d.isEmpty()) {
              a.addObject().put("jobNameLabel", name).put("time", quantile(d, q));
            }
          }
          return json(200, a.toString());
        }
      }
      case "GET graph/dot" -> {
        StringBuilder sb = new StringBuilder("digraph G {\n");
        for (JobDefinition j : engine.jobs.values()) {
          sb.append("  \"").append(j.name()).append("\" [status=\"").append(engine.states.get(j.name()).lastStatus())
              .append("\"];\n");
          for (String parent : j.parents()) {
            sb.append("  \"").append(parent).append("\" -> \"").append(j.name()).append("\";\n");
          }
        }
        return new JobsService.Response(200, TEXT, sb.append("}\n").toString());
      }
      case "GET graph/csv" -> {
        StringBuilder sb = new StringBuilder();
        for (JobDefinition j : engine.jobs.values()) {
          sb.append("node,").append(j.name()).append(',').append(engine.states.get(j.name()).lastStatus()).append(',')
              .append(engine.states.get(j.name()).activity()).append('\n');
        }
        for (JobDefinition j : engine.jobs.values()) {
          for (String parent : j.parents()) {
            sb.append("link,").append(parent).append(',').append(j.name()).append('\n');
          }
        }
        return new JobsService.Response(200, "text/csv; charset=utf-8", sb.toString());
      }
      default -> {
        // falls through to 404
      }
    }
    return text(404, "no such resource: " + method + " " + PREFIX + "/" + String.join("/", p));
  }

  private ObjectNode stat(String name) {
    List<Double> d = durations(name);
    ObjectNode o = JobJson.MAPPER.createObjectNode();
    ObjectNode h = o.putObject("histogram");
    h.put("count", d.size());
    if (!d.isEmpty()) {
      h.put("mean", d.stream().mapToDouble(Double::doubleValue).average().orElse(0));
      h.put("median", quantile(d, 0.5));
      h.put("75thPercentile", quantile(d, 0.75));
      h.put("95thPercentile", quantile(d, 0.95));
      h.put("98thPercentile", quantile(d, 0.98));
      h.put("99thPercentile", quantile(d, 0.99));
    }
    ArrayNode runs = o.putArray("taskStatHistory");
    engine.history(name).forEach(r -> runs.add(r.toJson()));
    return o;
  }

  /** Durations in seconds of the job's runs that ran and ended, sorted. */
  private List<Double> durations(String name) {
    return engine.history(name).stream()
        .filter(r -> r.state() == State.SUCCESS || r.state() == State.FAILED)
        .flatMap(r -> r.duration().stream()).map(d -> d.toMillis() / 1000.0).sorted().toList();
  }

  /** Nearest-rank quantile of sorted values. */
  static double quantile(List<Double> sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** Chronos's percentile names ({@code median}, {@code 75thPercentile}, ...) or a number (0-100]. */
  private static double percentile(String s) {
    switch (s) {
      case "median", "50thPercentile" -> {
        return 0.5;
      }
      case "mean" -> throw new IllegalArgumentException("percentile 'mean' is not a percentile; use median");
      default -> {
        String num = s.endsWith("thPercentile") ? s.substring(0, s.length() - "thPercentile".length()) : s;
        try {
          double v = Double.parseDouble(num);
          if (v > 0 && v <= 100) {
            return v / 100;
          }
        } catch (NumberFormatException e) {
          // reported below
        }
        throw new IllegalArgumentException("percentile '" + s + "' must be median, <n>thPercentile or a number in"
            + " (0, 100]");
      }
    }
  }

  private static Map<String, String> params(String query) {
    Map<String, String> m = new HashMap<>();
    for (String kv : query.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  private static JobsService.Response json(int status, String body) {
    return new JobsService.Response(status, JSON, body);
  }

  private static JobsService.Response text(int status, String body) {
    return new JobsService.Response(status, TEXT, body);
  }

}
