package dev.agora.core.placement;

import java.util.List;

/**
 * Decides whether an instance may go on an offer. Called on the caller's thread; must not block
 * and must be side-effect free (the pipeline may call it for many offers and throw the answer
 * away).
 */
public interface FilterPlugin {
  /** A short name shown with failure reasons, e.g. {@code "resources"}, {@code "constraints"}. */
  String name();

  /** Whether {@code demand} fits {@code candidate} given where its peers already run. */
  Status filter(Demand demand, Candidate candidate, List<PlacedTask> placed);
}
