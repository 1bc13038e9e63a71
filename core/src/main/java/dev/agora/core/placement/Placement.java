package dev.agora.core.placement;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A framework-side placement pipeline over offers, shaped like the Kubernetes scheduler framework:
 * <b>Filter</b> (every filter plugin must pass; each rejection keeps its reason), <b>Score</b>
 * (weighted sum of score plugins; the highest wins, ties to the earliest candidate), <b>Reserve</b>
 * (take the exact resources: scalars by accepted role, host ports from the offered ranges).
 *
 * <p>The stock pipeline ({@link #standard()}) filters on resources and on the Marathon
 * constraints (UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS on hostname or any agent
 * attribute) and scores with bin-packing.
 *
 * <p>Concurrency: immutable and thread-safe; plugins must be too. Nothing here talks to the master:
 * the caller launches the reservation and tracks what is left of each offer.
 */
public final class Placement {
  private final List<FilterPlugin> filters;
  private final List<ScorePlugin> scores;
  private final List<Double> weights;

  private Placement(Builder b) {
    this.filters = List.copyOf(b.filters);
    this.scores = List.copyOf(b.scores);
    this.weights = List.copyOf(b.weights);
  }

  /** Resources + constraints filters, bin-pack score. */
  public static Placement standard() {
    return builder().filter(resourceFilter()).filter(constraintFilter()).score(binPack(), 1.0).build();
  }

  /** Resources + constraints filters, spread score. */
  public static Placement spread() {
    return builder().filter(resourceFilter()).filter(constraintFilter()).score(spreadScore(), 1.0).build();
  }

  /** The stock resource filter (scalars and host ports, within the accepted roles). */
  public static FilterPlugin resourceFilter() {
    return new StockPlugins.ResourceFilter();
  }

  /** The stock constraint filter. */
  public static FilterPlugin constraintFilter() {
    return new StockPlugins.ConstraintFilter();
  }

  /** Prefers fuller agents. */
  public static ScorePlugin binPack() {
    return new StockPlugins.BinPackScore();
  }

  /** Prefers emptier agents with fewer peers. */
  public static ScorePlugin spreadScore() {
    return new StockPlugins.SpreadScore();
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Runs every filter on one candidate; the first rejection, or a fit. */
  public Status filter(Demand demand, Candidate candidate, List<PlacedTask> placed) {
    for (FilterPlugin f : filters) {
      Status s = f.filter(demand, candidate, placed);
      if (!s.fits()) {
        return s;
      }
    }
    return Status.fit("all");
  }

  /**
   * Places one instance of {@code demand} on the best of {@code candidates}.
   *
   * @param placed where the demand's peers already run (including those placed earlier in this round)
   */
  public Decision place(Demand demand, List<Candidate> candidates, List<PlacedTask> placed) {
    Objects.requireNonNull(demand, "demand");
    return new PlacementRound(this, candidates).decide(demand, placed);
  }

  /**
   * A round over {@code candidates} (usually one per offer of a callback) that places instances one
   * at a time, with the same decisions as {@link #place} but computing each candidate's usable
   * resources once and updating the candidate as instances land on it. Cheaper than {@link #place}
   * when many instances go onto the same offers.
   *
   * @param candidates copied; the round keeps its own current candidates
   */
  public PlacementRound round(List<Candidate> candidates) {
    return new PlacementRound(this, candidates);
  }

  List<FilterPlugin> filters() {
    return filters;
  }

  List<ScorePlugin> scores() {
    return scores;
  }

  List<Double> weights() {
    return weights;
  }

  /** Builds a pipeline; plugins run in the order added. */
  public static final class Builder {
    private final List<FilterPlugin> filters = new ArrayList<>();
    private final List<ScorePlugin> scores = new ArrayList<>();
    private final List<Double> weights = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    private Builder() {}

    /** Adds a filter; names must be unique. */
    public Builder filter(FilterPlugin plugin) {
      Objects.requireNonNull(plugin, "filter");
      if (!names.add("filter:" + plugin.name())) {
        throw new IllegalArgumentException("filter '" + plugin.name() + "' was already added");
      }
      filters.add(plugin);
      return this;
    }

    /** Adds a score with a weight > 0; names must be unique. */
    public Builder score(ScorePlugin plugin, double weight) {
      Objects.requireNonNull(plugin, "score");
      if (!(weight > 0) || !Double.isFinite(weight)) {
        throw new IllegalArgumentException("score weight must be > 0 but was " + weight);
      }
      if (!names.add("score:" + plugin.name())) {
        throw new IllegalArgumentException("score '" + plugin.name() + "' was already added");
      }
      scores.add(plugin);
      weights.add(weight);
      return this;
    }

    /** The pipeline. */
    public Placement build() {
      return new Placement(this);
    }
  }
}
