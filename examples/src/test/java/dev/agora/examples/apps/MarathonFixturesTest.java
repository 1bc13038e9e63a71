package dev.agora.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Marathon fixture (from Marathon's own system tests and docs) parses; each app in it is
 * either runnable here or answered only with "not supported here" violations naming the field.
 * The fixtures are read in place (../shared/fixtures/marathon), never copied into the repository.
 */
class MarathonFixturesTest {
  static Optional<Path> fixtures() {
    Path dir = Path.of("").toAbsolutePath();
    for (; dir != null; dir = dir.getParent()) {
      Path f = dir.resolve("shared/fixtures/marathon");
      if (Files.isDirectory(f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** Outcome per app: "ok" or the not-supported paths. */
  static Map<String, String> outcomes() throws IOException {
    Optional<Path> dir = fixtures();
    assumeTrue(dir.isPresent(), "skipped: no shared/fixtures/marathon directory above " + Path.of("").toAbsolutePath());
    Map<String, String> out = new TreeMap<>();
    ObjectMapper mapper = new ObjectMapper();
    try (Stream<Path> files = Files.list(dir.get())) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode json = mapper.readTree(f.toFile());
        List<Map.Entry<String, JsonNode>> apps = new ArrayList<>();
        if (AppParser.isGroup(json)) {
          apps.addAll(AppParser.groupApps(json, ""));
        } else {
          apps.add(Map.entry("", json));
        }
        for (Map.Entry<String, JsonNode> app : apps) {
          AppParser.Result r = AppParser.parse(app.getValue(), Optional.empty(), "2026-01-01T00:00:00Z");
          String name = f.getFileName() + app.getKey();
          if (r.app().isPresent()) {
            out.put(name, "ok");
          } else {
            assertThat(r.violations()).as(name + ": only 'not supported here' violations, got " + r.violations())
                .allMatch(v -> v.message().startsWith(AppParser.NOT_SUPPORTED));
            out.put(name, String.join(" ", r.violations().stream().map(AppParser.Violation::path).toList()));
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyFixtureIsRunnableOrNamesTheUnsupportedField() throws IOException {
    Map<String, String> out = outcomes();
    out.forEach((k, v) -> System.err.println(k + " -> " + v));
    assertThat(out).containsEntry("app-simple.json", "ok").containsEntry("sleep-app.json", "ok")
        .containsEntry("large-sleep.json", "ok").containsEntry("mesos-app.json", "ok")
        .containsEntry("app-check-http-example.json", "ok");
    assertThat(out.get("docker-http-server.json")).contains("/container/type").contains("/container/docker");
    assertThat(out.get("persistent-volume-app.json")).contains("/container/volumes");
    assertThat(out.get("http-server.json")).isEqualTo("/cmd");
    assertThat(out.get("pinger-container-app.json")).contains("/ipAddress").contains("/fetch");
    assertThat(out.get("private-ucr-docker-app.json")).contains("/container/docker").contains("/secrets");
  }

  @Test
  void unknownFieldsAreReportedAsIgnored() throws IOException {
    Optional<Path> dir = fixtures();
    assumeTrue(dir.isPresent(), "skipped: no shared/fixtures/marathon directory");
    JsonNode json = new ObjectMapper().readTree(dir.get().resolve("app-check-http-example.json").toFile());
    AppParser.Result r = AppParser.parse(json, Optional.empty(), "v1");
    assertThat(r.ignoredFields()).containsExactly("/check");
    AppDefinition d = r.app().orElseThrow();
    assertThat(d.id()).isEqualTo("/http-index-test");
    assertThat(d.portDefinitions()).hasSize(1);
    assertThat(d.portDefinitions().get(0).name()).contains("http");
    assertThat(d.backoffSeconds()).isEqualTo(1);
    assertThat(d.backoffFactor()).isEqualTo(1.15);
    assertThat(d.maxLaunchDelaySeconds()).isEqualTo(300);
    assertThat(d.upgradeStrategy()).isEqualTo(AppDefinition.UpgradeStrategy.DEFAULT);
    assertThat(d.killSelection()).isEqualTo(AppDefinition.KillSelection.YOUNGEST_FIRST);
  }
}
