package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AppsCommandTest {
  @Test
  void runsForAWhileAndChecksItsRemoteOptions() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("apps", "--port", "0", "--agents", "1", "--run-for", "PT0.2S")).isZero();
    assertThat(out.toString()).contains("apps service on http://localhost:");
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("apps", "--zk", "zk://h:2181/agora")).isEqualTo(2);
    assertThat(err.toString()).contains("--zk needs --master");
    assertThat(cli.execute("apps", "--master", "zk://nopath")).isEqualTo(2);
    assertThat(err.toString()).contains("has no path");
  }
}
