package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.coordination.ZooKeeperCoordination;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's acceptance against a real three-node ZooKeeper ensemble (Curator's TestingCluster):
 * three {@code agora master --zk} JVMs, three {@code agora agent --master zk://} JVMs and a
 * framework in this JVM that streams task launches. The leading master is killed with SIGKILL
 * during the stream, repeatedly (a fresh master process takes the killed one's place each time).
 * Checked: no task lost (every task that ran finishes, as the final reconciliation confirms), no
 * task id running on two agents, at most one master acting at any sampled moment (each master's
 * {@code /health}), a new leader serving within the session timeout plus a few seconds, and a
 * launch lost only when in flight across a failover (never ran, reconciled LOST). Also printed:
 * the time from the kill until every agent has re-registered with the new leader. Run with
 * {@code mvn -Psoak -pl examples -am test -Dtest='HaAcceptanceProcessTest#killingTheLeaderThreeTimes*'
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class HaAcceptanceProcessTest {
  private static final Duration SESSION = Duration.ofSeconds(6);
  /** The session timeout, then a few seconds for the election and the registry's recovery. */
  private static final Duration SERVING_WITHIN = SESSION.plusSeconds(6);
  private static final Resources TASK = Resources.parse("cpus:0.01;mem:4");
  /** How long before a kill (queued in the framework's calls) or after the new leader serves a launch may be lost. */
  private static final Duration IN_FLIGHT = Duration.ofSeconds(30);

  @TempDir Path work;
  private AgoraProcesses jvms;
  private TestingCluster ensemble;
  private ZooKeeperCoordination frameworkZk;
  private HttpSchedulerTransport schedulerTransport;
  private SchedulerDriver driver;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final Map<String, Process> masters = new ConcurrentHashMap<>();
  private final Map<String, String> masterUrls = new ConcurrentHashMap<>();
  private final AtomicBoolean sampling = new AtomicBoolean(true);
  private final AtomicLong samples = new AtomicLong();
  private final List<String> doubleLeaders = new CopyOnWriteArrayList<>();
  private Thread sampler;

  @AfterEach
  void stop() throws Exception {
    sampling.set(false);
    if (sampler != null) {
      sampler.join(5000);
    }
    if (driver != null) {
      driver.close();
    }
    if (schedulerTransport != null) {
      schedulerTransport.close();
    }
    if (frameworkZk != null) {
      frameworkZk.close();
    }
    if (jvms != null) {
      jvms.close();
    }
    if (ensemble != null) {
      ensemble.close();
    }
  }

  /** Launches a stream of tasks, a few per offer, and records every update. Driver-loop confined. */
  static final class Streamer implements Scheduler {
    final Queue<TaskId> toLaunch = new ArrayDeque<>();
    final Set<TaskId> launched = ConcurrentHashMap.newKeySet();
    /** When each task was handed to the driver (System.nanoTime). */
    final Map<TaskId, Long> launchedAt = new ConcurrentHashMap<>();
    final Map<TaskId, List<TaskStatus>> updates = new ConcurrentHashMap<>();
    final List<FrameworkId> subscribed = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final int perOffer;
    volatile SchedulerDriver driver;

    Streamer(int tasks, int perOffer) {
      for (int i = 0; i < tasks; i++) {
        toLaunch.add(TaskId.of("task-" + i));
      }
      this.perOffer = perOffer;
    }

    @Override
    public void subscribed(SchedulerDriver d, FrameworkId frameworkId) {
      driver = d;
      subscribed.add(frameworkId);
      reconcileUnfinished(d); // after a failover: what became of the tasks in flight?
    }

    void reconcileUnfinished(SchedulerDriver d) {
      List<SchedulerCall.ReconcileTask> ask = new ArrayList<>();
      for (TaskId t : launched) {
        Optional<TaskState> s = latest(t);
        if (s.isEmpty() || !s.get().isTerminal()) {
          ask.add(new SchedulerCall.ReconcileTask(t, Optional.empty()));
        }
      }
      if (!ask.isEmpty()) {
        d.reconcile(ask);
      }
    }

    @Override
    public void offers(SchedulerDriver d, List<Offer> offers) {
      for (Offer offer : offers) {
        List<TaskInfo> batch = new ArrayList<>();
        Resources left = offer.resources();
        synchronized (toLaunch) {
          while (batch.size() < perOffer && !toLaunch.isEmpty() && left.contains(TASK)) {
            TaskId id = toLaunch.poll();
            batch.add(TaskInfo.of(id, offer.agentId(), TASK, CommandInfo.shell("sleep 3")));
            left = left.subtract(TASK);
          }
        }
        if (batch.isEmpty()) {
          d.decline(List.of(offer.id()), new Filters(Duration.ofMillis(200)));
        } else {
          long now = System.nanoTime();
          batch.forEach(t -> {
            launched.add(t.taskId());
            launchedAt.put(t.taskId(), now);
          });
          d.launch(offer, batch);
        }
      }
    }

    @Override
    public void rescind(SchedulerDriver d, OfferId offerId) {}

    @Override
    public void update(SchedulerDriver d, TaskStatus status) {
      updates.computeIfAbsent(status.taskId(), k -> new CopyOnWriteArrayList<>()).add(status);
    }

    @Override
    public void failure(SchedulerDriver d, AgentId agentId) {}

    @Override
    public void error(SchedulerDriver d, String message) {
      errors.add(message);
    }

    Optional<TaskState> latest(TaskId t) {
      List<TaskStatus> u = updates.get(t);
      return u == null || u.isEmpty() ? Optional.empty() : Optional.of(u.get(u.size() - 1).state());
    }

    boolean everRan(TaskId t) {
      return updates.getOrDefault(t, List.of()).stream().anyMatch(s -> s.state() == TaskState.RUNNING);
    }
  }

  private static final Duration STARTUP = Duration.ofMinutes(2);

  private Process spawnMaster(String name, String zkUrl) throws IOException {
    return jvms.spawn(name, "master", "--zk", zkUrl, "--zk-session-timeout", SESSION.toString(), "--port", "0",
        "--agent-ping-interval", "PT1S", "--max-agent-ping-misses", "5", "--heartbeat-interval", "PT1S");
  }

  private void awaitMaster(String name, Process p) {
    masterUrls.put(name, jvms.awaitUrl(name, p, STARTUP));
    masters.put(name, p);
  }

  private boolean leads(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url + "/health")).timeout(Duration.ofSeconds(1)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private List<String> leaders() {
    List<String> out = new ArrayList<>();
    masters.forEach((name, p) -> {
      if (p.isAlive() && leads(masterUrls.get(name))) {
        out.add(name);
      }
    });
    return out;
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private JsonNode operator(String url, String type) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"type\":\"" + type + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    return MesosJson.parse(r.body().getBytes());
  }

  /**
   * The smaller variant: 150 launches, one kill. Tagged slow (child JVMs and a ZooKeeper ensemble,
   * about a minute idle). The larger one below is the acceptance; see RESULTS.md ("HA acceptance")
   * for its runs. It used to fail: after a failover the agents missed five 1 s pings and their
   * tasks went LOST, because the HTTP transport carried one message per round trip and the pings
   * queued behind every task's resumed status updates and their acknowledgements.
   */
  @Test
  @Tag("slow")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void killingTheLeaderDuringAStreamOfLaunchesLosesNoTask() throws Exception {
    run(150, 10, 1);
  }

  @Test
  @Tag("slow")
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void killingTheLeaderThreeTimesDuringAThousandLaunchesLosesNoTask() throws Exception {
    run(1000, 15, 3);
  }

  private void run(int tasks, int perOffer, int kills) throws Exception {
    jvms = new AgoraProcesses(work);
    ensemble = new TestingCluster(3);
    ensemble.start();
    String zkUrl = "zk://" + ensemble.getConnectString() + "/agora";
    List<Process> started = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      started.add(spawnMaster("master-" + i, zkUrl));
    }
    for (int i = 0; i < 3; i++) {
      awaitMaster("master-" + i, started.get(i));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> leaders().size() == 1);
    sampler = new Thread(() -> {
      while (sampling.get()) {
        List<String> now = leaders();
        samples.incrementAndGet();
        if (now.size() > 1) {
          doubleLeaders.add(now.toString());
        }
      }
    }, "leader-sampler");
    sampler.setDaemon(true);
    sampler.start();

    List<Process> agents = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      agents.add(jvms.spawn("agent-" + i, "agent", "--master", zkUrl, "--zk-session-timeout", SESSION.toString(),
          "--port", "0", "--hostname", "agent-" + i, "--resources", "cpus:4;mem:4096", "--containerizer", "process",
          "--work-dir", work.resolve("agent-" + i).toString()));
    }
    for (int i = 0; i < 3; i++) {
      jvms.awaitUrl("agent-" + i, agents.get(i), STARTUP);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      List<String> l = leaders();
      return l.size() == 1 && operator(masterUrls.get(l.get(0)), "GET_AGENTS").at("/get_agents/agents").size() == 3;
    });

    Streamer s = new Streamer(tasks, perOffer);
    frameworkZk = ZooKeeperCoordination.builder().url(zkUrl).sessionTimeout(SESSION)
        .connectionTimeout(Duration.ofSeconds(2)).build();
    schedulerTransport = HttpSchedulerTransport.create();
    driver = SchedulerDriver.builder().transport(schedulerTransport).address(Address.of("ha-stream"))
        .masterDetector(frameworkZk.masterDetector())
        .framework(FrameworkInfo.builder("ha-stream").user("root").failoverTimeout(Duration.ofMinutes(10)).build())
        .scheduler(s).start();

    List<Long> servingMillis = new ArrayList<>();
    List<long[]> failoverWindows = new ArrayList<>(); // {kill, every agent back}, nanoTime
    List<Long> recoveredMillis = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      int threshold = (k + 1) * tasks / (kills + 1);
      await().atMost(Duration.ofMinutes(3)).until(() -> s.launched.size() >= threshold);
      String[] leader = new String[1];
      await().atMost(Duration.ofMinutes(1)).until(() -> {
        List<String> l = leaders();
        leader[0] = l.size() == 1 ? l.get(0) : null;
        return leader[0] != null;
      });
      String victim = leader[0];
      Process p = masters.get(victim);
      jvms.killLater(p.toHandle());
      long killed = System.nanoTime();
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      await().atMost(SERVING_WITHIN.plusSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> leaders().size() == 1);
      long serving = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      servingMillis.add(serving);
      // Recovered: the new leader has read the registry back and every agent has re-registered.
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
        List<String> l = leaders();
        return l.size() == 1 && operator(masterUrls.get(l.get(0)), "GET_AGENTS").at("/get_agents/agents").size() == 3;
      });
      long recovered = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      recoveredMillis.add(recovered);
      failoverWindows.add(new long[] {killed, System.nanoTime()});
      System.err.printf("kill %d of %s at %d launched: new leader %s serving after %d ms, all agents back after %d ms"
          + " (load %s)%n", k + 1, victim, s.launched.size(), leaders(), serving, recovered, loadAverage());
      String fresh = "master-" + (3 + k);
      awaitMaster(fresh, spawnMaster(fresh, zkUrl)); // a fresh standby takes the killed one's place
    }

    // Every task launched, then every task accounted for: the framework reconciles until each one
    // has a terminal state (the tasks sleep 3 s).
    await().atMost(Duration.ofMinutes(5)).until(() -> s.launched.size() == tasks);
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      SchedulerDriver d = s.driver;
      if (d != null) {
        s.reconcileUnfinished(d);
      }
      return s.launched.stream().allMatch(t -> s.latest(t).map(TaskState::isTerminal).orElse(false));
    });
    sampling.set(false);
    sampler.join(5000);

    Map<TaskState, Integer> finals = new LinkedHashMap<>();
    List<String> lostAfterRunning = new ArrayList<>();
    List<String> twice = new ArrayList<>();
    int lostInFlight = 0;
    List<String> lostOutsideAFailover = new ArrayList<>();
    for (TaskId t : s.launched) {
      TaskState last = s.latest(t).orElseThrow();
      finals.merge(last, 1, Integer::sum);
      if (s.everRan(t) && last != TaskState.FINISHED) {
        lostAfterRunning.add(t + " " + s.updates.get(t));
      } else if (!s.everRan(t)) {
        lostInFlight++;
        long at = s.launchedAt.get(t);
        boolean nearAKill = failoverWindows.stream().anyMatch(w -> at >= w[0] - IN_FLIGHT.toNanos()
            && at <= w[1] + IN_FLIGHT.toNanos());
        if (!nearAKill || last != TaskState.LOST) {
          lostOutsideAFailover.add(t + " " + s.updates.get(t));
        }
      }
      Set<AgentId> ranOn = new HashSet<>();
      s.updates.get(t).stream().filter(u -> u.state() == TaskState.RUNNING).forEach(u -> u.agentId().ifPresent(ranOn::add));
      if (ranOn.size() > 1) {
        twice.add(t + " on " + ranOn);
      }
    }
    Map<String, Object> report = new HashMap<>();
    report.put("tasks", tasks);
    report.put("kills", kills);
    report.put("final states", finals);
    report.put("launches lost in flight with a killed leader (never ran, reconciled terminal)", lostInFlight);
    report.put("new leader serving after kill (ms)", servingMillis);
    report.put("every agent re-registered with the new leader after kill (ms)", recoveredMillis);
    report.put("leader samples", samples.get());
    System.err.println("HA acceptance: " + report);

    assertThat(lostAfterRunning).as("tasks that ran but did not finish").isEmpty();
    assertThat(twice).as("task ids that ran on two agents").isEmpty();
    assertThat(doubleLeaders).as("samples with two masters acting").isEmpty();
    assertThat(samples.get()).isGreaterThan(10);
    assertThat(servingMillis).allMatch(ms -> ms <= SERVING_WITHIN.toMillis(), "within " + SERVING_WITHIN);
    assertThat(s.subscribed).as("one framework id throughout").containsOnly(s.subscribed.get(0));
    assertThat(s.subscribed.size()).isGreaterThanOrEqualTo(kills + 1);
    // A launch in flight when its master dies is lost, as in Mesos (reconciliation answers LOST
    // and a framework relaunches): the framework's calls go one POST at a time, acknowledgements
    // and accepts in one queue, so on a loaded machine that queue holds seconds of launches when
    // the leader is killed. None may be lost away from a failover, nor end other than LOST.
    assertThat(lostOutsideAFailover).as("launches lost away from a failover, or not LOST").isEmpty();
  }
}
