package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.Resources;

/**
 * What the allocator knows of one agent. Mutable; confined to the allocator's thread.
 *
 * <p>Invariant: {@code allocated + free == total} ({@code allocated} is derived: {@code total -
 * free}); {@code allocated} is the sum of every framework's allocation on this agent plus what
 * frameworks not yet added use here (checked by the allocator's invariant check).
 */
final class AgentState {
  final AgentId id;
  Resources total;
  private Resources free;
  /** {@code !free.isEmpty()}, kept here so that a scan of agents need not read their resources. */
  private boolean hasFree;
  /**
   * Decline filters on this agent by framework (sorter client). Kept on the agent, not the
   * framework, so that a cycle pays one probe per framework it considers, and none at all on an
   * agent without filters.
   */
  final FilterTable filters = new FilterTable();
  /** False while an operator deactivated the agent (or it drains): it offers nothing. Call {@link #sync} after a change. */
  boolean active = true;
  /**
   * The allocator's candidate version at which a cycle last visited this agent and could give
   * nothing away; -1 once its free resources changed since. A cycle skips a clean agent whose
   * filters have not expired since (batched allocation: only touched agents are looked at). Call
   * {@link #sync} after a change.
   */
  long cleanVersion = -1;
  /** The columns the full cycle's scan reads, and this agent's slot there; null until attached. */
  private AgentColumns columns;
  private int slot;
  /**
   * The last answer to "what of the free resources may role R be offered" without quota: the free
   * resources (by identity: they are immutable), the role (by identity) and the answer (null:
   * nothing worth offering). Saves recomputing it on every cycle that visits the agent unchanged.
   */
  private Resources offerableFree;
  private String offerableRole;
  private Resources offerable;
  /** What frameworks hold here, by framework and role (few: a short array beats a map). */
  private Holding[] holdings = new Holding[2];
  /** {@code holdings[i].framework}, kept beside them so that a lookup reads one array. */
  private FrameworkState[] holders = new FrameworkState[2];
  private int holdingCount;
  /** When the earliest of {@link #filters} expires (meaningful only while there are filters). */
  private long nextExpiry;

  AgentState(AgentId id, Resources total) {
    this.id = id;
    this.total = total;
    this.free = total;
    this.hasFree = !total.isEmpty();
  }

  /** {@code total - free}, computed on demand (only checks and views need it). */
  Resources allocated() {
    return total.subtract(free);
  }

  Resources free() {
    return free;
  }

  boolean hasFree() {
    return hasFree;
  }

  /** Moves {@code resources} from free to allocated; they must be free. */
  void allocate(Resources resources) {
    // Identity fast path: a cycle usually hands out all that is free, as the very object.
    free = resources == free ? Resources.EMPTY : free.subtract(resources);
    hasFree = !free.isEmpty();
    cleanVersion = -1;
    sync();
  }

  /**
   * Moves {@code resources} from allocated to free; they must be allocated. When nothing was
   * free, the free resources become the very object given back, so that a decline filter made
   * from it matches the next offer by identity.
   */
  void release(Resources resources) {
    free = free.isEmpty() ? resources : free.add(resources);
    hasFree = !free.isEmpty();
    cleanVersion = -1;
    sync();
  }

  /**
   * Replaces {@code from} by {@code to} (same quantities, other reservations) in the total and,
   * if {@code free}, in the free resources (else they stay allocated).
   */
  void convert(Resources from, Resources to, boolean isFree) {
    total = total.subtract(from).add(to);
    if (isFree) {
      free = free.subtract(from).add(to);
      hasFree = !free.isEmpty();
    }
    cleanVersion = -1;
    sync();
  }

  /** Whether a cycle at {@code version} and {@code nowNanos} would give nothing away here, as the last one did. */
  boolean clean(long version, long nowNanos) {
    return cleanVersion == version && (nextExpiry - nowNanos > 0 || filters.isEmpty());
  }

  /** Records that a cycle at {@code version} gave nothing away here; drops expired filters. */
  void markClean(long version, long nowNanos) {
    if (!filters.isEmpty() && nextExpiry - nowNanos <= 0) {
      nextExpiry = filters.expire(nowNanos);
    }
    cleanVersion = version;
    sync();
  }

