package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Allocator;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resources;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Set-ups shared by the benchmarks, mirroring those of Mesos's allocator benchmarks. */
final class Clusters {
  /** A decline filter that never expires (Mesos benchmarks decline with an infinite filter). */
  static final Optional<Filters> FOREVER = Optional.of(new Filters(Duration.ofDays(365L * 100)));

  /** The agent of Mesos's DeclineOffers/SuppressOffers benchmarks. */
  static final Resources DECLINE_AGENT = Resources.parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");

  /** What a framework already uses on each such agent: {@code cpus:16;mem:2014;disk:1024} and 16 ports. */
  static final Resources DECLINE_USED;

  static {
    long[] pairs = new long[32];
    for (int i = 0; i < 16; i++) {
      pairs[2 * i] = 31000 + 2L * i;
      pairs[2 * i + 1] = 31000 + 2L * i;
    }
    DECLINE_USED = Resources.parse("cpus:16;mem:2014;disk:1024").add(
        Resources.builder().ranges("ports", Ranges.of(pairs)).build());
  }

  private Clusters() {}

  private static final int MAX_AGENTS = 50_000;
  private static final int MAX_FRAMEWORKS = 3_000;
  private static final AgentId[] AGENT_IDS = new AgentId[MAX_AGENTS];
  private static final AgentInfo[] DECLINE_INFOS = new AgentInfo[MAX_AGENTS];
  private static final FrameworkId[] FRAMEWORK_IDS = new FrameworkId[MAX_FRAMEWORKS];

  static {
    // Ids and infos are made once, outside every timed section (their validation is not the
    // allocator's cost).
    for (int i = 0; i < MAX_AGENTS; i++) {
      AGENT_IDS[i] = AgentId.of(String.format("agent-%06d", i));
      DECLINE_INFOS[i] = new AgentInfo("host-" + i, DECLINE_AGENT);
    }
    for (int i = 0; i < MAX_FRAMEWORKS; i++) {
      FRAMEWORK_IDS[i] = FrameworkId.of(String.format("framework-%05d", i));
    }
  }

  static AgentId agent(int i) {
    return i < MAX_AGENTS ? AGENT_IDS[i] : AgentId.of(String.format("agent-%06d", i));
  }

  static FrameworkId framework(int i) {
    return i < MAX_FRAMEWORKS ? FRAMEWORK_IDS[i] : FrameworkId.of(String.format("framework-%05d", i));
  }

  static FrameworkInfo frameworkInfo(int i, String role) {
    return FrameworkInfo.builder("framework-" + i).user("bench").role(role).build();
  }

  static HierarchicalAllocator newAllocator(ManualClock clock) {
    HierarchicalAllocator a = HierarchicalAllocator.builder().build();
    a.initialize(clock);
    return a;
  }

  static void addFrameworks(Allocator a, int frameworks, String role) {
    for (int i = 0; i < frameworks; i++) {
      a.addFramework(framework(i), frameworkInfo(i, role), Map.of(), true);
    }
  }

  /** Adds Mesos's DeclineOffers agents: agent i already runs {@link #DECLINE_USED} of framework i % F. */
  static void addDeclineAgents(Allocator a, int agents, int frameworks) {
    for (int i = 0; i < agents; i++) {
      AgentInfo info = i < MAX_AGENTS ? DECLINE_INFOS[i] : new AgentInfo("host-" + i, DECLINE_AGENT);
      a.addAgent(agent(i), info, DECLINE_AGENT, Map.of(framework(i % frameworks), DECLINE_USED));
    }
  }

  /** Declines every allocation with {@code filters}; returns how many there were. */
  static int declineAll(Allocator a, List<Allocation> offers, Optional<Filters> filters) {
    for (Allocation o : offers) {
      a.recoverResources(o.frameworkId(), o.agentId(), o.resources(), filters);
    }
    return offers.size();
  }
}
