package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code agora master --quorum N}: a positive integer, with ZooKeeper; the help says what it means here. */
class MasterQuorumOptionTest {
  private static String error(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    assertThat(cli.execute(args)).as(err.toString()).isEqualTo(2);
    return err.toString();
  }

  @Test
  void quorumMustBeAPositiveInteger() {
    assertThat(error("master", "--port", "0", "--quorum", "0")).contains("--quorum must be a positive integer")
        .contains("0");
    assertThat(error("master", "--port", "0", "--quorum", "-2", "--zk", "zk://127.0.0.1:1/agora"))
        .contains("--quorum must be a positive integer");
    assertThat(error("master", "--port", "0", "--quorum", "two")).contains("--quorum").contains("two");
  }

  @Test
  void aQuorumAboveOneNeedsZooKeeper() {
    assertThat(error("master", "--port", "0", "--quorum", "2")).contains("--quorum 2 needs --zk");
  }

  @Test
  void theHelpSaysWhatTheQuorumCountsHere() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("master", "--help")).isZero();
    assertThat(out.toString()).contains("--quorum=N").contains("masters must be in the election")
        .contains("Departure from Mesos");
  }
}
