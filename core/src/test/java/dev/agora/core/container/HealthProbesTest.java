package dev.agora.core.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default probes against real sockets and processes. */
class HealthProbesTest {
  @TempDir
  Path sandbox;

  private ContainerConfig config() {
    TaskInfo task = TaskInfo.of(TaskId.of("t"), AgentId.of("a"), Resources.parse("cpus:1"),
        new CommandInfo(true, "true", java.util.List.of(), Map.of("FROM_TASK", "yes"), Optional.empty()));
    return new ContainerConfig(new ContainerId("c"), task, sandbox, Map.of("MESOS_SANDBOX", sandbox.toString()),
        Optional.empty());
  }

  private Optional<String> probe(HealthCheck check) throws Exception {
    return HealthProbes.probe(config(), check).get(20, TimeUnit.SECONDS);
  }

  @Test
  void httpIsHealthyOn2xxAnd3xxOnly() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/ok", x -> {
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    server.createContext("/bad", x -> {
      x.sendResponseHeaders(503, -1);
      x.close();
    });
    server.start();
    try {
      int port = server.getAddress().getPort();
      assertThat(probe(HealthCheck.http(port, "/ok"))).isEmpty();
      assertThat(probe(HealthCheck.http(port, "/bad"))).hasValueSatisfying(m -> assertThat(m).contains("503"));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void tcpConnectsOrFails() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThat(probe(HealthCheck.tcp(s.getLocalPort()))).isEmpty();
      closedPort = s.getLocalPort();
    }
    assertThat(probe(HealthCheck.tcp(closedPort))).isPresent();
  }

  @Test
  void commandRunsInTheSandboxWithTheTasksEnvironment() throws Exception {
    assertThat(probe(HealthCheck.command("test \"$FROM_TASK\" = yes && test \"$PWD\" = \"$MESOS_SANDBOX\""))).isEmpty();
    assertThat(probe(HealthCheck.command("exit 3"))).hasValueSatisfying(m -> assertThat(m).contains("exited with 3"));
  }
}
