package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.JsonFormat;
import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.RecordIo;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.mesos.v1.Protos.AgentID;
import org.apache.mesos.v1.Protos.CommandInfo;
import org.apache.mesos.v1.Protos.Filters;
import org.apache.mesos.v1.Protos.FrameworkID;
import org.apache.mesos.v1.Protos.FrameworkInfo;
import org.apache.mesos.v1.Protos.Offer;
import org.apache.mesos.v1.Protos.OfferID;
import org.apache.mesos.v1.Protos.Resource;
import org.apache.mesos.v1.Protos.TaskID;
import org.apache.mesos.v1.Protos.TaskInfo;
import org.apache.mesos.v1.Protos.TaskState;
import org.apache.mesos.v1.Protos.TaskStatus;
import org.apache.mesos.v1.Protos.Value;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance with a real Mesos v1 client: calls built with the v1 protobuf classes of
 * {@code org.apache.mesos:mesos:1.11.0}, printed with protobuf's {@link JsonFormat}, POSTed to an
 * Agora master; every event Agora sends back is parsed, strictly (unknown fields refused), with the
 * same classes. SUBSCRIBE, ACCEPT with LAUNCH, ACKNOWLEDGE, DECLINE, RECONCILE, KILL and TEARDOWN.
 */
class MesosV1ClientTest {
  @TempDir Path work;
  HttpTransport masterTransport;
  HttpTransport agentTransport;
  Master master;
  Agent agent;
  InputStream stream;
  final HttpClient http = HttpClient.newHttpClient();
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  final List<String> unparsed = new CopyOnWriteArrayList<>();
  final List<String> seen = new CopyOnWriteArrayList<>();
  // Mesos speaks the proto field names (snake_case), as Mesos clients print them.
  final JsonFormat.Printer printer = JsonFormat.printer().preservingProtoFieldNames();
  final JsonFormat.Parser parser = JsonFormat.parser();

  @AfterEach
  void stop() throws Exception {
    if (stream != null) {
      stream.close();
    }
    agent.close();
    master.close();
    agentTransport.close();
    masterTransport.close();
  }

  void startCluster() {
    masterTransport = HttpTransport.builder().build();
    master = Master.builder().transport(masterTransport).address(masterTransport.address("master"))
        .allocator(HierarchicalAllocator.builder().build()).frameworkHeartbeatInterval(Duration.ofMillis(500))
        .allocationInterval(Duration.ofMillis(200)).build();
    masterTransport.serveSchedulerApi(master.address());
    master.start();
    masterTransport.start();
    agentTransport = HttpTransport.builder().build();
    agent = Agent.builder().transport(agentTransport).address(agentTransport.address("agent")).master(master.address())
        .info(new AgentInfo("localhost", Resources.parse("cpus:2;mem:256;ports:[31000-31010]")))
        .containerizer(ProcessContainerizer.builder().build()).workDir(work)
        .defaultKillGracePeriod(Duration.ofMillis(200)).build();
    agentTransport.start();
    agent.start();
  }

