package dev.agora.core.allocation;

import dev.agora.core.model.Resources;
import java.util.List;
import java.util.Objects;

/**
 * What an allocator knows of one role, for the operator API ({@code GET_ROLES}). Immutable.
 *
 * @param role the role name
 * @param weight its weight (1 unless set)
 * @param quota its quota ({@link Quota#NONE} unless set)
 * @param allocated the scalar quantities allocated to the role and its children (offered or used)
 * @param reserved what agents hold reserved to exactly this role, allocated or not
 * @param dominantShare the role's allocated share of the cluster in its dominant resource, 0..1
 * @param frameworks the ids of the frameworks subscribed to the role, sorted
 * @param guaranteeBeyondCluster the part of the quota guarantee that exceeds what the whole
 *     cluster holds now: accepted (the cluster may grow) but unmet until it does; empty normally
 */
public record RoleInfo(String role, double weight, Quota quota, Resources allocated, Resources reserved,
    double dominantShare, List<String> frameworks, Resources guaranteeBeyondCluster) {
  /** A role whose guarantee the cluster can hold. */
  public RoleInfo(String role, double weight, Quota quota, Resources allocated, Resources reserved,
      double dominantShare, List<String> frameworks) {
    this(role, weight, quota, allocated, reserved, dominantShare, frameworks, Resources.EMPTY);
  }

  public RoleInfo {
    Objects.requireNonNull(guaranteeBeyondCluster, "guaranteeBeyondCluster");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(quota, "quota");
    Objects.requireNonNull(allocated, "allocated");
    Objects.requireNonNull(reserved, "reserved");
    frameworks = List.copyOf(frameworks);
  }
}
