package dev.agora.core.placement;

import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import java.util.List;

/**
 * Where an instance goes and what it takes: the offer, the exact resources (with their roles, and
 * the assigned port numbers as ranges) and the host ports in the demand's order.
 *
 * @param offer the chosen offer
 * @param resources what to put in the TaskInfo; subtract from the candidate before placing more
 * @param ports the host port for each demanded port, in order
 */
public record Reservation(Offer offer, Resources resources, List<Long> ports) {
  public Reservation {
    ports = List.copyOf(ports);
  }
}
