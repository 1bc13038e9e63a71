package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskState;
import dev.agora.core.transport.Address;
import dev.agora.examples.local.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cluster ({@code agora local}) runs a framework with its own executor: its agents sit on
 * the in-process transport, and serve the executor API to the executor JVM over HTTP on loopback.
 */
class LocalClusterExecutorTest {
  @TempDir Path work;

  @Test
  void aCustomExecutorRunsTasksOnTheLocalCluster() {
    try (LocalCluster cluster = new LocalCluster(1, Resources.parse("cpus:2;mem:1024"), "", work)) {
      assertThat(cluster.executorApiUrl(0)).startsWith("http://127.0.0.1:");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      CommandInfo command = CommandInfo.exec(java, List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), TestExecutorMain.class.getName()));
      ExecutorInfo executor = new ExecutorInfo(ExecutorId.of("test-executor"), "test executor", command,
          Resources.parse("cpus:0.1;mem:64"));
      ExecutorEndToEndTest.Framework framework = new ExecutorEndToEndTest.Framework(executor);
      SchedulerDriver driver = SchedulerDriver.builder().transport(cluster.transport())
          .address(Address.of("local-executor-framework")).master(cluster.masterAddress())
          .framework(FrameworkInfo.builder("local-executor-framework").user("root").build())
          .scheduler(framework).start();
      try {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(framework.states("t1")).endsWith(TaskState.FINISHED);
          assertThat(framework.states("t2")).endsWith(TaskState.KILLED);
          assertThat(framework.states("g1")).endsWith(TaskState.FINISHED);
          assertThat(framework.states("g2")).endsWith(TaskState.FINISHED);
        });
        assertThat(framework.heard("started:t1")).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> framework.heard("echo-reply:ping"));
      } finally {
        driver.close();
      }
    }
  }
}
