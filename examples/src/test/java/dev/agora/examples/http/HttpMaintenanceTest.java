package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.master.Master;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The maintenance operator calls over HTTP, in the Mesos v1 operator API's JSON shapes. */
class HttpMaintenanceTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpTransport transport;
  private Master master;

  @BeforeEach
  void start() {
    transport = HttpTransport.builder().build();
    master = Master.builder().transport(transport).address(transport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).build();
    OperatorApi.serve(transport, master);
    master.start();
    transport.start();
  }

  @AfterEach
  void stop() {
    master.close();
    transport.close();
  }

  private record Answer(int status, String body) {
    JsonNode json() {
      return MesosJson.parse(body.getBytes(StandardCharsets.UTF_8));
    }
  }

  private Answer call(String body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(transport.baseUrl() + "/api/v1"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> a = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    return new Answer(a.statusCode(), a.body());
  }

  @Test
  void scheduleStartAndStopMaintenanceInMesosJson() throws Exception {
    Answer update = call("""
        {"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": {"windows": [
          {"machine_ids": [{"hostname": "db1.example.com", "ip": "10.0.0.7"}, {"hostname": "db2.example.com"}],
           "unavailability": {"start": {"nanoseconds": 1700000000000000000},
                              "duration": {"nanoseconds": 3600000000000}}}]}}}""");
    assertThat(update.status()).as(update.body()).isEqualTo(200);

    JsonNode schedule = call("{\"type\": \"GET_MAINTENANCE_SCHEDULE\"}").json();
    assertThat(schedule.path("type").asText()).isEqualTo("GET_MAINTENANCE_SCHEDULE");
    JsonNode window = schedule.path("get_maintenance_schedule").path("schedule").path("windows").get(0);
    assertThat(window.path("machine_ids").get(0).path("hostname").asText()).isEqualTo("db1.example.com");
    assertThat(window.path("machine_ids").get(0).path("ip").asText()).isEqualTo("10.0.0.7");
    assertThat(window.path("unavailability").path("start").path("nanoseconds").asLong()).isEqualTo(1700000000000000000L);
    assertThat(window.path("unavailability").path("duration").path("nanoseconds").asLong()).isEqualTo(3600000000000L);

    JsonNode status = call("{\"type\": \"GET_MAINTENANCE_STATUS\"}").json().path("get_maintenance_status").path("status");
    assertThat(status.path("draining_machines")).hasSize(2);
    assertThat(status.path("down_machines")).isEmpty();

    Answer start = call("""
        {"type": "START_MAINTENANCE", "start_maintenance": {"machines": [{"hostname": "db2.example.com"}]}}""");
    assertThat(start.status()).as(start.body()).isEqualTo(200);
    status = call("{\"type\": \"GET_MAINTENANCE_STATUS\"}").json().path("get_maintenance_status").path("status");
    assertThat(status.path("down_machines").get(0).path("hostname").asText()).isEqualTo("db2.example.com");
    assertThat(status.path("draining_machines")).hasSize(1);

    Answer stop = call("""
        {"type": "STOP_MAINTENANCE", "stop_maintenance": {"machines": [{"hostname": "db2.example.com"}]}}""");
    assertThat(stop.status()).as(stop.body()).isEqualTo(200);
    status = call("{\"type\": \"GET_MAINTENANCE_STATUS\"}").json().path("get_maintenance_status").path("status");
    assertThat(status.path("down_machines")).isEmpty();
  }

  @Test
  void badMaintenanceCallsAre400NamingTheValue() throws Exception {
    Answer twice = call("""
        {"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": {"windows": [
          {"machine_ids": [{"hostname": "a"}], "unavailability": {"start": {"nanoseconds": 0}}},
          {"machine_ids": [{"hostname": "a"}], "unavailability": {"start": {"nanoseconds": 0}}}]}}}""");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.body()).contains("more than one maintenance window");
    Answer notScheduled = call("""
        {"type": "START_MAINTENANCE", "start_maintenance": {"machines": [{"hostname": "nowhere"}]}}""");
    assertThat(notScheduled.status()).isEqualTo(400);
    assertThat(notScheduled.body()).contains("nowhere");
    Answer noMachine = call("""
        {"type": "STOP_MAINTENANCE", "stop_maintenance": {"machines": [{}]}}""");
    assertThat(noMachine.status()).isEqualTo(400);
    for (String type : new String[] {"DRAIN_AGENT", "DEACTIVATE_AGENT", "REACTIVATE_AGENT"}) {
      String field = type.toLowerCase(java.util.Locale.ROOT);
      Answer unknown = call("{\"type\": \"" + type + "\", \"" + field + "\": {\"agent_id\": {\"value\": \"ghost\"}}}");
      assertThat(unknown.status()).as(type).isEqualTo(400);
      assertThat(unknown.body()).as(type).contains("ghost");
    }
    assertThat(call("{\"type\": \"GET_MAINTENANCE_SCHEDULE\"}").json()
        .path("get_maintenance_schedule").path("schedule").path("windows")).isEmpty();
  }
}
