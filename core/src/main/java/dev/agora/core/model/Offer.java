package dev.agora.core.model;

import java.util.Map;

/**
 * Resources on one agent offered to one framework, allocated to one of its roles.
 *
 * @param id unique for the master's lifetime; an offer is valid until accepted, declined or
 *     rescinded, and may be used once
 * @param frameworkId the framework the offer is for
 * @param agentId the agent the resources are on
 * @param hostname the agent's host name
 * @param resources what is offered
 * @param allocationRole the role the resources are allocated to
 * @param attributes the agent's attributes
 */
public record Offer(
    OfferId id,
    FrameworkId frameworkId,
    AgentId agentId,
    String hostname,
    Resources resources,
    String allocationRole,
    Map<String, AttributeValue> attributes) {
  public Offer {
    attributes = Map.copyOf(attributes);
  }
}
