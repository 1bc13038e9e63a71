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
   * Decline filters on this agent by framework ({@link FrameworkState#index}). Kept on the agent, not the
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
  /**
   * What frameworks hold here, as pairs: {@code held[2i]} is the framework of holding {@code
   * held[2i + 1]}, kept beside it so that a lookup reads one short array (few holdings: an array
   * beats a map, and one array one cache line).
   */
  private Object[] held = new Object[4];
  private int holdingCount;
  /** The last holding unlinked here (emptied), to be reused by the next one made here; or null. */
  private Holding spare;
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

  /** Adds a filter of the framework whose {@link FrameworkState#index} is {@code index}. */
  void addFilter(int index, OfferFilter filter) {
    if (filters.isEmpty() || filter.expiresAtNanos() - nextExpiry < 0) {
      nextExpiry = filter.expiresAtNanos();
    }
    filters.add(index, filter);
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

  /**
   * Whether a live filter of the framework whose {@link FrameworkState#index} is {@code index}
   * holds back {@code offered} (expired ones are dropped by {@link #markClean}).
   */
  boolean isFiltered(int index, Resources offered, long nowNanos) {
    return !filters.isEmpty() && filters.blocks(index, offered, nowNanos, nextExpiry - nowNanos > 0);
  }

  /**
   * A bitset over {@link FrameworkState#index}: every framework whose bit is set has a live filter
   * that holds back {@code offered}; null if not known (see {@link FilterTable#blockingBits}).
   * Valid until a filter is added or removed here.
   */
  long[] blockingBits(Resources offered, long nowNanos) {
    return filters.isEmpty() ? null : filters.blockingBits(offered, nextExpiry - nowNanos > 0);
  }

  /**
   * Whether live filters of every one of the {@code clients} clients (indices in use) hold
   * back {@code offered}, as far as the filter table's bits tell (false: not known, ask {@link
   * #isFiltered} per client).
   */
  boolean filteredByAll(Resources offered, int clients, long nowNanos) {
    return !filters.isEmpty() && filters.blocksAll(offered, clients, nextExpiry - nowNanos > 0);
  }

  /**
   * Reads a word of each object a cycle's visit reads here (this agent, its free resources' arrays,
   * its filter table, its holders), so that a cycle can start the cache misses of several agents
   * together. Returns a value made of what it read, for the caller to keep.
   */
  int touch() {
    Resources f = free;
    int x = holdingCount + held.length + filters.touch();
    if (spare != null) {
      x += spare.n();
    }
    int n = f.entryCount();
    if (n > 0) {
      x += (int) (f.scalarMillisAt(0) + f.scalarMillisAt(n - 1)); // both ends of the arrays
    }
    return x;
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
    Object[] pairs = held;
    for (int i = 0, end = 2 * holdingCount; i < end; i += 2) {
      if (pairs[i] == framework) {
        Holding h = (Holding) pairs[i + 1];
        if (h.role == role || h.role.equals(role)) {
          return h;
        }
      }
    }
    return null;
  }

  /** The holdings here (a copy). */
  java.util.List<Holding> holdings() {
    Holding[] out = new Holding[holdingCount];
    for (int i = 0; i < holdingCount; i++) {
      out[i] = (Holding) held[2 * i + 1];
    }
    return java.util.List.of(out);
  }

  /** A holding of {@code framework} in {@code role} holding {@code first}, not linked yet: the spare if there is one. */
  Holding newHolding(FrameworkState framework, String role, Resources first) {
    Holding h = spare;
    if (h == null) {
      return new Holding(framework, role, this, first);
    }
    spare = null;
    h.reuse(framework, role, first);
    return h;
  }

  /** Whether the spare holding, if any, holds nothing and names no framework or role (invariant checks). */
  boolean spareForgotten() {
    return spare == null || spare.n() == 0 && spare.framework == null && spare.role == null;
  }

  void link(Holding h) {
    if (2 * holdingCount == held.length) {
      held = java.util.Arrays.copyOf(held, 2 * held.length);
    }
    held[2 * holdingCount] = h.framework;
    held[2 * holdingCount + 1] = h;
    holdingCount++;
  }

  void unlink(Holding h) {
    for (int i = 1, end = 2 * holdingCount; i < end; i += 2) {
      if (held[i] == h) {
        holdingCount--;
        int last = 2 * holdingCount;
        held[i - 1] = held[last];
        held[i] = held[last + 1];
        held[last] = null;
        held[last + 1] = null;
        h.forget();
        spare = h;
        return;
      }
    }
    throw new IllegalStateException("holding of " + h.framework.id + " in " + h.role + " is not on agent " + id);
  }
}
