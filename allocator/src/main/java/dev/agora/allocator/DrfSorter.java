package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
 *   <li>{@code order} holds exactly the active clients, each keyed by its current {@code share},
 *       unless {@code sharesStale} is set (the pool changed: every share is recomputed and
 *       {@code order} rebuilt on the next {@link #sort()});
 *   <li>a client's {@code share} is never changed while it is in {@code order} (the tree would
 *       lose it): remove, update, reinsert;
 *   <li>{@code snapshot}, when not null, equals the names of {@code order} in order;
 *   <li>allocations and the pool hold only unreserved scalars, never negative.
 * </ul>
 *
 * <p>Cost: {@link #allocated}/{@link #unallocated} are O(log n); {@link #sort()} is O(1) when
 * nothing changed since the last call and O(n) otherwise (O(n log n) after the pool changed).
 */
final class DrfSorter implements Sorter {
  private static final Comparator<Client> ORDER =
      Comparator.<Client>comparingDouble(c -> c.share).thenComparing(c -> c.name);

  private static final class Client {
    final String name;
    Resources allocation = Resources.EMPTY;
    double share;
    boolean active = true;

    Client(String name) {
      this.name = name;
    }
  }

  private final Map<String, Client> clients = new HashMap<>();
  private final Map<String, Double> weights = new HashMap<>();
  private final TreeSet<Client> order = new TreeSet<>(ORDER);
  private Resources total = Resources.EMPTY;
  private String[] totalNames = new String[0];
  private long[] totalMillis = new long[0];
  private boolean sharesStale;
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
    clients.put(client, c);
    if (!sharesStale) {
      order.add(c);
    }
    snapshot = null;
  }

  @Override
  public void remove(String client) {
    Client c = clients.remove(client);
    if (c != null) {
      order.remove(c);
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
        c.share = shareOf(c);
        order.add(c);
      }
      snapshot = null;
    }
  }

  @Override
  public void deactivate(String client) {
    Client c = require(client);
    if (c.active) {
      order.remove(c);
      c.active = false;
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
      reshare(c);
    }
  }

  @Override
  public void addTotal(Resources resources) {
    setTotal(total.add(quantities(resources)));
  }

  @Override
  public void removeTotal(Resources resources) {
    Resources q = quantities(resources);
    if (!total.contains(q)) {
      throw new IllegalArgumentException("cannot remove " + q + " from the sorter's total " + total);
    }
    setTotal(total.subtract(q));
  }

  @Override
  public void allocated(String client, Resources resources) {
    Client c = require(client);
    Resources q = quantities(resources);
    if (!q.isEmpty()) {
      c.allocation = c.allocation.add(q);
      reshare(c);
    }
  }

  @Override
  public void unallocated(String client, Resources resources) {
    Client c = require(client);
    Resources q = quantities(resources);
    if (!c.allocation.contains(q)) {
      throw new IllegalArgumentException(
          "cannot unallocate " + q + " from '" + client + "' which holds " + c.allocation);
    }
    if (!q.isEmpty()) {
      c.allocation = c.allocation.subtract(q);
      reshare(c);
    }
  }

  @Override
  public Resources allocation(String client) {
    Client c = clients.get(client);
    return c == null ? Resources.EMPTY : c.allocation;
  }

  @Override
  public List<String> sort() {
    refresh();
    if (snapshot == null) {
      List<String> names = new ArrayList<>(order.size());
      for (Client c : order) {
        names.add(c.name);
      }
      snapshot = Collections.unmodifiableList(names);
    }
    return snapshot;
  }

  @Override
  public boolean visit(Predicate<String> visitor) {
    refresh();
    // Safe without a snapshot: the visitor changes the tree only when it then returns true.
    for (Client c : order) {
      if (visitor.test(c.name)) {
        return true;
      }
    }
    return false;
  }

  private void refresh() {
    if (sharesStale) {
      order.clear();
      for (Client c : clients.values()) {
        c.share = shareOf(c);
        if (c.active) {
          order.add(c);
        }
      }
      sharesStale = false;
      snapshot = null;
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
    int active = 0;
    for (Client c : clients.values()) {
      if (c.active) {
        active++;
        if (!order.contains(c) || Double.compare(c.share, shareOf(c)) != 0) {
          throw new IllegalStateException("client '" + c.name + "' is out of order");
        }
      }
    }
    if (active != order.size()) {
      throw new IllegalStateException("order holds " + order.size() + " clients, " + active + " active");
    }
    if (snapshot != null) {
      List<String> expected = new ArrayList<>();
      order.forEach(c -> expected.add(c.name));
      if (!expected.equals(snapshot)) {
        throw new IllegalStateException("stale snapshot " + snapshot + ", order " + expected);
      }
    }
  }

  private Client require(String client) {
    Client c = clients.get(client);
    if (c == null) {
      throw new IllegalArgumentException("unknown sorter client '" + client + "'");
    }
    return c;
  }

  private void reshare(Client c) {
    if (sharesStale) {
      return;
    }
    if (c.active) {
      order.remove(c);
      c.share = shareOf(c);
      order.add(c);
      snapshot = null;
    } else {
      c.share = shareOf(c);
    }
  }

  private double shareOf(Client c) {
    double dominant = 0;
    for (int i = 0; i < totalNames.length; i++) {
      long held = c.allocation.scalarMillis(totalNames[i]);
      if (held > 0) {
        dominant = Math.max(dominant, held / (double) totalMillis[i]);
      }
    }
    return dominant / weights.getOrDefault(c.name, 1.0);
  }

  private void setTotal(Resources newTotal) {
    total = newTotal;
    List<String> names = new ArrayList<>(newTotal.names());
    totalNames = names.toArray(new String[0]);
    totalMillis = new long[totalNames.length];
    for (int i = 0; i < totalNames.length; i++) {
      totalMillis[i] = newTotal.scalarMillis(totalNames[i]);
    }
    sharesStale = true;
    snapshot = null;
  }

  /** The unreserved scalar quantities of {@code resources}. */
  static Resources quantities(Resources resources) {
    Resources scalars = resources.scalarsOnly();
    return scalars.unreserved() == scalars ? scalars : scalars.unreserveAll();
  }
}
