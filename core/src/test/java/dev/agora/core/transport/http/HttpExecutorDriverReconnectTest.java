package dev.agora.core.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.executor.Executor;
import dev.agora.core.executor.ExecutorDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Clock;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The HTTP executor driver reconnects to a restarted agent when its framework checkpoints, with
 * backoff bounded by the recovery timeout, and resubscribes with what the agent has not
 * acknowledged.
 */
class HttpExecutorDriverReconnectTest {
  private static final FrameworkId FW = FrameworkId.of("fw-1");
  private static final ExecutorId EX = ExecutorId.of("ex-1");

  /** A fake agent on a real HTTP transport: records calls, answers SUBSCRIBE, launches {@code t1} once. */
  static final class FakeAgent implements AutoCloseable {
    final HttpTransport transport;
    final ThreadEventLoop loop = ThreadEventLoop.start("fake-agent");
    final List<Message> received = new CopyOnWriteArrayList<>();
    final Endpoint endpoint;

    FakeAgent(int port, boolean launch) {
      transport = HttpTransport.builder().host("127.0.0.1").port(port).build();
      Address self = transport.address("agent");
      endpoint = transport.bind(self, loop, new MessageHandler() {
        @Override
        public void onMessage(Address from, Message message) {
          received.add(message);
          if (message instanceof ExecutorCall.Subscribe) {
            endpoint.send(from, new ExecutorEvent.Subscribed(ExecutorInfo.of(EX, CommandInfo.shell("x")), FW,
                FrameworkInfo.builder("f").user("nobody").checkpoint(true).build(), AgentId.of("a-1")));
            if (launch) {
              endpoint.send(from, new ExecutorEvent.Launch(TaskInfo.of(TaskId.of("t1"), AgentId.of("a-1"),
                  Resources.parse("cpus:1"), CommandInfo.shell("x"))));
            }
          }
        }
      });
      transport.serveExecutorApi(self);
      transport.start();
    }

    int port() {
      return URI.create(transport.baseUrl()).getPort();
    }

    List<ExecutorCall.Subscribe> subscriptions() {
      return received.stream().filter(m -> m instanceof ExecutorCall.Subscribe)
          .map(m -> (ExecutorCall.Subscribe) m).toList();
    }

    @Override
    public void close() {
      endpoint.close();
      transport.close();
      loop.shutdown();
    }
  }

  private static Executor runningExecutor(List<String> subscribed) {
    return new Executor() {
      @Override
      public void subscribed(ExecutorDriver driver, ExecutorInfo info, FrameworkId frameworkId, AgentId agentId) {
        subscribed.add(agentId.value());
      }

      @Override
      public void launch(ExecutorDriver driver, TaskInfo task) {
        driver.sendStatusUpdate(task.taskId(), TaskState.RUNNING, null);
      }

      @Override
      public void kill(ExecutorDriver driver, TaskId taskId) {}
    };
  }

  private static Map<String, String> env(int port, boolean checkpoint) {
    return Map.of("MESOS_AGENT_ENDPOINT", "127.0.0.1:" + port, "MESOS_FRAMEWORK_ID", FW.value(),
        "MESOS_EXECUTOR_ID", EX.value(), "MESOS_CHECKPOINT", checkpoint ? "1" : "0",
        "MESOS_RECOVERY_TIMEOUT", "1mins");
  }

  @Test
  void resubscribesToARestartedAgentWithItsUnacknowledgedUpdatesAndTasks() throws Exception {
    List<String> subscribed = new CopyOnWriteArrayList<>();
    FakeAgent first = new FakeAgent(0, true);
    int port = first.port();
    HttpExecutorDriver driver = HttpExecutorDriver.fromEnvironment(env(port, true), runningExecutor(subscribed));
    List<HttpExecutorDriver.Outcome> outcome = new CopyOnWriteArrayList<>();
    Thread runner = new Thread(() -> outcome.add(driver.run()), "executor-driver");
    runner.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> first.received.stream()
        .anyMatch(m -> m instanceof ExecutorCall.Update));
    first.close(); // the agent goes away

    FakeAgent second = new FakeAgent(port, false); // and comes back on the same port
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> !second.subscriptions().isEmpty());
      ExecutorCall.Subscribe again = second.subscriptions().get(0);
      assertThat(again.unacknowledgedUpdates()).extracting(s -> s.taskId().value() + " " + s.state())
          .containsExactly("t1 RUNNING");
      assertThat(again.unacknowledgedTasks()).extracting(t -> t.taskId().value()).containsExactly("t1");
      await().atMost(Duration.ofSeconds(30)).until(() -> subscribed.size() == 2);
      assertThat(outcome).as("still running").isEmpty();
    } finally {
      driver.stop();
      runner.join(10_000);
      second.close();
    }
  }

  @Test
  void givesUpAfterTheRecoveryTimeoutWithBackoffInVirtualTime() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    AtomicLong now = new AtomicLong();
    List<Duration> waits = new ArrayList<>();
    Clock virtual = new Clock() {
      @Override
      public Instant instant() {
        return Instant.ofEpochSecond(0).plusNanos(now.get());
      }

      @Override
      public long nanoTime() {
        return now.get();
      }
    };
    HttpExecutorDriver driver = HttpExecutorDriver.fromEnvironment(env(port, true),
        runningExecutor(new ArrayList<>())).timing(virtual, d -> {
          waits.add(d);
          now.addAndGet(d.toNanos());
        });
    assertThat(driver.run()).isEqualTo(HttpExecutorDriver.Outcome.DISCONNECTED);
    assertThat(waits).startsWith(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(10), Duration.ofSeconds(10));
    assertThat(waits.stream().reduce(Duration.ZERO, Duration::plus)).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void withoutCheckpointingItDoesNotReconnect() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<Duration> waits = new ArrayList<>();
    HttpExecutorDriver driver = HttpExecutorDriver.fromEnvironment(env(port, false),
        runningExecutor(new ArrayList<>())).timing(Clock.system(), waits::add);
    assertThat(driver.run()).isEqualTo(HttpExecutorDriver.Outcome.DISCONNECTED);
    assertThat(waits).isEmpty();
  }

  @Test
  void readsMesosDurations() {
    assertThat(HttpExecutorDriver.mesosDuration("X", "15mins")).isEqualTo(Duration.ofMinutes(15));
    assertThat(HttpExecutorDriver.mesosDuration("X", "1.5secs")).isEqualTo(Duration.ofMillis(1500));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpExecutorDriver.mesosDuration("X", "15 minutes"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("X").hasMessageContaining("15 minutes");
  }
}
