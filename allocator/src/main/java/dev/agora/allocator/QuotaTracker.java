package dev.agora.allocator;

import dev.agora.core.allocation.Quota;
import dev.agora.core.model.Resources;
import dev.agora.core.model.Roles;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The quota side of the hierarchical allocator: each role's quota, what each quota role (with its
 * descendants) consumes, and the headroom still owed to unmet guarantees.
 *
 * <p>Concurrency: confined to the allocator's thread; no locks.
 *
 * <p>Invariants (checked by {@link #check}): {@code consumed(r)} is the sum of the allocations of
 * {@code r} and its descendants, for every quota role {@code r}; {@code required} is the sum over
 * quota roles of {@code max(0, guarantee - consumed)}; {@code unmet} holds exactly the quota roles
 * whose guarantee is not met.
 */
final class QuotaTracker {
  private final Map<String, Quota> quotas = new TreeMap<>();
  private final Map<String, Resources> consumed = new HashMap<>();
  private final Set<String> unmet = new HashSet<>();
  private Resources required = Resources.EMPTY;

  boolean isEmpty() {
    return quotas.isEmpty();
  }

  Map<String, Quota> quotas() {
    return Collections.unmodifiableMap(new TreeMap<>(quotas));
  }

  Quota quota(String role) {
    return quotas.getOrDefault(role, Quota.NONE);
  }

  /** The headroom kept for unmet guarantees: the sum of every quota role's unmet part. */
  Resources required() {
    return required;
  }

  /** Whether {@code role} itself has a guarantee it has not received yet. */
  boolean hasUnmetGuarantee(String role) {
    return unmet.contains(role);
  }

  boolean anyUnmet() {
    return !unmet.isEmpty();
  }

  /** What {@code role}'s own guarantee still lacks. */
  Resources unmetGuarantee(String role) {
    Quota q = quotas.get(role);
    return q == null ? Resources.EMPTY : q.guarantee().subtractUpTo(consumed.get(role));
  }

  /**
   * Sets or clears a role's quota; {@code allocations} gives what each role holds now (scalar
   * quantities), to compute the role's consumption.
   */
  void set(String role, Quota quota, Map<String, Resources> allocations) {
    if (quota.isNone()) {
      quotas.remove(role);
      consumed.remove(role);
    } else {
      quotas.put(role, quota);
      Resources sum = Resources.EMPTY;
      for (Map.Entry<String, Resources> e : allocations.entrySet()) {
        if (Roles.isSelfOrAncestor(role, e.getKey())) {
          sum = sum.add(e.getValue());
        }
      }
      consumed.put(role, sum);
    }
    recomputeRequired();
  }

  /** The role (quantities {@code q}) received resources. */
  void allocated(String role, Resources q) {
    if (quotas.isEmpty() || q.isEmpty()) {
      return;
    }
    for (String r = role; r != null; r = parent(r)) {
      Resources c = consumed.get(r);
      if (c != null) {
        Quota quota = quotas.get(r);
        Resources before = quota.guarantee().subtractUpTo(c);
        c = c.add(q);
        consumed.put(r, c);
        if (!before.isEmpty()) {
          Resources after = quota.guarantee().subtractUpTo(c);
          required = required.subtract(before).add(after);
          if (after.isEmpty()) {
            unmet.remove(r);
          }
        }
      }
    }
  }

  /** The role (quantities {@code q}) gave resources back. */
  void unallocated(String role, Resources q) {
    if (quotas.isEmpty() || q.isEmpty()) {
      return;
    }
    for (String r = role; r != null; r = parent(r)) {
      Resources c = consumed.get(r);
      if (c != null) {
        Quota quota = quotas.get(r);
        Resources before = quota.guarantee().subtractUpTo(c);
        c = c.subtractUpTo(q);
        consumed.put(r, c);
        Resources after = quota.guarantee().subtractUpTo(c);
        if (!after.equals(before)) {
          required = required.subtractUpTo(before).add(after);
          if (!after.isEmpty()) {
            unmet.add(r);
          }
        }
      }
    }
  }

  /**
   * What {@code role} may still receive under its own and its ancestors' limits: for each limited
   * name, the smallest headroom in millis (0 when at the limit); empty if no limit applies.
   */
  Map<String, Long> limitHeadroom(String role) {
    Map<String, Long> caps = null;
    for (String r = role; r != null; r = parent(r)) {
      Quota q = quotas.get(r);
      if (q != null && !q.limit().isEmpty()) {
        Resources c = consumed.get(r);
        for (String name : q.limit().names()) {
          long h = Math.max(0, q.limit().scalarMillis(name) - c.scalarMillis(name));
          if (caps == null) {
            caps = new HashMap<>();
          }
          caps.merge(name, h, Math::min);
        }
      }
    }
    return caps == null ? Map.of() : caps;
  }

  /** Resources consumed by a quota role and its descendants; empty if it has no quota. */
  Resources consumed(String role) {
    return consumed.getOrDefault(role, Resources.EMPTY);
  }

  /** Checks the invariants against the roles' current allocations (scalar quantities). */
  void check(Map<String, Resources> allocations) {
    Resources req = Resources.EMPTY;
    for (Map.Entry<String, Quota> e : quotas.entrySet()) {
      Resources sum = Resources.EMPTY;
      for (Map.Entry<String, Resources> a : allocations.entrySet()) {
        if (Roles.isSelfOrAncestor(e.getKey(), a.getKey())) {
          sum = sum.add(a.getValue());
        }
      }
      if (!sum.equals(consumed.get(e.getKey()))) {
        throw new IllegalStateException("quota role " + e.getKey() + " consumes " + sum
            + " but the tracker counts " + consumed.get(e.getKey()));
      }
      Resources u = e.getValue().guarantee().subtractUpTo(sum);
      req = req.add(u);
      if (u.isEmpty() == unmet.contains(e.getKey())) {
        throw new IllegalStateException("quota role " + e.getKey() + " has the wrong unmet flag");
      }
    }
    if (!req.equals(required)) {
      throw new IllegalStateException("required headroom " + required + " != " + req);
    }
  }

  private void recomputeRequired() {
    Resources req = Resources.EMPTY;
    unmet.clear();
    for (Map.Entry<String, Quota> e : quotas.entrySet()) {
      Resources u = e.getValue().guarantee().subtractUpTo(consumed.get(e.getKey()));
      if (!u.isEmpty()) {
        unmet.add(e.getKey());
        req = req.add(u);
      }
    }
    required = req;
  }

  private static String parent(String role) {
    int slash = role.lastIndexOf('/');
    return slash < 0 ? null : role.substring(0, slash);
  }
}
