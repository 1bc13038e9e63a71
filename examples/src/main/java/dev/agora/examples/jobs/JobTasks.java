package dev.agora.examples.jobs;

import dev.agora.core.model.AttributeValue;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.examples.jobs.JobRun.Trigger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a job's run asks of the cluster, as pure functions of its definition: the resources and
 * constraints an offer must meet, the task id and command of each attempt, and the dependency
 * check a new definition must pass (no cycle). Stateless.
 */
final class JobTasks {
  private JobTasks() {}

  /** The resources one run of the job takes. */
  static Resources need(JobDefinition job) {
    Resources.Builder b = Resources.builder().scalar("cpus", job.cpus()).scalar("mem", job.mem());
    if (job.disk() > 0) {
      b.scalar("disk", job.disk());
    }
    return b.build();
  }

  /** Whether the offer's agent meets every constraint of the job. */
  static boolean matches(JobDefinition job, Offer offer) {
    return job.constraints().stream().allMatch(c -> c.matches(attribute(offer, c.attribute())));
  }

  private static String attribute(Offer offer, String name) {
    if (name.equals("hostname")) {
      return offer.hostname();
    }
    AttributeValue v = offer.attributes().get(name);
    return v == null ? null : v.asText();
  }

  /** The task id of the run's attempt: {@code ct:<scheduled millis>[m]:<attempt>:<job>}. */
  static String taskId(JobRun run, int attempt) {
    return "ct:" + run.scheduled().toEpochMilli() + (run.trigger() == Trigger.MANUAL ? "m" : "") + ":"
        + attempt + ":" + run.job();
  }

  /** The command of the run's task: the job's, with the run's arguments and the Chronos environment. */
  static CommandInfo command(JobDefinition job, JobRun run) {
    List<String> args = new ArrayList<>(job.arguments());
    args.addAll(run.arguments());
    Map<String, String> env = new LinkedHashMap<>();
    job.environmentVariables().forEach(e -> env.put(e.name(), e.value()));
    env.put("CHRONOS_JOB_NAME", job.name());
    env.put("AGORA_JOB_SCHEDULED_TIME", run.scheduled().toString());
    if (job.shell()) {
      String line = args.isEmpty() ? job.command() : job.command() + " " + String.join(" ", args);
      return new CommandInfo(true, line, List.of(), env, job.runAsUser());
    }
    List<String> argv = new ArrayList<>();
    argv.add(job.command());
    argv.addAll(args);
    return new CommandInfo(false, job.command(), argv, env, job.runAsUser());
  }

  /** The path parent... -> def.name -> ... that would close a cycle, or empty. */
  static List<String> cyclePath(Map<String, JobDefinition> jobs, JobDefinition def) {
    for (String p : def.parents()) {
      List<String> path = new ArrayList<>();
      if (reaches(jobs, p, def.name(), path, new HashSet<>())) {
        List<String> cycle = new ArrayList<>();
        cycle.add(def.name());
        for (int i = path.size() - 1; i >= 0; i--) {
          cycle.add(path.get(i));
        }
        return cycle;
      }
    }
    return List.of();
  }

  /** Whether {@code target} is {@code from} or one of its ancestors; fills the path from target to from. */
  private static boolean reaches(Map<String, JobDefinition> jobs, String from, String target, List<String> path,
      Set<String> seen) {
    if (from.equals(target)) {
      path.add(from);
      return true;
    }
    if (!seen.add(from) || !jobs.containsKey(from)) {
      return false;
    }
    for (String p : jobs.get(from).parents()) {
      if (reaches(jobs, p, target, path, seen)) {
        path.add(from);
        return true;
      }
    }
    return false;
  }
}
