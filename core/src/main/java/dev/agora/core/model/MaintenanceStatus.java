package dev.agora.core.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Where maintenance stands (Mesos {@code maintenance.ClusterStatus}, plus the agents being
 * drained or deactivated). Immutable.
 *
 * @param drainingMachines scheduled machines not yet down, with the frameworks' answers to their
 *     inverse offers
 * @param downMachines machines in maintenance (no agent of theirs may register)
 * @param drainingAgents agents being drained (DRAIN_AGENT), and whether they are drained yet
 * @param deactivatedAgents agents deactivated by an operator or by draining: they offer nothing
 */
public record MaintenanceStatus(List<DrainingMachine> drainingMachines, List<MachineId> downMachines,
    List<DrainingAgent> drainingAgents, List<AgentId> deactivatedAgents) {
  public MaintenanceStatus {
    drainingMachines = List.copyOf(drainingMachines);
    downMachines = List.copyOf(downMachines);
    drainingAgents = List.copyOf(drainingAgents);
    deactivatedAgents = List.copyOf(deactivatedAgents);
  }

  /** A framework's last answer to an inverse offer (Mesos {@code InverseOfferStatus}). */
  public enum Answer { UNKNOWN, ACCEPT, DECLINE }

  /** One framework's answer for a machine, and when it was given (or the inverse offer made). */
  public record InverseOfferStatus(FrameworkId frameworkId, Answer answer, Instant timestamp) {
    public InverseOfferStatus {
      Objects.requireNonNull(frameworkId, "frameworkId");
      Objects.requireNonNull(answer, "answer");
      Objects.requireNonNull(timestamp, "timestamp");
    }
  }

  /** A scheduled machine and the answers of the frameworks asked to leave it. */
  public record DrainingMachine(MachineId id, List<InverseOfferStatus> statuses) {
    public DrainingMachine {
      Objects.requireNonNull(id, "id");
      statuses = List.copyOf(statuses);
    }
  }

  /** An agent being drained; {@code drained} once no task of it is left. */
  public record DrainingAgent(AgentId agentId, boolean drained) {
    public DrainingAgent {
      Objects.requireNonNull(agentId, "agentId");
    }
  }
}
