package dev.agora.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The REST API's answers: Chronos fixtures accepted as-is, bad input refused with the reason, nothing stored. */
class JobsApiTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir
  Path dir;

  /** {@code shared/fixtures/chronos}, looked for upward from the module directory. */
  static Optional<Path> fixtures() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path f = p.resolve("shared/fixtures/chronos");
      if (Files.isDirectory(f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  @Test
  void chronosFixturesAreAcceptedAsIs() throws IOException {
    Optional<Path> dirOfFixtures = fixtures();
    assumeTrue(dirOfFixtures.isPresent(), "shared/fixtures/chronos not found above " + Path.of("").toAbsolutePath()
        + "; skipping the Chronos fixture test");
    Path f = dirOfFixtures.get();
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      assertThat(h.post(Files.readString(f.resolve("scheduled-job.json"))).status()).isEqualTo(204);
      assertThat(h.post(Files.readString(f.resolve("timezone-job.json"))).status()).isEqualTo(204);
      // The dependent fixture names two parents; they must exist first.
      for (String parent : new String[] {"db_export-airbed_hostings", "db_export-airbed_reservation2s"}) {
        assertThat(h.post("{\"name\":\"" + parent + "\",\"command\":\"true\",\"schedule\":\"R/2026-01-02T00:00:00Z/P1D\"}")
            .status()).isEqualTo(204);
      }
      assertThat(h.post(Files.readString(f.resolve("dependent-job.json"))).status()).isEqualTo(204);
      JobsService.Response docker = h.post(Files.readString(f.resolve("docker-job.json")));
      assertThat(docker.status()).isEqualTo(200);
      assertThat(docker.body()).contains("field 'container' is not supported here");

      String jobs = h.call("GET", "/v1/scheduler/jobs", "").body();
      assertThat(jobs).contains("\"name\":\"SAMPLE_JOB1\"", "\"epsilon\":\"PT15M\"", "\"scheduleTimeZone\":\"America/Los_Angeles\"",
          "\"name\":\"hostings_earnings_summary\"", "\"owner\":\"bob@airbnb.com\"", "\"cpus\":0.5", "\"mem\":512.0",
          "\"type\":\"DOCKER\"");
      // The read-only counters in the POST (successCount 100) were ignored.
      assertThat(jobs).doesNotContain("\"successCount\":100");
      // SAMPLE_JOB1's ten runs were in 2012: none runs now.
      h.advance(java.time.Duration.ofHours(2));
      assertThat(h.runs("SAMPLE_JOB1")).isEmpty();
      // The docker job runs every 2 minutes; its runs are recorded skipped, naming the field.
      assertThat(h.runs("dockerjob")).isNotEmpty().allMatch(r -> r.reason().contains("'container'"));
      assertThat(h.runs("hourly_pst")).hasSize(2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "R0|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R0/2026-01-01T00:00:00Z/PT1H\"}|R0",
      "negative period|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT-5S\"}|must be positive",
      "zero period|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R/2026-01-01T00:00:00Z/PT0S\"}|greater than zero",
      "impossible date|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R/2026-02-30T00:00:00Z/PT1H\"}|2026-02-30",
      "bad month|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R/2026-13-01T00:00:00Z/PT1H\"}|2026-13-01",
      "unknown zone|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R//PT1H\",\"scheduleTimeZone\":\"Mars/Olympus\"}|Mars/Olympus",
      "bad name|{\"name\":\"bad name!\",\"command\":\"true\",\"schedule\":\"R//PT1H\"}|bad name!",
      "empty name|{\"name\":\"\",\"command\":\"true\",\"schedule\":\"R//PT1H\"}|must match",
      "no command|{\"name\":\"x\",\"schedule\":\"R//PT1H\"}|needs a command",
      "bad repetitions|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"Rx//PT1H\"}|repetitions",
      "not a duration|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R//1H\"}|not an ISO 8601 duration",
      "two parts|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R/PT1H\"}|R[n]/[start]/period",
      "bad cron|{\"name\":\"x\",\"command\":\"true\",\"cron\":\"61 * * * *\"}|61 * * * *",
      "bad number|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R//PT1H\",\"cpus\":\"lots\"}|lots",
      "negative mem|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R//PT1H\",\"mem\":-1}|mem",
      "bad operator|{\"name\":\"x\",\"command\":\"true\",\"schedule\":\"R//PT1H\",\"constraints\":[[\"rack\",\"NEAR\",\"r1\"]]}|NEAR",
      "missing parent|{\"name\":\"x\",\"command\":\"true\",\"parents\":[\"nope\"]}|nope",
      "no schedule|{\"name\":\"x\",\"command\":\"true\"}|neither",
      "malformed|{\"name\":|malformed",
  })
  void badInputIs400WithTheReasonAndNothingStored(String label, String json, String reason) {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      String endpoint = json.contains("parents") ? "dependency" : "iso8601";
      JobsService.Response r = h.call("POST", "/v1/scheduler/" + endpoint, json);
      assertThat(r.status()).as(label).isEqualTo(400);
      assertThat(r.body()).as(label).contains(reason);
      assertThat(h.call("GET", "/v1/scheduler/jobs", "").body()).isEqualTo("[]");
      assertThat(h.store.keys("jobs/definitions/")).isEmpty();
    }
  }

  @Test
  void dependencyCycleIsRefusedAndNothingChanges() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      h.post("{\"name\":\"a\",\"command\":\"true\",\"schedule\":\"R//PT1H\"}");
      h.post("{\"name\":\"b\",\"command\":\"true\",\"parents\":[\"a\"]}");
      h.post("{\"name\":\"c\",\"command\":\"true\",\"parents\":[\"b\"]}");
      String before = h.call("GET", "/v1/scheduler/jobs", "").body();
      JobsService.Response r = h.call("POST", "/v1/scheduler/dependency",
          "{\"name\":\"b\",\"command\":\"true\",\"parents\":[\"c\"]}");
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("cycle", "b -> c -> b");
      JobsService.Response self = h.call("POST", "/v1/scheduler/dependency",
          "{\"name\":\"a\",\"command\":\"true\",\"parents\":[\"a\"]}");
      assertThat(self.status()).isEqualTo(400);
      assertThat(h.call("GET", "/v1/scheduler/jobs", "").body()).isEqualTo(before);
      // A parent with dependents cannot be deleted; the leaf can.
      assertThat(h.call("DELETE", "/v1/scheduler/job/a", "").status()).isEqualTo(400);
      assertThat(h.call("DELETE", "/v1/scheduler/job/c", "").status()).isEqualTo(204);
      assertThat(h.call("DELETE", "/v1/scheduler/job/c", "").status()).isEqualTo(404);
    }
  }

  @Test
  void wrongEndpointsAndUnknownJobs() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      assertThat(h.call("POST", "/v1/scheduler/iso8601", "{\"name\":\"d\",\"command\":\"true\",\"parents\":[\"x\"]}")
          .body()).contains("/dependency");
      assertThat(h.call("PUT", "/v1/scheduler/job/nope", "").status()).isEqualTo(404);
      assertThat(h.call("GET", "/v1/scheduler/job/stat/nope", "").status()).isEqualTo(404);
      assertThat(h.call("GET", "/v1/scheduler/stats/fastest", "").status()).isEqualTo(400);
      assertThat(h.call("GET", "/v2/apps", "").status()).isEqualTo(404);
      assertThat(h.call("GET", "/v1/scheduler/leader", "").body()).contains("leader");
    }
  }

  @Test
  void searchSummaryAndStats() {
    try (JobsHarness h = new JobsHarness(dir, T0)) {
      h.startService();
      h.post("{\"name\":\"etl.load\",\"command\":\"load.sh\",\"schedule\":\"R/2026-01-01T00:05:00Z/PT1H\","
          + "\"description\":\"nightly warehouse\"}");
      h.post("{\"name\":\"report\",\"command\":\"report.sh\",\"schedule\":\"R/2026-01-01T00:05:00Z/PT1H\"}");
      h.advance(java.time.Duration.ofHours(3));
      assertThat(h.call("GET", "/v1/scheduler/jobs/search?name=etl", "").body()).contains("etl.load")
          .doesNotContain("\"report\"");
      assertThat(h.call("GET", "/v1/scheduler/jobs/search?command=report", "").body()).contains("\"report\"")
          .doesNotContain("etl.load");
      assertThat(h.call("GET", "/v1/scheduler/jobs/search?any=warehouse", "").body()).contains("etl.load");
      assertThat(h.call("GET", "/v1/scheduler/jobs/summary", "").body())
          .contains("{\"name\":\"etl.load\",\"status\":\"success\",\"state\":\"idle\"");
      // Tasks last 20 s; the harness notices their end on its next 1 s poll: 21 s each.
      String stat = h.call("GET", "/v1/scheduler/job/stat/report", "").body();
      assertThat(stat).contains("\"count\":3", "\"median\":21.0", "\"99thPercentile\":21.0");
      assertThat(h.call("GET", "/v1/scheduler/stats/99thPercentile", "").body())
          .contains("{\"jobNameLabel\":\"report\",\"time\":21.0}");
    }
  }
}
