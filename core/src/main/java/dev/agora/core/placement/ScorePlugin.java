package dev.agora.core.placement;

import java.util.List;

/**
 * Ranks offers that passed every filter; higher is better. Called on the caller's thread; must not
 * block or have side effects. Scores should lie in [0, 1]; the pipeline sums weighted scores.
 */
public interface ScorePlugin {
  /** A short name for logs. */
  String name();

  /** How good {@code candidate} is for {@code demand}. */
  double score(Demand demand, Candidate candidate, List<PlacedTask> placed);
}
