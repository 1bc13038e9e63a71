package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lone master without ZooKeeper keeps its registry in {@code --work-dir}: weights and quota set
 * through the operator API are there again after the master process stops and starts again with
 * the same directory, and are not there for a master started without it.
 */
class MasterWorkDirProcessTest {
  @TempDir Path work;
  private AgoraProcesses jvms;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() throws InterruptedException {
    if (jvms != null) {
      jvms.close();
    }
  }

  private String call(String url, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s -> %s", json, r.body()).isEqualTo(200);
    return r.body();
  }

  private Process master;

  private String startMaster(String name, String... extra) throws Exception {
    String[] args = new String[3 + extra.length];
    args[0] = "master";
    args[1] = "--port";
    args[2] = "0";
    System.arraycopy(extra, 0, args, 3, extra.length);
    master = jvms.spawn(name, args);
    return jvms.awaitUrl(name, master);
  }

  @Test
  void aRestartedMasterRecoversItsRegistryFromItsWorkDir() throws Exception {
    jvms = new AgoraProcesses(work);
    String dir = work.resolve("master-dir").toString();
    String first = startMaster("first", "--work-dir", dir);
    call(first, "{\"type\":\"UPDATE_WEIGHTS\",\"update_weights\":{\"weight_infos\":[{\"role\":\"eng\",\"weight\":2.5}]}}");
    call(first, "{\"type\":\"UPDATE_QUOTA\",\"update_quota\":{\"quota_configs\":[{\"role\":\"eng\","
        + "\"guarantees\":{\"cpus\":{\"value\":1}}}]}}");

    Process p = master;
    p.destroy(); // SIGTERM: a graceful stop
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    String second = startMaster("second", "--work-dir", dir);
    assertThat(call(second, "{\"type\":\"GET_WEIGHTS\"}")).contains("\"eng\"", "2.5");
    assertThat(call(second, "{\"type\":\"GET_QUOTA\"}")).contains("\"eng\"");

    String without = startMaster("without");
    assertThat(call(without, "{\"type\":\"GET_WEIGHTS\"}")).doesNotContain("\"eng\"");
  }
}
