package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code agora jobs}: its help tells the truth and bad flags are named. */
class JobsCommandTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }

  @Test
  void helpDocumentsEveryFlag() {
    String[] r = run("jobs", "--help");
    assertThat(r[0]).isEqualTo("0");
    for (String flag : new String[] {"--host", "--port", "--agents", "--agent-resources", "--attributes", "--work-dir",
        "--catch-up", "--disable-after-failures", "--master", "--zk", "--zk-session-timeout", "--advertise-ip",
        "--run-for", "--help", "--version"}) {
      assertThat(r[1]).contains(flag);
    }
    assertThat(r[1]).contains("4400", "/v1/scheduler", "elect", "forward").doesNotContain("not available");
    assertThat(run("--help")[1]).contains("jobs");
  }

  @Test
  void runsForAWhileOnAFreePortAndStops() {
    String[] r = run("jobs", "--port", "0", "--agents", "1", "--run-for", "PT0.5S");
    assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
    assertThat(r[1]).contains("jobs service: http://127.0.0.1:", "jobs service stopped");
  }

  @Test
  void badFlagsAreNamed() {
    assertThat(run("jobs", "--agents", "0")[2]).contains("--agents must be >= 1");
    assertThat(run("jobs", "--agent-resources", "cpus:x")[2]).contains("--agent-resources");
    assertThat(run("jobs", "--catch-up", "LATER")[2]).contains("--catch-up");
    assertThat(run("jobs", "--zk", "zk://127.0.0.1:1/jobs")[2]).contains("--zk needs --master");
    assertThat(run("jobs", "--master", "zk://127.0.0.1:1/agora", "--zk", "zk://127.0.0.1:1/agora")[2])
        .contains("--zk must be a ZooKeeper path of its own");
    assertThat(run("jobs", "--master", "nohost", "--run-for", "PT0.1S")[2]).contains("--master");
    assertThat(run("jobs", "--master", "127.0.0.1:5050", "--zk", "notzk")[2]).contains("--zk");
  }
}
