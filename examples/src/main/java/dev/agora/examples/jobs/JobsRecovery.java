package dev.agora.examples.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.FrameworkId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a new jobs leader reads back from the store, read on the store's thread (through {@link
 * dev.agora.examples.store.StoreWriter#submit}); pure functions of what the store holds.
 */
final class JobsRecovery {
  private JobsRecovery() {}

  /** What a new leader reads back: definitions, each job's stored state, its last runs (oldest first). */
  record Recovered(boolean epochBegun, long storeEpoch, Map<String, JobDefinition> jobs, Map<String, JsonNode> states,
      Map<String, List<JobRun>> runs, Optional<FrameworkId> frameworkId) {}

  /**
   * Begins {@code epoch} and reads the jobs state back: a pure function of what the store holds
   * (runs on io; touches no engine field).
   *
   * @param now what an empty schedule start in a stored definition means
   */
  static Recovered recover(StateStore store, long epoch, Instant now, int historyLimit) {
    boolean begun = store.beginEpoch(epoch);
    Map<String, JobDefinition> jobs = new TreeMap<>();
    for (String key : store.keys(JobsEngine.DEFINITIONS)) {
      store.get(key).ifPresent(v -> {
        JobDefinition d = JobJson.parse(new String(v.value(), StandardCharsets.UTF_8), now);
        jobs.put(d.name(), d);
      });
    }
    Map<String, JsonNode> states = new HashMap<>();
    Map<String, List<JobRun>> runs = new HashMap<>();
    for (String name : jobs.keySet()) {
      store.get(JobsEngine.STATES + name).ifPresent(v -> states.put(name, json(v.value())));
      List<String> keys = store.keys(JobsEngine.RUNS + name + "/");
      List<JobRun> read = new ArrayList<>();
      for (String key : keys.subList(Math.max(0, keys.size() - historyLimit), keys.size())) {
        store.get(key).ifPresent(v -> read.add(JobRun.fromJson(json(v.value()))));
      }
      runs.put(name, List.copyOf(read));
    }
    Optional<FrameworkId> id = store.get(JobsEngine.FRAMEWORK_ID)
        .map(v -> FrameworkId.of(new String(v.value(), StandardCharsets.UTF_8)));
    return new Recovered(begun, store.epoch(), Map.copyOf(jobs), Map.copyOf(states), Map.copyOf(runs), id);
  }

  private static JsonNode json(byte[] b) {
    try {
      return JobJson.MAPPER.readTree(b);
    } catch (IOException e) {
      throw new IllegalStateException("stored job state is not JSON", e);
    }
  }}
