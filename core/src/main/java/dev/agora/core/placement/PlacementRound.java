package dev.agora.core.placement;

import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One round of placement over a fixed list of offers: places instances one at a time, each on the
 * best candidate as {@link Placement#place} would choose it, and takes the reservation out of that
 * candidate at once. What each candidate can give (its resources usable by the demand's accepted
 * roles, its free fraction for the scores) is computed once and kept until an instance is placed on
 * it, instead of for every instance on every offer.
 *
 * <p>Decisions are exactly those of {@link Placement#place} on the same candidates: same filters in
 * the same order, same reasons, same scores, same tie-breaks. The stock plugins use the cached values;
 * other plugins are called as usual with the current {@link Candidate}.
 *
 * <p>Concurrency: not thread-safe; use one round on one thread (the scheduler callback's).
 */
public final class PlacementRound {
  private final Placement placement;
  private final Candidate[] candidates;
  /** Per candidate: the accepted-roles set {@link #usable} was computed for, or null. */
  private final Set<?>[] usableRoles;
  private final Resources[] usable;
  /** Per candidate: the port ranges of {@link #usable}, or null when not yet computed. */
  private final Ranges[] ports;
  /** Per candidate: its free fraction, or NaN when not yet computed. */
  private final double[] free;
  private Demand namesOf;
  private List<String> names = List.of();

  PlacementRound(Placement placement, List<Candidate> candidates) {
    this.placement = placement;
    this.candidates = new Candidate[candidates.size()];
    for (int i = 0; i < this.candidates.length; i++) {
      this.candidates[i] = Objects.requireNonNull(candidates.get(i), "candidate");
    }
    this.usableRoles = new Set<?>[this.candidates.length];
    this.usable = new Resources[this.candidates.length];
    this.ports = new Ranges[this.candidates.length];
    this.free = new double[this.candidates.length];
    java.util.Arrays.fill(free, Double.NaN);
  }

  /** How many candidates (offers) this round holds. */
  public int size() {
    return candidates.length;
  }

  /** Candidate {@code i} as it is now: its offer and what is still free of it after placements. */
  public Candidate candidate(int i) {
    return candidates[i];
  }

  /**
   * Places one instance of {@code demand} on the best candidate and, when placed, takes the
   * reservation's resources out of that candidate.
   *
   * @param placed where the demand's peers already run (including those placed earlier in this round)
   * @return the decision; {@link Decision.Placed#candidateIndex()} is the offer's index in this round
   */
  public Decision place(Demand demand, List<PlacedTask> placed) {
    Decision d = decide(demand, placed);
    if (d instanceof Decision.Placed p) {
      int i = p.candidateIndex();
      candidates[i] = candidates[i].minus(p.reservation().resources());
      usableRoles[i] = null;
      usable[i] = null;
      ports[i] = null;
      free[i] = Double.NaN;
    }
    return d;
  }

  /** The decision of {@link Placement#place} on the current candidates; changes nothing. */
  Decision decide(Demand demand, List<PlacedTask> placed) {
    Objects.requireNonNull(demand, "demand");
    List<FilterPlugin> filters = placement.filters();
    List<ScorePlugin> scores = placement.scores();
    List<Double> weights = placement.weights();
    Map<String, Integer> reasons = null;
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < candidates.length; i++) {
      Status s = filter(filters, demand, i, placed);
      if (s != null) {
        if (reasons == null) {
          reasons = new LinkedHashMap<>();
        }
        reasons.merge(s.reason(), 1, Integer::sum);
        continue;
      }
      double score = 0;
      for (int j = 0; j < scores.size(); j++) {
        ScorePlugin sp = scores.get(j);
        double v = sp instanceof StockPlugins.BinPackScore ? 1.0 - freeFraction(i) : sp.score(demand, candidates[i], placed);
        score += weights.get(j) * v;
      }
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) {
      return new Decision.Unschedulable(reasons == null ? Map.of() : reasons, candidates.length);
    }
    return new Decision.Placed(StockPlugins.reserve(demand, candidates[best], usable(best, demand.acceptedRoles())),
        best);
  }

  /** The first rejection of candidate {@code i}, or null when every filter passes. */
  private Status filter(List<FilterPlugin> filters, Demand demand, int i, List<PlacedTask> placed) {
    for (FilterPlugin f : filters) {
      Status s;
      if (f instanceof StockPlugins.ResourceFilter rf) {
        Resources u = usable(i, demand.acceptedRoles());
        s = rf.check(demand, names(demand), u, demand.ports().isEmpty() ? Ranges.EMPTY : ports(i, u));
      } else if (f instanceof StockPlugins.ConstraintFilter && demand.constraints().isEmpty()) {
        continue;
      } else {
        s = f.filter(demand, candidates[i], placed);
      }
      if (s != null && !s.fits()) {
        return s;
      }
    }
    return null;
  }

  private List<String> names(Demand demand) {
    if (namesOf != demand) {
      names = new ArrayList<>(demand.scalars().names());
      namesOf = demand;
    }
    return names;
  }

  private Resources usable(int i, Set<String> roles) {
    if (usable[i] == null || !roles.equals(usableRoles[i])) {
      usable[i] = StockPlugins.usable(candidates[i].available(), roles);
      usableRoles[i] = roles;
      ports[i] = null;
    }
    return usable[i];
  }

  private Ranges ports(int i, Resources usableResources) {
    if (ports[i] == null) {
      ports[i] = usableResources.ranges("ports");
    }
    return ports[i];
  }

  private double freeFraction(int i) {
    if (Double.isNaN(free[i])) {
      free[i] = StockPlugins.freeFraction(candidates[i]);
    }
    return free[i];
  }
}
