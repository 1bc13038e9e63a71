package dev.agora.core.placement;

import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;

/**
 * An offer as the placement sees it: the offer, and what of it is still free after instances
 * already placed on it in this round.
 *
 * @param offer the offer (hostname, attributes, agent)
 * @param available what is still free; starts as {@code offer.resources()}
 */
public record Candidate(Offer offer, Resources available) {
  public Candidate {
    if (offer == null || available == null) {
      throw new IllegalArgumentException("candidate offer and available must not be null");
    }
  }

  /** A fresh candidate: the whole offer free. */
  public static Candidate of(Offer offer) {
    return new Candidate(offer, offer.resources());
  }

  /** The candidate with {@code taken} no longer free. */
  public Candidate minus(Resources taken) {
    return new Candidate(offer, available.subtract(taken));
  }
}
