package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.transport.Address;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ZooKeeperOptionsTest {
  private static String error(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new AgoraCli());
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute(args)).as(err.toString()).isEqualTo(2);
    return err.toString();
  }

  @Test
  void aBadZooKeeperUrlIsAParameterErrorNamingTheBadPart() {
    assertThat(error("master", "--port", "0", "--zk", "zk://h1:2181")).contains("--zk").contains("has no path");
    assertThat(error("master", "--port", "0", "--zk", "zk://h1:notaport/agora")).contains("--zk").contains("notaport");
    assertThat(error("master", "--port", "0", "--zk", "http://h1:2181/agora")).contains("must start with zk://");
    assertThat(error("master", "--port", "0", "--zk", "zk://h1:2181/agora", "--zk-session-timeout", "PT0S"))
        .contains("--zk-session-timeout").contains("PT0S");
    assertThat(error("agent", "--port", "0", "--work-dir", "/tmp/agora-zk-options-test", "--master", "zk://h1:2181,/agora"))
        .contains("zk://h1:2181,/agora");
    assertThat(error("agent", "--port", "0", "--work-dir", "/tmp/agora-zk-options-test", "--master", "nohostport"))
        .contains("--master must be host:port or zk://");
  }

  @Test
  void detectedMastersAreAddressedAsTheHttpTransportDoes() {
    assertThat(ZooKeeperOptions.httpMaster(Address.of("http://10.0.0.1:5050/master")))
        .isEqualTo(Address.of("http://10.0.0.1:5050/master"));
    assertThat(ZooKeeperOptions.httpMaster(Address.of("10.0.0.1:5050"))).isEqualTo(Address.of("http://10.0.0.1:5050/master"));
    assertThat(ZooKeeperOptions.httpMaster(Address.of("https://m1:5050"))).isEqualTo(Address.of("https://m1:5050/master"));
    assertThat(ZooKeeperOptions.httpMaster(Address.of("not an address"))).isEqualTo(Address.of("not an address"));

    MasterDetector published = new MasterDetector() {
      @Override
      public Optional<Address> leader() {
        return Optional.of(Address.of("m2:5050"));
      }

      @Override
      public void watch(java.util.concurrent.Executor executor, java.util.function.Consumer<Optional<Address>> listener) {
        executor.execute(() -> listener.accept(Optional.empty()));
        executor.execute(() -> listener.accept(leader()));
      }
    };
    MasterDetector http = ZooKeeperOptions.httpMasters(published);
    assertThat(http.leader()).contains(Address.of("http://m2:5050/master"));
    List<Optional<Address>> seen = new ArrayList<>();
    http.watch(Runnable::run, seen::add);
    assertThat(seen).containsExactly(Optional.empty(), Optional.of(Address.of("http://m2:5050/master")));
  }
}
