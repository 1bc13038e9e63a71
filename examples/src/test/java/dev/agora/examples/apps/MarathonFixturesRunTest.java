package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance's second half: every Marathon fixture that Agora supports (those that parse
 * without "not supported here") is posted unchanged, as an app or a group, and runs to its
 * instance count on simulated agents.
 */
class MarathonFixturesRunTest {
  @TempDir
  Path dir;

  @Test
  void everySupportedFixtureRunsToItsInstanceCount() throws IOException {
    Optional<Path> fixtures = MarathonFixturesTest.fixtures();
    assumeTrue(fixtures.isPresent(), "skipped: no shared/fixtures/marathon directory above "
        + Path.of("").toAbsolutePath());
    try (AppsSim s = new AppsSim(11, dir)) {
      for (int i = 0; i < 6; i++) {
        s.addAgent("cpus:16;mem:32768;disk:100000;ports:[31000-31999]", "");
      }
      s.start();
      Map<String, Integer> ran = new TreeMap<>();
      int posted = 0;
      try (Stream<Path> files = Files.list(fixtures.get())) {
        for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
          JsonNode json = AppsSim.MAPPER.readTree(f.toFile());
          boolean group = AppParser.isGroup(json);
          var apps = group ? AppParser.groupApps(json, "") : List.of(Map.entry("", json));
          boolean supported = apps.stream().allMatch(a -> AppParser.parse(a.getValue(), Optional.empty(), "v")
              .app().isPresent());
          if (!supported) {
            continue;
          }
          java.util.Set<String> before = new java.util.HashSet<>(s.apps.scheduler().apps.keySet());
          AppsApi.Response r = s.call("POST", group ? "/v2/groups" : "/v2/apps", json.toString());
          assertThat(r.status()).as(f.getFileName() + ": " + r.body()).isIn(200, 201);
          posted++;
          Map<String, Integer> expected = new TreeMap<>();
          s.apps.scheduler().apps.forEach((id, app) -> {
            if (!before.contains(id)) {
              expected.put(id, app.def.instances());
            }
          });
          assertThat(expected).as(f.getFileName() + " created its apps").hasSize(apps.size());
          s.advanceUntil(() -> expected.entrySet().stream().allMatch(e -> {
            AppsScheduler.AppState app = s.apps.scheduler().apps.get(e.getKey());
            return app != null && app.instances.values().stream().filter(Instance::running).count() == e.getValue();
          }), Duration.ofMinutes(2));
          expected.forEach((id, n) -> assertThat(s.running(id)).as(f.getFileName() + " " + id).isEqualTo((long) n));
          ran.put(f.getFileName().toString(), expected.values().stream().mapToInt(Integer::intValue).sum());
          // fixtures from different sources reuse ids (/sleep): each runs alone
          expected.keySet().forEach(id -> s.call("DELETE", "/v2/apps" + id, Map.of("force", List.of("true")), ""));
          s.advanceUntil(() -> s.apps.scheduler().apps.isEmpty(), Duration.ofMinutes(2));
        }
      }
      assertThat(posted).as("fixtures posted: " + ran).isEqualTo(ran.size()).isGreaterThanOrEqualTo(6);
      assertThat(ran).containsKeys("app-simple.json", "sleep-app.json", "large-sleep.json", "mesos-app.json",
          "app-check-http-example.json", "sleep-group.json");
    }
  }
}
