package dev.agora.allocator;

import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.List;

/**
 * The decline filters on one agent, by framework (sorter client). An allocation cycle asks, for
 * every framework it considers on the agent, whether that framework filtered what the agent has
 * free: in Mesos's DeclineOffers benchmark that is tens of questions per agent per cycle, so the
 * answer must be one probe into a short array, not a walk through hash nodes and lists.
 *
 * <p>An open-addressed table with linear probing: {@code slots[2i]} is a client (compared by
 * identity first: the allocator passes the sorter's own strings), {@code slots[2i + 1]} its
 * filters: the filtered {@link Resources} of its one filter, whose expiry is {@code
 * expiries[i]}, or an {@code OfferFilter[]} when it has several. Mutable; confined to the
 * allocator's thread.
 *
 * <p>Invariants: {@code size} keys; every key has at least one filter; the table is a power of
 * two, at most three quarters full (so that ten frameworks' filters fit in sixteen slots, 128
 * bytes: a cycle's probes of one agent read two cache lines, not four); every key sits at or
 * after its home slot with no empty slot between (removal shifts the probe run back).
 */
final class FilterTable {
  private static final Object[] NONE = new Object[0];

  private Object[] slots = NONE;
  private long[] expiries = new long[0];
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** Reads one slot in each cache line of the table (see {@link AgentState#touch}); returns a value made of them. */
  int touch() {
    Object[] s = slots;
    int x = 0;
    for (int i = 0; i < s.length; i += 16) { // one reference per 64-byte line
      x += s[i] == null ? 0 : 1;
    }
    return x;
  }

  /** Adds a filter of {@code client}. */
  void add(String client, OfferFilter filter) {
    if (4 * (size + 1) > 3 * capacity()) {
      resize(Math.max(4, 2 * capacity()));
    }
    int i = find(client);
    if (i >= 0) {
      Object v = slots[2 * i + 1];
      OfferFilter[] several;
      if (v instanceof Resources r) {
        several = new OfferFilter[] {new OfferFilter(r, expiries[i]), filter};
      } else {
        OfferFilter[] old = (OfferFilter[]) v;
        several = java.util.Arrays.copyOf(old, old.length + 1);
        several[old.length] = filter;
      }
      slots[2 * i + 1] = several;
      return;
    }
    put(client, filter.resources(), filter.expiresAtNanos());
    size++;
  }

  /**
   * Whether a filter of {@code client} live at {@code nowNanos} holds back {@code offered}.
   *
   * @param allLive whether the caller knows no filter here has expired (then expiries are not read)
   */
  boolean blocks(String client, Resources offered, long nowNanos, boolean allLive) {
    if (size == 0) {
      return false;
    }
    int i = find(client);
    if (i < 0) {
      return false;
    }
    Object v = slots[2 * i + 1];
    if (v instanceof Resources r) {
      if (!allLive && expiries[i] - nowNanos <= 0) {
        return false; // expired: dropped by the next expire()
      }
      return r == offered || r.contains(offered);
    }
    for (OfferFilter f : (OfferFilter[]) v) {
      if (f.activeAt(nowNanos) && (f.resources() == offered || f.resources().contains(offered))) {
        return true;
      }
    }
    return false;
  }

  /** Drops every filter of {@code client}; whether it had any. */
  boolean remove(String client) {
    int i = size == 0 ? -1 : find(client);
    if (i < 0) {
      return false;
    }
    int mask = capacity() - 1;
    int hole = i;
    for (int j = (i + 1) & mask; slots[2 * j] != null; j = (j + 1) & mask) {
      int home = home(slots[2 * j], mask);
      // The entry at j may move back to the hole unless its home lies cyclically in (hole, j].
      boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        slots[2 * hole] = slots[2 * j];
        slots[2 * hole + 1] = slots[2 * j + 1];
        expiries[hole] = expiries[j];
        hole = j;
      }
    }
    slots[2 * hole] = null;
    slots[2 * hole + 1] = null;
    size--;
    return true;
  }

  /**
   * Drops the filters expired at {@code nowNanos}; returns when the earliest remaining one
   * expires (meaningless if none is left).
   */
  long expire(long nowNanos) {
    long earliest = nowNanos;
    boolean first = true;
    List<Object> keep = new ArrayList<>();
    List<Long> keepExpiries = new ArrayList<>();
    for (int i = 0; i < capacity(); i++) {
      Object key = slots[2 * i];
      if (key == null) {
        continue;
      }
      Object v = slots[2 * i + 1];
      List<OfferFilter> live = new ArrayList<>();
      if (v instanceof Resources r) {
        live.add(new OfferFilter(r, expiries[i]));
      } else {
        live.addAll(List.of((OfferFilter[]) v));
      }
      live.removeIf(f -> !f.activeAt(nowNanos));
      for (OfferFilter f : live) {
        if (first || f.expiresAtNanos() - earliest < 0) {
          earliest = f.expiresAtNanos();
          first = false;
        }
      }
      if (live.size() == 1) {
        keep.add(key);
        keep.add(live.get(0).resources());
        keepExpiries.add(live.get(0).expiresAtNanos());
      } else if (!live.isEmpty()) {
        keep.add(key);
        keep.add(live.toArray(new OfferFilter[0]));
        keepExpiries.add(0L);
      }
    }
    slots = NONE;
    expiries = new long[0];
    size = keepExpiries.size();
    if (size > 0) {
      int cap = 4;
      while (4 * size > 3 * cap) {
        cap *= 2;
      }
      slots = new Object[2 * cap];
      expiries = new long[cap];
      for (int k = 0; k < size; k++) {
        putRaw(keep.get(2 * k), keep.get(2 * k + 1), keepExpiries.get(k));
      }
    }
    return earliest;
  }

  private int capacity() {
    return slots.length >> 1;
  }

  private static int home(Object key, int mask) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & mask;
  }

  /** The slot index of {@code client}, or -1. */
  private int find(String client) {
    if (size == 0) {
      return -1;
    }
    int mask = capacity() - 1;
    int h = client.hashCode();
    for (int i = (h ^ (h >>> 16)) & mask; ; i = (i + 1) & mask) {
      Object k = slots[2 * i];
      if (k == null) {
        return -1;
      }
      // Identity first (the allocator passes the sorter's own strings); another key of the probe
      // run is told apart by its cached hash, without comparing characters.
      if (k == client || k.hashCode() == h && k.equals(client)) {
        return i;
      }
    }
  }

  private void put(String client, Resources resources, long expiry) {
    putRaw(client, resources, expiry);
  }

  private void putRaw(Object key, Object value, long expiry) {
    int mask = capacity() - 1;
    int i = home(key, mask);
    while (slots[2 * i] != null) {
      i = (i + 1) & mask;
    }
    slots[2 * i] = key;
    slots[2 * i + 1] = value;
    expiries[i] = expiry;
  }

  private void resize(int newCapacity) {
    Object[] oldSlots = slots;
    long[] oldExpiries = expiries;
    slots = new Object[2 * newCapacity];
    expiries = new long[newCapacity];
    for (int i = 0; i < oldExpiries.length; i++) {
      if (oldSlots[2 * i] != null) {
        putRaw(oldSlots[2 * i], oldSlots[2 * i + 1], oldExpiries[i]);
      }
    }
  }
}
