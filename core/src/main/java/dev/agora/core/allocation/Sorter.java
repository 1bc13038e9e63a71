package dev.agora.core.allocation;

import dev.agora.core.model.Resources;
import java.util.List;
import java.util.function.Predicate;

/**
 * Orders the clients of one level of an allocator (roles, or the frameworks of one role) so that
 * the first client in {@link #sort()} is the one that should receive the next resources, as the
 * sorters of the Mesos hierarchical allocator do. A client is an opaque, non-empty name (a role
 * name or a framework id's value).
 *
 * <p>The sorter keeps, per client, the scalar quantities allocated to it (names only: the
 * reservation role of a resource does not matter), and the scalar quantities of the pool being
 * shared ({@link #addTotal}, {@link #removeTotal}). Non-scalar resources (ranges, sets) are
 * ignored. Only <em>active</em> clients appear in {@link #sort()}.
 *
 * <p>Concurrency: an allocator creates its sorters and calls them only from its own thread (the
 * master's event loop), one call at a time. Implementations are not thread-safe, need no locks
 * and must not block.
 *
 * <p>Errors: a call with an unknown client (except {@link #updateWeight} and {@link #remove}), a
 * bad weight, or an allocation or total that would go negative throws
 * {@link IllegalArgumentException} naming the value, and then has had no effect. A sorter never
 * calls back into the allocator.
 *
 * <p>Nullability: no parameter may be null; no method returns null.
 */
public interface Sorter {
  /** A short name for logs, e.g. {@code drf}. */
  String name();

  /**
   * Adds an active client with nothing allocated.
   *
   * @throws IllegalArgumentException if the name is empty or the client is already present
   */
  void add(String client);

  /**
   * Removes a client and forgets its allocation (the pool total is unchanged). Idempotent: an
   * unknown client is ignored. A weight set for the client is kept.
   */
  void remove(String client);

  /** Whether the client is present, active or not. */
  boolean contains(String client);

  /** Includes the client in {@link #sort()} again. Idempotent. */
  void activate(String client);

  /** Leaves the client out of {@link #sort()} while keeping its allocation. Idempotent. */
  void deactivate(String client);

  /**
   * Sets a client's weight (default 1): a client of weight 2 is entitled to twice the share of a
   * client of weight 1. A weight may be set before the client is added and outlives its removal.
   *
   * @throws IllegalArgumentException naming the client and the weight if it is not positive and
   *     finite
   */
  void updateWeight(String client, double weight);

  /** Adds to the pool being shared (an agent was added). */
  void addTotal(Resources resources);

  /**
   * Removes from the pool being shared (an agent was removed).
   *
   * @throws IllegalArgumentException if the pool does not hold these quantities
   */
  void removeTotal(Resources resources);

  /** Records resources given to a client. */
  void allocated(String client, Resources resources);

  /**
   * Records resources taken back from a client.
   *
   * @throws IllegalArgumentException if the client's allocation does not hold these quantities
   */
  void unallocated(String client, Resources resources);

  /** The scalar quantities allocated to a client, unreserved; empty for an unknown client. */
  Resources allocation(String client);

  /**
   * The active clients, first the one that should receive resources next; ties are broken by
   * name so that the order is deterministic. The list is an immutable snapshot: later calls do
   * not change it, so a caller may allocate while iterating it.
   */
  List<String> sort();

  /**
   * Visits the active clients in {@link #sort()} order until {@code visitor} returns true, without
   * building a snapshot: the allocator's hot path. The visitor may change this sorter (allocate to
   * the client it was given) only if it then returns true, which ends the visit; changing it and
   * returning false leaves the rest of the visit undefined. The default walks {@link #sort()}.
   *
   * @return whether the visitor returned true for some client
   */
  default boolean visit(Predicate<String> visitor) {
    for (String client : sort()) {
      if (visitor.test(client)) {
        return true;
      }
    }
    return false;
  }
}