  void addFilter(String client, OfferFilter filter) {
    if (filters.isEmpty() || filter.expiresAtNanos() - nextExpiry < 0) {
      nextExpiry = filter.expiresAtNanos();
    }
    filters.add(client, filter);
    sync();
  }

  /** Puts this agent at {@code slot} of {@code columns} (the scan's copy of its fields). */
  void attach(AgentColumns columns, int slot) {
    this.columns = columns;
    this.slot = slot;
    sync();
  }

  /** Writes the fields the scan reads to the columns (after any change to them, filters included). */
  void sync() {
    AgentColumns c = columns;
    if (c != null) {
      c.flags[slot] = (byte) ((active ? AgentColumns.ACTIVE : 0) | (hasFree ? AgentColumns.HAS_FREE : 0)
          | (filters.isEmpty() ? 0 : AgentColumns.HAS_FILTERS));
      c.cleanVersion[slot] = cleanVersion;
      c.nextExpiry[slot] = nextExpiry;
    }
  }

  /** Whether the columns hold this agent's fields (the allocator's invariant check). */
  boolean synced(AgentColumns expected, int expectedSlot) {
    if (columns != expected || slot != expectedSlot) {
      return false;
    }
    byte f = (byte) ((active ? AgentColumns.ACTIVE : 0) | (hasFree ? AgentColumns.HAS_FREE : 0)
        | (filters.isEmpty() ? 0 : AgentColumns.HAS_FILTERS));
    return columns.flags[slot] == f && columns.cleanVersion[slot] == cleanVersion
        && (filters.isEmpty() || columns.nextExpiry[slot] == nextExpiry);
  }

  /** Whether a live filter of {@code client} holds back {@code offered} (expired ones are dropped by {@link #markClean}). */
  boolean isFiltered(String client, Resources offered, long nowNanos) {
    return !filters.isEmpty() && filters.blocks(client, offered, nowNanos, nextExpiry - nowNanos > 0);
  }

  /** Whether {@code free} fits in {@code total}, so that {@code allocated + free == total}. */
  boolean consistent() {
    return total.contains(free);
  }

  /** Whether {@link #knownOfferable} answers for {@code role} and the current free resources. */
  boolean offerableKnown(String role) {
    return offerableRole == role && offerableFree == free;
  }

  /** The answer recorded by {@link #knowOfferable}, when {@link #offerableKnown}. */
  Resources knownOfferable() {
    return offerable;
  }

  /** Records what of the current free resources {@code role} may be offered (null: nothing). */
  void knowOfferable(String role, Resources offered) {
    offerableRole = role;
    offerableFree = free;
    offerable = offered;
  }

  /** What {@code framework} holds here in {@code role}, or null. */
  Holding holding(FrameworkState framework, String role) {
    for (int i = 0; i < holdingCount; i++) {
      if (holders[i] == framework) {
        Holding h = holdings[i];
        if (h.role == role || h.role.equals(role)) {
          return h;
        }
      }
    }
    return null;
  }

  /** The holdings here (a copy). */
  java.util.List<Holding> holdings() {
    return java.util.List.of(java.util.Arrays.copyOf(holdings, holdingCount));
  }

  void link(Holding h) {
    if (holdingCount == holdings.length) {
      holdings = java.util.Arrays.copyOf(holdings, 2 * holdingCount);
      holders = java.util.Arrays.copyOf(holders, 2 * holdingCount);
    }
    holders[holdingCount] = h.framework;
    holdings[holdingCount++] = h;
  }

  void unlink(Holding h) {
    for (int i = 0; i < holdingCount; i++) {
      if (holdings[i] == h) {
        holdingCount--;
        holdings[i] = holdings[holdingCount];
        holders[i] = holders[holdingCount];
        holdings[holdingCount] = null;
        holders[holdingCount] = null;
        return;
      }
    }
    throw new IllegalStateException("holding of " + h.framework.id + " in " + h.role + " is not on agent " + id);
  }
}
