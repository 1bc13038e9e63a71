package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code agora local}: its help tells the truth, it runs real tasks, and bad flags are named. */
class LocalCommandTest {
  @TempDir Path work;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void helpDocumentsEveryFlag() {
    Run r = run("local", "--help");
    assertThat(r.exit()).isZero();
    for (String flag : new String[] {"--agents", "--agent-resources", "--attributes", "--tasks", "--task-command",
        "--task-resources", "--work-dir", "--timeout", "--api-port", "--api-host", "--jobs-port", "--apps-port", "--keep-running", "--help", "--version"}) {
      assertThat(r.out()).contains(flag);
    }
  }

  @Test
  void runsABatchOfRealTasksToASummary() throws Exception {
    Run r = run("local", "--agents", "2", "--tasks", "3", "--task-command", "echo ran $MESOS_TASK_ID",
        "--work-dir", work.toString(), "--api-port", "-1", "--jobs-port", "-1", "--apps-port", "-1");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("subscribed as framework", "task-2 TASK_FINISHED", "summary: 3 tasks: {FINISHED=3}");
    try (var files = Files.walk(work)) {
      assertThat(files.filter(p -> p.getFileName().toString().equals("stdout")).map(p -> {
        try {
          return Files.readString(p);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      })).containsExactlyInAnyOrder("ran task-0\n", "ran task-1\n", "ran task-2\n");
    }
  }

  @Test
  void failingTasksMakeANonZeroExit() {
    Run r = run("local", "--agents", "1", "--tasks", "2", "--task-command", "exit 4", "--work-dir", work.toString(),
        "--api-port", "-1", "--jobs-port", "-1", "--apps-port", "-1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("TASK_FAILED (Command exited with status 4)", "FAILED=2");
  }

  @Test
  void badResourcesAreRejectedNamingTheFlagAndToken() {
    Run r = run("local", "--agent-resources", "cpus:abc", "--api-port", "-1", "--jobs-port", "-1", "--apps-port", "-1");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("--agent-resources", "abc");
  }

  @Test
  void servesTheMasterApisOverHttpWhileRunning() {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out, true) {
      @Override
      public void println(String x) {
        super.println(x);
        if (x.startsWith("master APIs on ")) {
          String url = x.substring("master APIs on ".length(), x.indexOf(' ', "master APIs on ".length()));
          try {
            var http = java.net.http.HttpClient.newHttpClient();
            var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api/v1"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"GET_HEALTH\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            seen.add(r.statusCode() + " " + r.body());
          } catch (Exception e) {
            seen.add("failed: " + e);
          }
        }
      }
    });
    int exit = cli.execute("local", "--agents", "1", "--tasks", "1", "--task-command", "true", "--work-dir",
        work.toString(), "--api-port", "0", "--jobs-port", "0", "--apps-port", "-1");
    assertThat(exit).as(out.toString()).isZero();
    assertThat(seen).singleElement().asString().startsWith("200 ").contains("\"healthy\":true");
  }

  @Test
  void servesTheJobsApiWhileRunning() {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(new StringWriter(), true) {
      @Override
      public void println(String x) {
        super.println(x);
        if (x.startsWith("jobs API on ")) {
          String url = x.substring("jobs API on ".length(), x.indexOf(' ', "jobs API on ".length()));
          try {
            var http = java.net.http.HttpClient.newHttpClient();
            var post = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/iso8601"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"name\":\"nightly\",\"command\":\"true\",\"schedule\":\"R/2030-01-01T00:00:00Z/P1D\"}"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            var jobs = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/jobs")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            seen.add(post.statusCode() + " " + jobs.statusCode() + " " + jobs.body());
          } catch (Exception e) {
            seen.add("failed: " + e);
          }
        }
      }
    });
    int exit = cli.execute("local", "--agents", "1", "--tasks", "1", "--task-command", "true", "--work-dir",
        work.toString(), "--api-port", "-1", "--jobs-port", "0", "--apps-port", "-1");
    assertThat(exit).isZero();
    assertThat(seen).singleElement().asString().startsWith("2").contains(" 200 ").contains("\"nightly\"");
  }

  @Test
  void servesTheAppsApiWhileRunning() {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(new StringWriter(), true) {
      @Override
      public void println(String x) {
        super.println(x);
        if (x.startsWith("apps API on ")) {
          String url = x.substring("apps API on ".length(), x.indexOf(' ', "apps API on ".length()));
          try {
            var http = java.net.http.HttpClient.newHttpClient();
            var ping = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                url.substring(0, url.length() - "/v2".length()) + "/ping")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            var apps = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/apps")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            seen.add(ping.statusCode() + " " + apps.statusCode() + " " + apps.body());
          } catch (Exception e) {
            seen.add("failed: " + e);
          }
        }
      }
    });
    int exit = cli.execute("local", "--agents", "1", "--tasks", "1", "--task-command", "true", "--work-dir",
        work.toString(), "--api-port", "-1", "--jobs-port", "-1", "--apps-port", "0");
    assertThat(exit).isZero();
    assertThat(seen).singleElement().asString().startsWith("200 200 ").contains("\"apps\"");
  }
}
