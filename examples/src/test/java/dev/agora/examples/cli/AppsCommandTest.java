package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AppsCommandTest {
  @Test
  void runsForAWhileAndRefusesRemoteMasterForNow() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("apps", "--port", "0", "--agents", "1", "--run-for", "PT0.2S")).isZero();
    assertThat(out.toString()).contains("apps service on http://localhost:");
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("apps", "--master", "m:5050")).isEqualTo(2);
    assertThat(err.toString()).contains("--master/--zk need the HTTP transport");
  }
}
