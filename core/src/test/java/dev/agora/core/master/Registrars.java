package dev.agora.core.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.StateStore;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.util.List;

/** What the registry tests share: registrars on a simulation's loops, and the agents they admit. */
final class Registrars {
  private Registrars() {}

  /** A registrar over {@code store} on a new loop of {@code sim}; its failures go to {@code failures}. */
  static MasterRegistrar registrar(Simulation sim, StateStore store, String name, List<String> failures) {
    var loop = sim.newLoop(name);
    return new MasterRegistrar(loop, store, loop, failures::add);
  }

  /** Recovers {@code registrar} under {@code epoch}, running the simulation until it is done. */
  static MasterRegistrar.Recovered recover(Simulation sim, MasterRegistrar registrar, long epoch) {
    MasterRegistrar.Recovered[] got = new MasterRegistrar.Recovered[1];
    registrar.recover(epoch, r -> got[0] = r);
    sim.runUntilIdle();
    assertThat(got[0]).as("recovered under epoch %s", epoch).isNotNull();
    return got[0];
  }

  static AgentId agent(int i) {
    return AgentId.of("a-S" + i);
  }

  static AgentInfo info(int i) {
    return new AgentInfo("host-" + i, Resources.parse("cpus:4;mem:4096"));
  }

  static FrameworkInfo framework(String id) {
    return FrameworkInfo.builder(id).user("nobody").build().withId(FrameworkId.of(id));
  }
}
