package dev.agora.core.master;

import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import dev.agora.core.transport.Address;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Framework messages between schedulers and their executors (Mesos {@code MESSAGE}), through the
 * master: best effort, as in Mesos (a message for an unknown agent or a disconnected framework is
 * dropped and logged). Runs on the master's loop.
 */
final class ExecutorMessageRouter {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorMessageRouter.class);

  private ExecutorMessageRouter() {}

  /** A scheduler's MESSAGE call: forwarded to the executor's agent. */
  static void toExecutor(MasterActor master, Registry registry, FrameworkEntry f, SchedulerCall.FrameworkMessage m) {
    AgentEntry a = registry.agents.get(m.agentId());
    if (a == null) {
      LOG.info("framework {}: dropping a message for executor {} on unknown agent {}", f.id, m.executorId(),
          m.agentId());
      return;
    }
    master.send(a.address, new AgentMessage.FrameworkToExecutor(f.id, m.executorId(),
        Base64.getEncoder().encodeToString(m.data())));
  }

  /** An executor's message, relayed by its agent: forwarded to the framework's scheduler. */
  static void toFramework(MasterActor master, Registry registry, Address from, AgentMessage.ExecutorToFramework m) {
    AgentEntry a = registry.agents.get(m.agentId());
    if (a == null || !a.address.equals(from)) {
      LOG.warn("dropping an executor message claiming agent {} from {}", m.agentId(), from);
      return;
    }
    FrameworkEntry f = registry.frameworks.get(m.frameworkId());
    if (f == null || !f.connected) {
      LOG.info("dropping a message of executor {} for framework {}, which is not connected", m.executorId(),
          m.frameworkId());
      return;
    }
    master.send(f.address, new SchedulerEvent.FrameworkMessage(a.id, m.executorId(),
        Base64.getDecoder().decode(m.base64Data())));
  }

  /** An agent reports one of its framework executors ended: the executor's resources come back. */
  static void exited(MasterActor master, Registry registry, Address from, AgentMessage.ExitedExecutor x) {
    AgentEntry a = registry.agents.get(x.agentId());
    if (a == null || !a.address.equals(from)) {
      LOG.warn("dropping an executor exit claiming agent {} from {}", x.agentId(), from);
      return;
    }
    master.executors().exited(a.id, x.frameworkId(), x.executorId());
    master.requestAllocation(a.id);
  }
}
