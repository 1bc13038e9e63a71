package dev.agora.core.allocation;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;

/**
 * Resources of one agent given to one framework in one of its roles; the master turns each into
 * an offer.
 */
public record Allocation(FrameworkId frameworkId, String role, AgentId agentId, Resources resources) {
  public Allocation {
    if (resources.isEmpty()) {
      throw new IllegalArgumentException("allocation of nothing to " + frameworkId + " on " + agentId);
    }
  }
}
