package dev.agora.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Linux containerizer's small parts, without cgroups. */
class LinuxInternalsTest {
  @TempDir Path dir;

  @Test
  void sharesMapToWeightsAsRuncMapsThem() {
    assertThat(CgroupsV2.weight(2)).isEqualTo(1);
    assertThat(CgroupsV2.weight(1024)).isEqualTo(39);
    assertThat(CgroupsV2.weight(262_144)).isEqualTo(10_000);
    assertThat(CgroupsV2.weight(1)).isEqualTo(1);
    assertThat(CgroupsV2.weight(1_000_000)).isEqualTo(10_000);
  }

  @Test
  void shellQuotingSurvivesQuotes() throws Exception {
    String word = "it's a \"test\" $HOME `x`";
    Process p = new ProcessBuilder("/bin/sh", "-c", "printf %s " + CgroupIsolation.quote(word)).start();
    assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo(word);
  }

  @Test
  void aNamespaceInitWithoutATermHandlerIsRecognised() {
    String init = "Name:\tsleep\nNSpid:\t4242\t1\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
    String handles = "NSpid:\t4242\t1\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000004000\n";
    String ignores = "NSpid:\t4242\t1\nSigIgn:\t0000000000004000\nSigCgt:\t0000000000000000\n";
    String notInit = "NSpid:\t4242\t7\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
    String rootNamespace = "NSpid:\t4242\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";

    assertThat(NamespaceInit.isInitIgnoringTerm(init)).isTrue();
    assertThat(NamespaceInit.isInitIgnoringTerm(handles)).isFalse();
    assertThat(NamespaceInit.isInitIgnoringTerm(ignores)).isFalse();
    assertThat(NamespaceInit.isInitIgnoringTerm(notInit)).isFalse();
    assertThat(NamespaceInit.isInitIgnoringTerm(rootNamespace)).isFalse();
  }

  @Test
  void keyedAndNumberFilesAreRead() throws IOException {
    Files.writeString(dir.resolve("oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    Files.writeString(dir.resolve("max"), "max\n");
    Files.writeString(dir.resolve("procs"), "12\n34\n");

    assertThat(CgroupFiles.keyed(dir.resolve("oom_control"), "oom_kill", -1)).isEqualTo(3);
    assertThat(CgroupFiles.keyed(dir.resolve("oom_control"), "nothing", -1)).isEqualTo(-1);
    assertThat(CgroupFiles.number(dir.resolve("max"), 0)).isEqualTo(Long.MAX_VALUE);
    assertThat(CgroupFiles.number(dir.resolve("missing"), 7)).isEqualTo(7);
    assertThat(CgroupFiles.pids(dir.resolve("procs"))).isEqualTo(List.of(12L, 34L));
    assertThat(CgroupFiles.pids(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void megabytesPrintAsMesosPrintsThem() {
    assertThat(Cgroups.megabytes(64L << 20)).isEqualTo("64 MB");
    assertThat(Cgroups.megabytes(2048L << 20)).isEqualTo("2 GB");
    assertThat(Cgroups.megabytes(1536L << 20)).isEqualTo("1536 MB");
  }
}
