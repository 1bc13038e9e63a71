package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import dev.agora.core.transport.http.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Master and agent on HTTPS (JDK HttpsServer) with a self-signed key store; a framework over TLS. */
class HttpTlsTest {
  @TempDir Path work;

  private Path keystore() throws Exception {
    return keystore("master.p12");
  }

  private Path keystore(String file) throws Exception {
    Path ks = work.resolve(file);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "agora", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).redirectOutput(work.resolve("keytool.log").toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return ks;
  }

  @Test
  void masterAgentAndFrameworkTalkOverTls() throws Exception {
    Path ks = keystore();
    SSLContext server = Tls.server(ks, "changeit".toCharArray());
    SSLContext client = Tls.client(ks, "changeit".toCharArray());
    try (HttpTransport masterTransport = HttpTransport.builder().tls(server).clientTls(client).build();
        HttpTransport agentTransport = HttpTransport.builder().tls(server).clientTls(client).build();
        HttpSchedulerTransport schedulerTransport = HttpSchedulerTransport.builder().tls(client).build()) {
      assertThat(masterTransport.baseUrl()).startsWith("https://");
      Master master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
          .allocator(HierarchicalAllocator.builder().build()).build();
      masterTransport.serveSchedulerApi(master.address());
      OperatorApi.serve(masterTransport, master);
      master.start();
      masterTransport.start();
      Agent agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent"))
          .master(master.address()).info(new AgentInfo("localhost", Resources.parse("cpus:1;mem:128")))
          .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("agent")).build();
      agentTransport.start();
      agent.start();
      try {
        HttpClusterTest.Recorder r = new HttpClusterTest.Recorder();
        SchedulerDriver d = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of("tls"))
            .master(master.address()).framework(FrameworkInfo.builder("tls").user("root").build()).scheduler(r)
            .start();
        await().atMost(Duration.ofSeconds(20)).until(() -> !r.offers.isEmpty());
        d.close();
        // A client that does not trust the certificate is refused by the handshake.
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(masterTransport.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        HttpResponse<String> ok = HttpClient.newBuilder().sslContext(client).build().send(HttpRequest.newBuilder(
            URI.create(masterTransport.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
      } finally {
        agent.close();
        master.close();
      }
    }
  }

  @Test
  void withClientAuthOnlyPeersPresentingATrustedCertificateGetIn() throws Exception {
    Path good = keystore("cluster.p12");
    Path rogue = keystore("rogue.p12");
    char[] pw = "changeit".toCharArray();
    SSLContext mutual = Tls.mutual(good, pw, good, pw);
    try (HttpTransport masterTransport = HttpTransport.builder().tls(mutual).requireClientCertificates()
            .clientTls(mutual).build();
        HttpTransport agentTransport = HttpTransport.builder().tls(mutual).requireClientCertificates()
            .clientTls(mutual).build()) {
      Master master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
          .allocator(HierarchicalAllocator.builder().build()).build();
      OperatorApi.serve(masterTransport, master);
      master.start();
      masterTransport.start();
      Agent agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent"))
          .master(master.address()).info(new AgentInfo("localhost", Resources.parse("cpus:1;mem:128")))
          .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("agent")).build();
      agentTransport.start();
      agent.start();
      try {
        // The agent presents the cluster's certificate: it registers.
        await().atMost(Duration.ofSeconds(30)).until(() -> master.snapshot().join().agents().size() == 1);
        URI health = URI.create(masterTransport.baseUrl() + "/health");
        // A client that trusts the master but presents no certificate, or an untrusted one, is refused.
        for (SSLContext refused : List.of(Tls.client(good, pw), Tls.mutual(rogue, pw, good, pw))) {
          assertThatThrownBy(() -> HttpClient.newBuilder().sslContext(refused).build()
              .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()))
              .isInstanceOf(java.io.IOException.class);
        }
        assertThat(HttpClient.newBuilder().sslContext(mutual).build()
            .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
            .isEqualTo(200);
        // A rogue agent (untrusted certificate) cannot register.
        try (HttpTransport rogueTransport = HttpTransport.builder().clientTls(Tls.mutual(rogue, pw, good, pw)).build()) {
          Agent intruder = Agent.builder().transport(rogueTransport).address(rogueTransport.address("agent"))
              .master(master.address()).info(new AgentInfo("intruder", Resources.parse("cpus:1;mem:128")))
              .containerizer(ProcessContainerizer.builder().build()).workDir(work.resolve("intruder")).build();
          rogueTransport.start();
          intruder.start();
          try {
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> master.snapshot().join().agents().size() == 1);
            assertThat(master.snapshot().join().agents()).noneMatch(a -> a.hostname().equals("intruder"));
          } finally {
            intruder.close();
          }
        }
      } finally {
        agent.close();
        master.close();
      }
    }
  }
}
