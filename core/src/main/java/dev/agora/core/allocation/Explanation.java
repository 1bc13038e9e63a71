package dev.agora.core.allocation;

import dev.agora.core.model.FrameworkId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Why a framework received what it did in the allocation cycles so far, as of now: for each of
 * its roles, the reasons it may not receive each agent's free resources, counted over agents.
 * Answers "why does my framework get no offers?". Immutable.
 *
 * @param frameworkId the framework asked about
 * @param known whether the allocator knows the framework (if not, everything else is empty)
 * @param roles one entry per role the framework subscribes
 */
public record Explanation(FrameworkId frameworkId, boolean known, List<RoleExplanation> roles) {
  public Explanation {
    Objects.requireNonNull(frameworkId, "frameworkId");
    roles = List.copyOf(roles);
  }

  /** Why an agent's free resources would not go to the framework in one role. */
  public enum Reason {
    /** The framework is not active (disconnected, or added inactive). */
    FRAMEWORK_INACTIVE,
    /** The framework suppressed offers for the role. */
    SUPPRESSED,
    /** The agent is deactivated (by an operator, or draining for maintenance): it offers nothing. */
    AGENT_INACTIVE,
    /** The agent has nothing free that the role may use (all allocated, or reserved to other roles). */
    NOTHING_FREE,
    /** What is free is below the minimum allocatable resources. */
    BELOW_MINIMUM_ALLOCATABLE,
    /** The role (or an ancestor) is at its quota limit in what is free here. */
    QUOTA_LIMIT,
    /** Offering it would eat the headroom kept for other roles' unmet quota guarantees. */
    QUOTA_HEADROOM,
    /** A decline filter of the framework holds back what is free on the agent. */
    FILTERED,
    /** Nothing holds it back: the framework is offered these resources at the next cycle. */
    OFFERABLE
  }

  /**
   * The reasons for one role.
   *
   * @param role the role
   * @param agents how many agents each reason applies to (the first reason found per agent)
   */
  public record RoleExplanation(String role, Map<Reason, Integer> agents) {
    public RoleExplanation {
      Objects.requireNonNull(role, "role");
      agents = Map.copyOf(agents);
    }
  }
}
