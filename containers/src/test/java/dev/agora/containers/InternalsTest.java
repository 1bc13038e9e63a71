package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unit tests of the package-private pieces: argv, environment, lookup, /proc parsing, statuses. */
class InternalsTest {
  @TempDir Path dir;

  private static ContainerConfig config(CommandInfo command, Map<String, String> env) {
    TaskInfo task = TaskInfo.of(TaskId.of("t"), AgentId.of("a"), Resources.EMPTY, command);
    return new ContainerConfig(new ContainerId("c"), task, Path.of("/tmp"), env, Optional.empty());
  }

  @Test
  void aMarkerNamesOnlyItsOwnContainer() {
    assertThat(ContainerRuntime.marks("123.4.t1", new ContainerId("t1"))).isTrue();
    assertThat(ContainerRuntime.marks("123.4.a.t1", new ContainerId("a.t1"))).isTrue();
    assertThat(ContainerRuntime.marks("123.4.a.t1", new ContainerId("t1"))).isFalse();
    assertThat(ContainerRuntime.marks("123.4.xt1", new ContainerId("t1"))).isFalse();
    assertThat(ContainerRuntime.marks("x.4.t1", new ContainerId("t1"))).isFalse();
    assertThat(ContainerRuntime.marks("t1", new ContainerId("t1"))).isFalse();
  }

  @Test
  void aReadoptedContainerHasNoExitStatus() {
    ContainerTermination exited = ProcessContainer.unknownStatus(new ContainerId("c"), false, Optional.empty());
    assertThat(exited.exitCode()).isEmpty();
    assertThat(exited.signal()).isEmpty();
    assertThat(exited.destroyed()).isFalse();
    assertThat(exited.message()).contains("exit status is unknown");
    ContainerTermination destroyed = ProcessContainer.unknownStatus(new ContainerId("c"), true, Optional.empty());
    assertThat(destroyed.destroyed()).isTrue();
    assertThat(destroyed.exitCode()).isEmpty();
    assertThat(destroyed.signal()).isEmpty();
  }

  @Test
  void shellCommandRunsThroughBinSh() {
    assertThat(Launcher.argv(CommandInfo.shell("echo hi; exit 2"))).containsExactly("/bin/sh", "-c", "echo hi; exit 2");
  }

  @Test
  void execCommandDropsArgvZero() {
    assertThat(Launcher.argv(CommandInfo.exec("/bin/ls", List.of("ls", "-l", "a b"))))
        .containsExactly("/bin/ls", "-l", "a b");
    assertThat(Launcher.argv(CommandInfo.exec("/bin/ls", List.of()))).containsExactly("/bin/ls");
  }

  @Test
  void environmentLayersInheritedThenAgentThenCommandThenMarker() {
    CommandInfo command = CommandInfo.shell("true").withEnvironment(Map.of("B", "command", "M", "task"));
    Map<String, String> env = Launcher.environment(
        Map.of("A", "inherited", "B", "inherited", "C", "inherited"),
        config(command, Map.of("B", "agent", "C", "agent")), "M", "marker");

    assertThat(env).containsExactlyInAnyOrderEntriesOf(
        Map.of("A", "inherited", "B", "command", "C", "agent", "M", "marker"));
  }

  @Test
  void findProgramFollowsExecvpRules() throws Exception {
    assertThat(Launcher.findProgram("sh", dir, "/nonexistent:/bin")).contains(Path.of("/bin/sh"));
    assertThat(Launcher.findProgram("sh", dir, "/nonexistent")).isEmpty();
    assertThat(Launcher.findProgram("/bin/sh", dir, "")).contains(Path.of("/bin/sh"));
    java.nio.file.Files.writeString(dir.resolve("data"), "not executable");
    assertThat(Launcher.findProgram("./data", dir, "")).isEmpty();
  }

  @Test
  void lookUpRejectsNamesThatAreNotNames() {
    assertThatThrownBy(() -> Launcher.lookUp("-x")).hasMessageContaining("'-x' is not a valid user name");
    assertThatThrownBy(() -> Launcher.lookUp("a:b")).hasMessageContaining("'a:b'");
  }

  @Test
  void statLineParsesACommandNameWithSpacesAndParentheses() {
    ProcessTable.Stat stat = ProcessTable.parseStat("4276 (my (odd) name) S 4272 4270 2527 0 -1 4194304");

    assertThat(stat).isEqualTo(new ProcessTable.Stat(4276, 'S', 4272, 4270, 2527));
    assertThat(stat.running()).isTrue();
    assertThat(ProcessTable.parseStat("9 (z) Z 1 9 9 0").running()).isFalse();
  }

  @Test
  void environmentEntryMatchesWholeEntriesOnly() {
    byte[] environ = "A=1\0MARK=xy\0B=2\0".getBytes(StandardCharsets.UTF_8);

    assertThat(ProcessTable.containsEntry(environ, bytes("MARK=xy"))).isTrue();
    assertThat(ProcessTable.containsEntry(environ, bytes("MARK=x"))).isFalse();
    assertThat(ProcessTable.containsEntry(environ, bytes("ARK=xy"))).isFalse();
    assertThat(ProcessTable.containsEntry(bytes("MARK=xy"), bytes("MARK=xy"))).isTrue();
    assertThat(ProcessTable.containsEntry(new byte[0], bytes("MARK=xy"))).isFalse();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void tableFindsTheCurrentSessionNeverItself() {
    ProcessTable table = new ProcessTable(Path.of("/proc"));
    long self = ProcessHandle.current().pid();
    long session = table.stat(self).orElseThrow().session();

    assertThat(table.members(session, "AGORA_NONE=none")).extracting(ProcessHandle::pid).doesNotContain(self);
    assertThat(table.members(session, "AGORA_NONE=none")).isEmpty(); // the JVM's own session is never a container's
  }

  @Test
  void exitValuesMapToMessages() {
    ContainerId id = new ContainerId("c");

    assertThat(ProcessContainer.termination(id, 0, false)).satisfies(t -> {
      assertThat(t.succeeded()).isTrue();
      assertThat(t.message()).isEqualTo("Command exited with status 0");
    });
    assertThat(ProcessContainer.termination(id, 128, false).exitCode()).hasValue(128);
    ContainerTermination interrupted = ProcessContainer.termination(id, 130, true);
    assertThat(interrupted.signal()).hasValue(2);
    assertThat(interrupted.message()).isEqualTo("Command terminated by signal SIGINT");
    assertThat(interrupted.destroyed()).isTrue();
    assertThat(ProcessContainer.termination(id, 255, false).exitCode()).hasValue(255);
  }

  @Test
  void signalNames() {
    assertThat(Signals.name(9)).isEqualTo("SIGKILL");
    assertThat(Signals.name(15)).isEqualTo("SIGTERM");
    assertThat(Signals.name(31)).isEqualTo("SIGSYS");
    assertThat(Signals.name(34)).isEqualTo("SIGRTMIN");
    assertThat(Signals.name(35)).isEqualTo("SIGRTMIN+1");
    assertThat(Signals.name(64)).isEqualTo("SIGRTMAX");
    assertThatThrownBy(() -> Signals.name(0)).hasMessageContaining("was 0");
  }
}
