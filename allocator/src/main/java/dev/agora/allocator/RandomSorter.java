package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * A weighted random order over the active clients: each {@link #sort()} gives every active client
 * the key {@code -ln(u) / weight} ({@code u} uniform in (0,1]) and lists them by key, then name —
 * the exponential-race form of weighted sampling without replacement, so a heavier client tends to
 * come first. Allocations and the pool are kept only to answer {@link #allocation}.
 *
 * <p>Concurrency: confined to the allocator's thread; no locks.
 *
 * <p>Invariants: allocations hold only unreserved scalars, never negative; {@code active} is a
 * subset of the clients.
 */
final class RandomSorter implements Sorter {
  private final RandomGenerator random;
  private final Map<String, Resources> allocations = new TreeMap<>();
  private final Map<String, Boolean> active = new HashMap<>();
  private final Map<String, Double> weights = new HashMap<>();
  private Resources total = Resources.EMPTY;

  RandomSorter(RandomGenerator random) {
    this.random = random;
  }

  @Override
  public String name() {
    return "random";
  }

  @Override
  public void add(String client) {
    if (client.isEmpty()) {
      throw new IllegalArgumentException("sorter client must not be empty");
    }
    if (allocations.containsKey(client)) {
      throw new IllegalArgumentException("sorter client '" + client + "' is already present");
    }
    allocations.put(client, Resources.EMPTY);
    active.put(client, true);
  }

  @Override
  public void remove(String client) {
    allocations.remove(client);
    active.remove(client);
  }

  @Override
  public boolean contains(String client) {
    return allocations.containsKey(client);
  }

  @Override
  public void activate(String client) {
    require(client);
    active.put(client, true);
  }

  @Override
  public void deactivate(String client) {
    require(client);
    active.put(client, false);
  }

  @Override
  public void updateWeight(String client, double weight) {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(
          "weight of '" + client + "' must be positive and finite but was " + weight);
    }
    weights.put(client, weight);
  }

  @Override
  public void addTotal(Resources resources) {
    total = total.add(DrfSorter.quantities(resources));
  }

  @Override
  public void removeTotal(Resources resources) {
    Resources q = DrfSorter.quantities(resources);
    if (!total.contains(q)) {
      throw new IllegalArgumentException("cannot remove " + q + " from the sorter's total " + total);
    }
    total = total.subtract(q);
  }

  @Override
  public void allocated(String client, Resources resources) {
    require(client);
    allocations.merge(client, DrfSorter.quantities(resources), Resources::add);
  }

  @Override
  public void unallocated(String client, Resources resources) {
    Resources held = require(client);
    Resources q = DrfSorter.quantities(resources);
    if (!held.contains(q)) {
      throw new IllegalArgumentException(
          "cannot unallocate " + q + " from '" + client + "' which holds " + held);
    }
    allocations.put(client, held.subtract(q));
  }

  @Override
  public Resources allocation(String client) {
    return allocations.getOrDefault(client, Resources.EMPTY);
  }

  @Override
  public List<String> sort() {
    record Keyed(double key, String name) {}
    List<Keyed> keyed = new ArrayList<>();
    for (String client : allocations.keySet()) { // sorted, so draws follow a fixed order
      if (active.get(client)) {
        double u = 1.0 - random.nextDouble(); // (0, 1]
        keyed.add(new Keyed(-Math.log(u) / weights.getOrDefault(client, 1.0), client));
      }
    }
    keyed.sort((a, b) -> a.key != b.key ? Double.compare(a.key, b.key) : a.name.compareTo(b.name));
    List<String> names = new ArrayList<>(keyed.size());
    keyed.forEach(k -> names.add(k.name));
    return Collections.unmodifiableList(names);
  }

  private Resources require(String client) {
    Resources r = allocations.get(client);
    if (r == null) {
      throw new IllegalArgumentException("unknown sorter client '" + client + "'");
    }
    return r;
  }
}
