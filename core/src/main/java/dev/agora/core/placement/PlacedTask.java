package dev.agora.core.placement;

import dev.agora.core.model.AttributeValue;
import java.util.Map;

/**
 * Where one already placed instance of the same group (app) runs, for constraints that count
 * peers (UNIQUE, GROUP_BY, MAX_PER, CLUSTER without value).
 *
 * @param hostname the agent's host name
 * @param attributes the agent's attributes
 */
public record PlacedTask(String hostname, Map<String, AttributeValue> attributes) {
  public PlacedTask {
    if (hostname == null || hostname.isBlank()) {
      throw new IllegalArgumentException("placed task hostname must not be empty");
    }
    attributes = Map.copyOf(attributes);
  }
}
