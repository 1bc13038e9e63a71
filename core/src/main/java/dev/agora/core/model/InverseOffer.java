package dev.agora.core.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The master asks a framework to vacate an agent (Mesos {@code InverseOffer}): the agent's machine
 * is scheduled for maintenance from {@code start} for {@code duration}. The framework answers with
 * ACCEPT_INVERSE_OFFERS (it will be off the agent in time) or DECLINE_INVERSE_OFFERS. Immutable.
 */
public record InverseOffer(OfferId id, FrameworkId frameworkId, AgentId agentId, String hostname, Instant start,
    Duration duration) {
  public InverseOffer {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(frameworkId, "frameworkId");
    Objects.requireNonNull(agentId, "agentId");
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(duration, "duration");
  }
}
