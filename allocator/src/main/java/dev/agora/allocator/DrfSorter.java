package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Weighted Dominant Resource Fairness (Ghodsi et al., NSDI 2011) over the clients of one level.
 *
 * <p>A client's dominant share is the largest, over the scalar names of the pool, of
 * {@code allocated(name) / total(name)}; its weighted share is that divided by its weight. {@link
 * #sort()} lists active clients by weighted share, then by name.
 *
 * <p>Concurrency: confined to the allocator's thread; no locks.
 *
 * <p>Invariants (checked by {@link #checkInvariants()}, which tests call):
 *
 * <ul>
 *   <li>{@code order[0, size)} holds exactly the clients marked {@code inOrder}, sorted by {@code
 *       share} then name, unless {@code sharesStale} is set (the pool changed: every share is
 *       recomputed and {@code order} rebuilt on the next {@link #sort()} or {@link #visit});
 *   <li>every active client is in the order or {@code pending} (activated or added since the
 *       last refresh); {@code idle} counts the inactive clients still in the order (deactivated
 *       since). The next {@link #sort()} or {@link #visit} drops the idle ones and merges the
 *       pending ones in one pass, so that deactivating and reactivating k of n clients (a
 *       cycle's roles at their quota limit) costs O(n + k log k), not O(k n);
 *   <li>a client's {@code share} is its current weighted share unless the client is {@code
 *       dirty} (listed in {@code dirty}: its allocation or weight changed since); dirty clients
 *       are re-keyed on the next {@link #sort()} or {@link #visit}, so that a burst of updates
 *       (adding agents, recovering offers) costs O(1) each and one re-sort at the end; except
 *       that a single dirty client is left dirty while the order holds at most one client and
 *       nothing is pending or idle (its place cannot change: a flat role level with one active
 *       role re-keys nothing per offer);
 *   <li>a client's {@code share} is changed while it is in {@code order} only by a re-key that
 *       moves it to its new place (a binary search by the old key finds it);
 *   <li>{@code snapshot}, when not null, equals the names of {@code order} in order;
 *   <li>allocations and the pool hold only unreserved scalars, never negative.
 * </ul>
 *
 * <p>Cost: {@link #allocated}/{@link #unallocated} are O(1) (plus the names they hold); {@link
 * #sort()} and {@link #visit} first re-key the d clients changed since the last one, O(d log n),
 * or rebuild the order, O(n log n), when d is a large part of n or the pool changed; {@link
 * #sort()} is O(1) when nothing changed since the last call, O(n) to copy the order otherwise.
 */
final class DrfSorter implements Sorter {
  /** By share, then by name: the deterministic order of {@link #sort()}. */
  private static final Comparator<Client> ORDER = (a, b) -> {
    int byShare = Double.compare(a.share, b.share);
    return byShare != 0 ? byShare : a.name.compareTo(b.name);
  };

  private static final class Client {
    final String name;
    /** Allocated thousandths per name, indexed like {@code names}; may be shorter (missing = 0). */
    long[] allocation = new long[0];
    double share;
    /** {@code weights}' entry for the name, kept here so that a re-key does no map lookup. */
    double weight = 1;
    boolean active = true;
    /** In {@code order[0, size)}. */
    boolean inOrder;
    /** Listed in {@code pending}. */
    boolean pending;
    /** Listed in {@code dirty}: {@code share} may be out of date. */
    boolean dirty;
    boolean removed;
    /** The number {@link #tag} gave it (the allocator's framework index), or -1. */
    int tag = -1;

    Client(String name) {
      this.name = name;
    }
  }

  private final Map<String, Client> clients = new HashMap<>();
  private final Map<String, Double> weights = new HashMap<>();
  /**
   * The active clients in order, a sorted array: a re-key is two binary searches and one shift of
   * the clients it passes (a few kilobytes at most), a visit a plain loop; a balanced tree costs
   * a node per insertion and a pointer chase per step, and every offer re-keys one client.
   */
  private Client[] order = new Client[8];
  private int size;
  /** Clients in the order that are no longer active (dropped by the next refresh). */
  private int idle;
  /** Clients added or activated since the last refresh, not in the order yet (merged by the next refresh). */
  private final List<Client> pending = new ArrayList<>();
  /** Clients whose share may have changed since the order was last brought up to date. */
  private final List<Client> dirty = new ArrayList<>();
  /** Every scalar name seen (in the pool or an allocation), interned; indexes the arrays. */
  private String[] names = new String[0];
  /** The pool's thousandths per name. */
  private long[] totalMillis = new long[0];
  private boolean sharesStale;
  /** How many clients {@link #tag} numbered. */
  private int taggedCount;
  /**
   * The tags of the tagged clients as a bitset, and those clients by tag; both null until a visit
   * with skip bits first needs them (a large sorter), then kept up to date: a sorter of a few
   * clients with large tags (3,000 roles of one framework each) pays nothing for them.
   */
  private long[] tags;
  private Client[] byTag;
  /** The few clients {@link #visit(Predicate, long[])} is choosing from (reused). */
  private Client[] few = new Client[8];
  /** The client last looked up or visited (a one-entry cache for {@link #require}). */
  private Client last;
  private List<String> snapshot;

  @Override
  public String name() {
    return "drf";
  }

  @Override
  public void add(String client) {
    if (client.isEmpty()) {
      throw new IllegalArgumentException("sorter client must not be empty");
    }
    if (clients.containsKey(client)) {
      throw new IllegalArgumentException("sorter client '" + client + "' is already present");
    }
    Client c = new Client(client);
    c.share = 0;
    c.weight = weights.getOrDefault(client, 1.0);
    clients.put(client, c);
    last = c; // the allocator tags it next
    if (!sharesStale) {
      c.pending = true;
      pending.add(c);
    }
    snapshot = null;
  }

  @Override
  public void remove(String client) {
    Client c = clients.remove(client);
    if (c != null) {
      if (c.inOrder && !sharesStale) {
        removeAt(indexOf(c));
        if (!c.active) {
          idle--;
        }
      }
      c.inOrder = false;
      c.removed = true; // it may still be listed in dirty or pending
      untag(c);
      snapshot = null;
    }
  }

  @Override
  public boolean contains(String client) {
    return clients.containsKey(client);
  }

  @Override
  public void activate(String client) {
    Client c = require(client);
    if (!c.active) {
      c.active = true;
      if (!sharesStale) {
        if (c.inOrder) {
          idle--; // deactivated since the last refresh: still in its place
        } else if (!c.pending) {
          c.pending = true;
          pending.add(c);
        }
      }
      snapshot = null;
    }
  }

  @Override
  public void deactivate(String client) {
    Client c = require(client);
    if (c.active) {
      c.active = false;
      if (!sharesStale && c.inOrder) {
        idle++; // left in place until the next refresh
      }
      snapshot = null;
    }
  }

  @Override
  public void updateWeight(String client, double weight) {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(
          "weight of '" + client + "' must be positive and finite but was " + weight);
    }
    weights.put(client, weight);
    Client c = clients.get(client);
    if (c != null) {
      c.weight = weight;
      touch(c);
    }
  }

  @Override
  public void addTotal(Resources resources) {
    boolean changed = false;
    for (int i = 0; i < resources.entryCount(); i++) {
      long v = resources.scalarMillisAt(i);
      if (v > 0) {
        int k = index(resources.nameAt(i)); // may grow totalMillis: index first
        totalMillis[k] += v;
        changed = true;
      }
    }
    if (changed) {
      totalChanged();
    }
  }

  @Override
  public void removeTotal(Resources resources) {
    if (!holds(totalMillis, resources)) {
      throw new IllegalArgumentException("cannot remove " + quantities(resources) + " from the sorter's total "
          + toResources(totalMillis));
    }
    boolean changed = false;
    for (int i = 0; i < resources.entryCount(); i++) {
      long v = resources.scalarMillisAt(i);
      if (v > 0) {
        int k = index(resources.nameAt(i));
        totalMillis[k] -= v;
        changed = true;
      }
    }
    if (changed) {
      totalChanged();
    }
  }

  @Override
  public void allocated(String client, Resources resources) {
    Client c = require(client);
    boolean changed = false;
    for (int i = 0; i < resources.entryCount(); i++) {
      long v = resources.scalarMillisAt(i);
      if (v > 0) {
        int k = indexAt(resources, i);
        if (c.allocation.length <= k) {
          c.allocation = java.util.Arrays.copyOf(c.allocation, names.length);
        }
        c.allocation[k] += v;
        changed = true;
      }
    }
    if (changed) {
      touch(c);
    }
  }

  @Override
  public void unallocated(String client, Resources resources) {
    Client c = require(client);
    if (!holds(c.allocation, resources)) {
      throw new IllegalArgumentException("cannot unallocate " + quantities(resources) + " from '" + client
          + "' which holds " + toResources(c.allocation));
    }
    boolean changed = false;
    for (int i = 0; i < resources.entryCount(); i++) {
      long v = resources.scalarMillisAt(i);
      if (v > 0) {
        int k = indexAt(resources, i);
        c.allocation[k] -= v;
        changed = true;
      }
    }
    if (changed) {
      touch(c);
    }
  }

  @Override
  public Resources allocation(String client) {
    Client c = clients.get(client);
    return c == null ? Resources.EMPTY : toResources(c.allocation);
  }

  /**
   * The index of the name of {@code resources}' entry {@code i}: usually {@code i} itself (agents'
   * resources list their names in the order the pool first saw them), checked before any search.
   */
  private int indexAt(Resources resources, int i) {
    String name = resources.nameAt(i);
    return i < names.length && names[i] == name ? i : index(name);
  }

  /** The index of an (interned) scalar name, added if new. */
  private int index(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i] == name) {
        return i;
      }
    }
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    names = java.util.Arrays.copyOf(names, names.length + 1);
    names[names.length - 1] = name;
    totalMillis = java.util.Arrays.copyOf(totalMillis, names.length);
    return names.length - 1;
  }

  /** Whether {@code held} (thousandths by name index) holds the scalars of {@code resources}, summed by name. */
  private boolean holds(long[] held, Resources resources) {
    for (int i = 0; i < resources.entryCount(); i++) {
      if (resources.scalarMillisAt(i) <= 0) {
        continue;
      }
      String name = resources.nameAt(i);
      long want = 0;
      for (int j = 0; j < resources.entryCount(); j++) {
        if (resources.nameAt(j) == name) {
          want += resources.scalarMillisAt(j);
        }
      }
      int k = index(name);
      if ((k < held.length ? held[k] : 0) < want) {
        return false;
      }
    }
    return true;
  }

  private Resources toResources(long[] millis) {
    Resources.Builder b = Resources.builder();
    for (int i = 0; i < millis.length; i++) {
      if (millis[i] > 0) {
        b.scalar(names[i], millis[i] / 1000.0);
      }
    }
    return b.build();
  }

  @Override
  public List<String> sort() {
    refresh();
    if (snapshot == null) {
      List<String> names = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        names.add(order[i].name);
      }
      snapshot = Collections.unmodifiableList(names);
    }
    return snapshot;
  }

  @Override
  public boolean visit(Predicate<String> visitor) {
    refresh();
    // Safe without a snapshot: the visitor changes the order only when it then returns true.
    Client[] o = order;
    for (int i = 0, n = size; i < n; i++) {
      Client c = o[i];
      if (!c.active) {
        continue; // deactivated by this visitor, which then returned true (not reached), or by a caller's
      }
      last = c; // the visitor that takes an offer updates this client at once: spare it the lookup
      if (visitor.test(c.name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Numbers {@code client} (a small non-negative int, e.g. the allocator's framework index) for
   * {@link #visit(Predicate, long[])}. Not part of the {@link Sorter} SPI: the allocator's own
   * fast path for the stock sorter.
   */
  void tag(String client, int tag) {
    if (tag < 0) {
      throw new IllegalArgumentException("negative tag " + tag);
    }
    Client c = require(client);
    untag(c);
    c.tag = tag;
    taggedCount++;
    if (tags != null) {
      index(c);
    }
  }

  /** Enters the tagged client {@code c} in {@link #tags} and {@link #byTag}. */
  private void index(Client c) {
    int t = c.tag;
    if (t >>> 6 >= tags.length) {
      tags = java.util.Arrays.copyOf(tags, Math.max((t >>> 6) + 1, 2 * tags.length));
    }
    tags[t >>> 6] |= 1L << t;
    if (t >= byTag.length) {
      byTag = java.util.Arrays.copyOf(byTag, Math.max(t + 1, 2 * byTag.length));
    }
    byTag[t] = c;
  }

  private void untag(Client c) {
    int t = c.tag;
    if (t >= 0) {
      taggedCount--;
      if (tags != null) {
        tags[t >>> 6] &= ~(1L << t);
        byTag[t] = null;
      }
      c.tag = -1;
    }
  }

  /**
   * As {@link #visit(Predicate)}, but passes over, without asking the visitor, every client whose
   * {@link #tag} is set in the bitset {@code skip} (the allocator's bits of the frameworks that
   * filtered the offer at hand: a thousand of them cost a bit test each, not a visitor call each).
   */
  boolean visit(Predicate<String> visitor, long[] skip) {
    refresh();
    if (size >= 64 && taggedCount == clients.size()) {
      // Nearly every client skipped (an agent declined by nearly everyone): pick the few left
      // out of the bitsets, in order, rather than pass over a long order one by one.
      int k = fewNotSkipped(skip, 4 + size / 256);
      if (k >= 0) {
        return visitFew(visitor, k);
      }
    }
    Client[] o = order;
    int words = skip.length;
    for (int i = 0, n = size; i < n; i++) {
      Client c = o[i];
      int t = c.tag;
      if (!c.active || t >= 0 && (t >>> 6) < words && (skip[t >>> 6] & (1L << t)) != 0) {
        continue;
      }
      last = c;
      if (visitor.test(c.name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Puts the active clients whose tag is not set in {@code skip} in {@code few} and returns how
   * many, if at most {@code limit} (every client must be tagged); else returns -1.
   */
  private int fewNotSkipped(long[] skip, int limit) {
    if (tags == null) {
      tags = new long[0];
      byTag = new Client[0];
      for (Client c : clients.values()) {
        index(c); // every client is tagged (the caller checked)
      }
    }
    long[] t = tags;
    int count = 0;
    for (int w = 0; w < t.length; w++) {
      count += Long.bitCount(t[w] & ~(w < skip.length ? skip[w] : 0));
      if (count > limit) {
        return -1;
      }
    }
    if (few.length < count) {
      few = new Client[Math.max(count, 2 * few.length)];
    }
    int k = 0;
    for (int w = 0; w < t.length; w++) {
      long bits = t[w] & ~(w < skip.length ? skip[w] : 0);
      while (bits != 0) {
        Client c = byTag[(w << 6) + Long.numberOfTrailingZeros(bits)];
        bits &= bits - 1;
        if (c.active) {
          few[k++] = c;
        }
      }
    }
    return k;
  }

  /** Visits {@code few[0, k)} in order (the order's comparison), as {@link #visit(Predicate)} would; clears them. */
  private boolean visitFew(Predicate<String> visitor, int k) {
    Client[] f = few;
    try {
      while (k > 0) {
        int best = 0;
        for (int j = 1; j < k; j++) {
          if (compare(f[j], f[best]) < 0) {
            best = j;
          }
        }
        Client c = f[best];
        f[best] = f[--k];
        f[k] = null;
        last = c;
        if (visitor.test(c.name)) {
          return true;
        }
      }
      return false;
    } finally {
      java.util.Arrays.fill(f, 0, k, null);
    }
  }

  /** Brings the order up to date: re-keys the dirty clients, or rebuilds it if many are (or the pool changed). */
  private void refresh() {
    // Small on purpose, so that the compiler inlines it into visit(): after an offer, one client is dirty.
    int d = dirty.size();
    if (sharesStale || d > 16 && d > size / 8) {
      rebuild(); // the pool changed, or cheaper to rebuild than to re-key that many one by one
      return;
    }
    boolean merge = idle > 0 || !pending.isEmpty();
    if (d > 1 || d == 1 && (merge || size > 1)) {
      rekeyDirty();
    } // else at most one client in the order and nothing to merge: the order holds whatever the share; it stays dirty
    if (merge) {
      dropIdleAndMergePending();
    }
  }

  /** Drops the inactive clients from the order and merges the pending ones in, in one pass each. */
  private void dropIdleAndMergePending() {
    if (idle > 0) {
      int n = 0;
      for (int i = 0; i < size; i++) {
        Client c = order[i];
        if (c.active) {
          order[n++] = c;
        } else {
          c.inOrder = false;
        }
      }
      java.util.Arrays.fill(order, n, size, null);
      size = n;
      idle = 0;
    }
    if (!pending.isEmpty()) {
      Client[] in = new Client[pending.size()];
      int k = 0;
      for (Client c : pending) {
        c.pending = false;
        if (c.active && !c.removed && !c.inOrder) {
          c.share = shareOf(c);
          in[k++] = c;
        }
      }
      pending.clear();
      java.util.Arrays.sort(in, 0, k, ORDER);
      if (order.length < size + k) {
        order = java.util.Arrays.copyOf(order, Math.max(2 * order.length, size + k));
      }
      // Merge from the back: order[0, size) and in[0, k) into order[0, size + k).
      int i = size - 1;
      int j = k - 1;
      for (int w = size + k - 1; j >= 0; w--) {
        if (i >= 0 && compare(order[i], in[j]) > 0) {
          order[w] = order[i--];
        } else {
          in[j].inOrder = true;
          order[w] = in[j--];
        }
      }
      size += k;
    }
    snapshot = null;
  }

  /** Recomputes every share and sorts the active clients afresh. */
  private void rebuild() {
    for (Client c : dirty) {
      c.dirty = false;
    }
    dirty.clear();
    for (Client c : pending) {
      c.pending = false;
    }
    pending.clear();
    idle = 0;
    if (order.length < clients.size()) {
      order = new Client[Math.max(8, clients.size() + clients.size() / 2)];
    }
    int n = 0;
    for (Client c : clients.values()) {
      c.share = shareOf(c);
      c.inOrder = c.active;
      if (c.active) {
        order[n++] = c;
      }
    }
    if (n < size) {
      java.util.Arrays.fill(order, n, size, null);
    }
    size = n;
    java.util.Arrays.sort(order, 0, n, ORDER);
    sharesStale = false;
    snapshot = null;
  }

  /** Gives each dirty client its current share, moving the active ones to their place. */
  private void rekeyDirty() {
    for (int i = 0; i < dirty.size(); i++) {
      Client c = dirty.get(i);
      c.dirty = false;
      if (c.removed) {
        continue;
      }
      if (c.inOrder) {
        rekey(c, shareOf(c));
      } else {
        c.share = shareOf(c); // recomputed again when merged, if pending
      }
    }
    dirty.clear();
    snapshot = null;
  }

  private static int compare(Client a, Client b) {
    int byShare = Double.compare(a.share, b.share);
    return byShare != 0 ? byShare : a.name.compareTo(b.name);
  }

  /** The index of {@code c} in the order (found by its current key), or -1. */
  private int find(Client c) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Client m = order[mid];
      if (m == c) {
        return mid;
      }
      int cmp = compare(m, c);
      if (cmp < 0) {
        lo = mid + 1;
      } else if (cmp > 0) {
        hi = mid - 1;
      } else {
        return -1; // an equal key that is another client: c is not in the order
      }
    }
    return -1;
  }

  private int indexOf(Client c) {
    int i = find(c);
    if (i < 0) {
      throw new IllegalStateException("client '" + c.name + "' is not in the order");
    }
    return i;
  }

  /** The first index in {@code [lo, hi)} whose client sorts after {@code c}, or {@code hi}. */
  private int insertionPoint(Client c, int lo, int hi) {
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (compare(order[mid], c) > 0) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  private void removeAt(int i) {
    System.arraycopy(order, i + 1, order, i, size - i - 1);
    order[--size] = null;
  }

  /** Gives active client {@code c} its new share and moves it to its place; those it passes shift by one. */
  private void rekey(Client c, double share) {
    // The usual re-key after an offer: the last client's share grew (or the first's fell). It stays.
    if (order[size - 1] == c && Double.compare(share, c.share) >= 0
        || order[0] == c && Double.compare(share, c.share) <= 0) {
      c.share = share;
      return;
    }
    int i = indexOf(c);
    c.share = share;
    if (i + 1 < size && compare(order[i + 1], c) < 0) {
      int j = insertionPoint(c, i + 1, size) - 1;
      System.arraycopy(order, i + 1, order, i, j - i);
      order[j] = c;
    } else if (i > 0 && compare(order[i - 1], c) > 0) {
      int j = insertionPoint(c, 0, i);
      System.arraycopy(order, j, order, j + 1, i - j);
      order[j] = c;
    }
  }

  /** The client's weighted dominant share, or 0 for an unknown client. */
  double weightedShare(String client) {
    Client c = clients.get(client);
    return c == null ? 0 : shareOf(c);
  }

  /** Checks the invariants in the class comment; throws {@link IllegalStateException} if broken. */
  void checkInvariants() {
    if (sharesStale) {
      return;
    }
    int inOrder = 0;
    int inactiveInOrder = 0;
    for (Client c : clients.values()) {
      if (c.dirty != dirty.contains(c)) {
        throw new IllegalStateException("client '" + c.name + "' is dirty " + c.dirty + " but listed " + !c.dirty);
      }
      if (c.pending != pending.contains(c) || c.pending && c.inOrder) {
        throw new IllegalStateException("client '" + c.name + "' is pending " + c.pending + " in order " + c.inOrder);
      }
      if (c.active && !c.inOrder && !c.pending) {
        throw new IllegalStateException("active client '" + c.name + "' is neither in the order nor pending");
      }
      if (c.inOrder) {
        inOrder++;
        inactiveInOrder += c.active ? 0 : 1;
        if (find(c) < 0 || !c.dirty && Double.compare(c.share, shareOf(c)) != 0) {
          throw new IllegalStateException("client '" + c.name + "' is out of order");
        }
      }
    }
    int tagged = 0;
    for (Client c : clients.values()) {
      if (c.tag >= 0) {
        tagged++;
        if (tags != null && ((tags[c.tag >>> 6] & 1L << c.tag) == 0 || byTag[c.tag] != c)) {
          throw new IllegalStateException("client '" + c.name + "' tagged " + c.tag + " is not found by its tag");
        }
      }
    }
    int bits = taggedCount;
    if (tags != null) {
      bits = 0;
      for (long w : tags) {
        bits += Long.bitCount(w);
      }
    }
    if (tagged != taggedCount || bits != taggedCount) {
      throw new IllegalStateException(tagged + " clients tagged, " + taggedCount + " counted, " + bits + " tag bits");
    }
    if (inOrder != size || inactiveInOrder != idle) {
      throw new IllegalStateException("order holds " + size + " clients, " + inOrder + " marked, " + idle
          + " counted idle, " + inactiveInOrder + " inactive");
    }
    for (int i = 1; i < size; i++) {
      if (compare(order[i - 1], order[i]) >= 0) {
        throw new IllegalStateException("clients '" + order[i - 1].name + "' and '" + order[i].name + "' are out of order");
      }
    }
    for (int i = size; i < order.length; i++) {
      if (order[i] != null) {
        throw new IllegalStateException("a client is left beyond the order's end");
      }
    }
    if (snapshot != null) {
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        expected.add(order[i].name);
      }
      if (!expected.equals(snapshot)) {
        throw new IllegalStateException("stale snapshot " + snapshot + ", order " + expected);
      }
    }
  }

  private Client require(String client) {
    Client c = last;
    if (c != null && c.name == client && !c.removed) {
      return c; // the client just visited or updated: the allocator updates it right after a visit
    }
    c = clients.get(client);
    last = c;
    if (c == null) {
      throw new IllegalArgumentException("unknown sorter client '" + client + "'");
    }
    return c;
  }

  /** Notes that the client's share may have changed; the order follows on the next sort or visit. */
  private void touch(Client c) {
    if (sharesStale || c.dirty) {
      return;
    }
    c.dirty = true;
    dirty.add(c);
    snapshot = null;
  }

  private double shareOf(Client c) {
    double dominant = 0;
    long[] held = c.allocation;
    for (int i = 0; i < held.length; i++) {
      if (held[i] > 0 && totalMillis[i] > 0) {
        dominant = Math.max(dominant, held[i] / (double) totalMillis[i]);
      }
    }
    if (dominant == 0) {
      return 0;
    }
    return c.weight == 1 ? dominant : dominant / c.weight;
  }

  private void totalChanged() {
    sharesStale = true;
    snapshot = null;
  }

  /** The unreserved scalar quantities of {@code resources}. */
  static Resources quantities(Resources resources) {
    Resources scalars = resources.scalarsOnly();
    return scalars.unreserved() == scalars ? scalars : scalars.unreserveAll();
  }
}