  String subscribe(Call call) throws Exception {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl()
        + "/api/v1/scheduler")).header("Content-Type", "application/json").header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(printer.print(call))).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    stream = r.body();
    Thread reader = new Thread(() -> {
      try {
        Optional<byte[]> rec;
        while ((rec = RecordIo.read(stream, 1 << 22)).isPresent()) {
          String json = new String(rec.get(), StandardCharsets.UTF_8);
          Event.Builder b = Event.newBuilder();
          try {
            parser.merge(json, b);
            events.add(b.build());
            seen.add(json.length() > 300 ? json.substring(0, 300) : json);
          } catch (Exception e) {
            unparsed.add(e.getMessage() + ": " + json);
          }
        }
      } catch (Exception e) {
        // the stream closes at teardown
      }
    }, "mesos-v1-client");
    reader.setDaemon(true);
    reader.start();
    return r.headers().firstValue("Mesos-Stream-Id").orElseThrow();
  }

  void call(String streamId, Call call) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterTransport.baseUrl()
        + "/api/v1/scheduler")).header("Content-Type", "application/json").header("Mesos-Stream-Id", streamId)
        .POST(HttpRequest.BodyPublishers.ofString(printer.print(call))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s: %s", call.getType(), r.body()).isEqualTo(202);
  }

  /** Events passed over while waiting for another type, oldest first (heartbeats dropped). */
  final java.util.ArrayDeque<Event> skipped = new java.util.ArrayDeque<>();

  Event next(Event.Type type) throws InterruptedException {
    for (java.util.Iterator<Event> it = skipped.iterator(); it.hasNext();) {
      Event e = it.next();
      if (e.getType() == type) {
        it.remove();
        return e;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Event e = events.poll(200, TimeUnit.MILLISECONDS);
      assertThat(unparsed).isEmpty();
      if (e != null && e.getType() == type) {
        return e;
      }
      if (e != null && e.getType() != Event.Type.HEARTBEAT) {
        skipped.add(e);
      }
    }
    throw new AssertionError("no " + type + " event within 30 s; events: " + seen);
  }

  /** The next update in {@code state}; updates before it are acknowledged (they come one at a time). */
  TaskStatus update(String streamId, FrameworkID fw, TaskState state) throws Exception {
    while (true) {
      TaskStatus s = next(Event.Type.UPDATE).getUpdate().getStatus();
      if (s.getState() == state) {
        return s;
      }
      if (s.hasUuid()) {
        acknowledge(streamId, fw, s);
      }
    }
  }

  void acknowledge(String streamId, FrameworkID fw, TaskStatus s) throws Exception {
    call(streamId, Call.newBuilder().setType(Call.Type.ACKNOWLEDGE).setFrameworkId(fw)
        .setAcknowledge(Call.Acknowledge.newBuilder().setAgentId(s.getAgentId()).setTaskId(s.getTaskId())
            .setUuid(s.getUuid())).build());
  }

  static Resource scalar(String name, double value) {
    return Resource.newBuilder().setName(name).setType(Value.Type.SCALAR)
        .setScalar(Value.Scalar.newBuilder().setValue(value)).build();
  }

  @Test
  void aMesosV1ClientDrivesAgoraWithTheRealProtobufClasses() throws Exception {
    startCluster();
    Call subscribeCall = Call.newBuilder().setType(Call.Type.SUBSCRIBE)
        .setSubscribe(Call.Subscribe.newBuilder().setFrameworkInfo(FrameworkInfo.newBuilder().setUser("root")
            .setName("mesos-v1-client").addRoles("*").setFailoverTimeout(0)
            .addCapabilities(FrameworkInfo.Capability.newBuilder().setType(FrameworkInfo.Capability.Type.MULTI_ROLE))))
        .build();
    String streamId = subscribe(subscribeCall);
    FrameworkID fw = next(Event.Type.SUBSCRIBED).getSubscribed().getFrameworkId();
    assertThat(fw.getValue()).isNotEmpty();

    // ACCEPT with LAUNCH.
    Offer offer = next(Event.Type.OFFERS).getOffers().getOffers(0);
    AgentID agentId = offer.getAgentId();
    TaskInfo task = TaskInfo.newBuilder().setName("sleeper").setTaskId(TaskID.newBuilder().setValue("sleeper"))
        .setAgentId(agentId).addResources(scalar("cpus", 0.1)).addResources(scalar("mem", 16))
        .setCommand(CommandInfo.newBuilder().setShell(true).setValue("sleep 60")).build();
    call(streamId, Call.newBuilder().setType(Call.Type.ACCEPT).setFrameworkId(fw)
        .setAccept(Call.Accept.newBuilder().addOfferIds(offer.getId())
            .addOperations(Offer.Operation.newBuilder().setType(Offer.Operation.Type.LAUNCH)
                .setLaunch(Offer.Operation.Launch.newBuilder().addTaskInfos(task)))
            .setFilters(Filters.newBuilder().setRefuseSeconds(0))).build());
    TaskStatus running = update(streamId, fw, TaskState.TASK_RUNNING);
    assertThat(running.getTaskId().getValue()).isEqualTo("sleeper");
    assertThat(running.hasUuid()).isTrue();
    acknowledge(streamId, fw, running);
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.snapshot().join().pendingStatusUpdates() == 0);

    // DECLINE the next offer (what the task left).
    Offer rest = next(Event.Type.OFFERS).getOffers().getOffers(0);
    OfferID restId = rest.getId();
    call(streamId, Call.newBuilder().setType(Call.Type.DECLINE).setFrameworkId(fw)
        .setDecline(Call.Decline.newBuilder().addOfferIds(restId).setFilters(Filters.newBuilder().setRefuseSeconds(60)))
        .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().outstandingOffers() == 0);

    // RECONCILE the task explicitly: the master answers with its state, without uuid.
    call(streamId, Call.newBuilder().setType(Call.Type.RECONCILE).setFrameworkId(fw)
        .setReconcile(Call.Reconcile.newBuilder().addTasks(Call.Reconcile.Task.newBuilder()
            .setTaskId(task.getTaskId()).setAgentId(agentId))).build());
    TaskStatus reconciled = update(streamId, fw, TaskState.TASK_RUNNING);
    assertThat(reconciled.getReason()).isEqualTo(TaskStatus.Reason.REASON_RECONCILIATION);
    assertThat(reconciled.hasUuid()).isFalse();

    // KILL, then ACKNOWLEDGE the terminal update.
    call(streamId, Call.newBuilder().setType(Call.Type.KILL).setFrameworkId(fw)
        .setKill(Call.Kill.newBuilder().setTaskId(task.getTaskId()).setAgentId(agentId)).build());
    TaskStatus killed = update(streamId, fw, TaskState.TASK_KILLED);
    acknowledge(streamId, fw, killed);
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.snapshot().join().tasks().isEmpty());

    // TEARDOWN: the framework is gone.
    call(streamId, Call.newBuilder().setType(Call.Type.TEARDOWN).setFrameworkId(fw).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> master.snapshot().join().frameworks().isEmpty());
    assertThat(unparsed).isEmpty();
  }
}
