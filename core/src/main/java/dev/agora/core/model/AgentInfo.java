package dev.agora.core.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * What an agent tells the master about itself when it registers.
 *
 * @param hostname the agent's host name, as frameworks see it in offers
 * @param resources everything the agent offers (its total)
 * @param attributes descriptive attributes for constraints; never null, may be empty
 */
public record AgentInfo(String hostname, Resources resources, Map<String, AttributeValue> attributes) {
  public AgentInfo {
    if (hostname == null || hostname.isBlank()) {
      throw new IllegalArgumentException("agent hostname must not be empty");
    }
    if (resources == null) {
      throw new IllegalArgumentException("agent resources must not be null");
    }
    attributes = java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
  }

  /** An agent with no attributes. */
  public AgentInfo(String hostname, Resources resources) {
    this(hostname, resources, Map.of());
  }
}
