package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The TLS options {@code agora master} and {@code agora agent} share: listed in both helps, checked alike. */
class TlsOptionsTest {
  @TempDir Path dir;

  private static String run(int expectedExit, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute(args)).as(err.toString()).isEqualTo(expectedExit);
    return out + err.toString();
  }

  @Test
  void bothHelpsListEveryTlsOption() {
    for (String command : new String[] {"master", "agent"}) {
      assertThat(run(0, command, "--help")).as(command).contains("--tls-keystore=", "--tls-keystore-password-file=",
          "--tls-truststore=", "--tls-truststore-password-file=", "--tls-client-auth");
    }
  }

  @Test
  void clientAuthWithoutStoresIsRefusedNamingTheOptions() {
    assertThat(run(2, "master", "--port", "0", "--tls-client-auth"))
        .contains("--tls-client-auth needs --tls-keystore and --tls-truststore");
    assertThat(run(2, "agent", "--master", "127.0.0.1:5050", "--port", "0", "--work-dir", dir.toString(),
        "--resources", "cpus:1;mem:64", "--tls-client-auth", "--tls-keystore", dir.resolve("k.p12").toString()))
        .contains("--tls-client-auth needs --tls-keystore and --tls-truststore");
  }

  @Test
  void anUnreadableKeyStoreIsRefusedBeforeAnythingStarts() throws Exception {
    Path notAStore = Files.writeString(dir.resolve("not-a-store.p12"), "not a key store");
    String out = run(2, "master", "--port", "0", "--tls-keystore", notAStore.toString());
    assertThat(out).contains("not-a-store.p12");
  }
}
