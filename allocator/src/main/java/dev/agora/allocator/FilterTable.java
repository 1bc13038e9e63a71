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
 * <p>Clients are named by their dense indices (given by the allocator, unique among its clients,
 * reused after a client is removed and its filters dropped). An open-addressed table with linear
 * probing: {@code keys[i]} is a client's index plus one (0: empty), {@code values[i]} its
 * filters: the filtered {@link Resources} of its one filter, whose expiry is {@code
 * expiries[i]}, or an {@code OfferFilter[]} when it has several. A client's home slot is its index
 * times the golden ratio (Fibonacci hashing), so that dense indices spread evenly and no probe run
 * grows long (strings' hashes of names like {@code fw-0001}, {@code fw-0002} are consecutive and
 * made runs of hundreds of slots in a table of a thousand filters). Mutable; confined to the
 * allocator's thread.
 *
 * <p>Beside the table, a bitset over the indices answers the common question without the table:
 * bit {@code i} is set when client {@code i} has a filter here whose resources are the very object
 * {@code common} (the resources of the first filter added while no bit was set; a declined offer is
 * given back as the object offered, so every framework that declines the agent's whole free
 * resources filters that one object). While no filter here has expired, an offer of {@code common}
 * to a client whose bit is set is filtered, and when every client's bit is set, nobody can take it.
 * An agent that frameworks keep declining carries one filter per framework, so a cycle probes one
 * framework after another that filtered it: one bit each (a few cache lines for a thousand
 * frameworks) instead of a slot each in a table of kilobytes. A clear bit says nothing: the table
 * answers.
 *
 * <p>Invariants: {@code size} keys; every key has at least one filter; the table is a power of
 * two, at most three quarters full (so that ten frameworks' filters fit in sixteen slots, whose
 * keys are one cache line); every key sits at or after its home slot with no empty slot between
 * (removal shifts the probe run back); bit {@code j} of {@code bits} is set iff client {@code j}
 * has a filter whose resources are {@code common}; {@code bitCount} bits are set, none iff {@code
 * common} and {@code bits} are null; {@code bits} is no longer than the highest index set needs
 * (doubled at most).
 */
final class FilterTable {
  private static final int[] NONE = new int[0];
  private static final Object[] NO_VALUES = new Object[0];
  private static final long[] NO_EXPIRIES = new long[0];
  private static final int GOLDEN = 0x9E3779B9;

  private int[] keys = NONE;
  private Object[] values = NO_VALUES;
  private long[] expiries = NO_EXPIRIES;
  /** {@code 32 - log2(capacity)}: a key's home is the top bits of its hash. */
  private int shift = 32;
  private int size;
  /** The resources the bits are about (by identity), or null while no bit is set. */
  private Resources common;
  private long[] bits;
  private int bitCount;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /**
   * Reads what a cycle's probes here read first (see {@link AgentState#touch}): a small table's
   * keys (two lines at most, as many as its probes read), or a large one's bits, one word per cache
   * line (its keys are reached only by the probes the bits cannot answer, one at a time); returns
   * a value made of them.
   */
  int touch() {
    int x = 0;
    int[] k = keys;
    if (k.length <= 32) {
      for (int i = 0; i < k.length; i += 16) { // one key per 64-byte line
        x += k[i];
      }
      return x;
    }
    long[] b = bits;
    if (b != null) {
      for (int i = 0; i < b.length; i += 8) { // one word per 64-byte line
        x += (int) b[i];
      }
    }
    return x;
  }

  /**
   * Whether, with no filter here expired, every one of {@code clients} clients has filtered
   * {@code offered}, as the bits tell: {@code clients} bits are set (the caller keeps bits only
   * for indices in use: it removes a client's filters before it frees the index).
   *
   * @param clients how many clients (indices in use) there are
   */
  boolean blocksAll(Resources offered, int clients, boolean allLive) {
    return allLive && offered == common && bitCount >= clients && clients > 0;
  }

  /**
   * The bits (read-only: the caller must not keep them past a change here) if they tell, for an
   * offer of {@code offered}, which clients filtered it: every client whose bit is set did, and
   * one whose bit is clear may have too (ask {@link #blocks}); null if they do not tell.
   */
  long[] blockingBits(Resources offered, boolean allLive) {
    return allLive && offered == common ? bits : null;
  }

  /** Adds a filter of client {@code index}. */
  void add(int index, OfferFilter filter) {
    if (common == null) {
      adopt(filter.resources());
    }
    if (filter.resources() == common) {
      setBit(index);
    }
    if (4 * (size + 1) > 3 * keys.length) {
      resize(Math.max(4, 2 * keys.length));
    }
    int i = find(index);
    if (i >= 0) {
      Object v = values[i];
      OfferFilter[] several;
      if (v instanceof Resources r) {
        several = new OfferFilter[] {new OfferFilter(r, expiries[i]), filter};
      } else {
        OfferFilter[] old = (OfferFilter[]) v;
        several = java.util.Arrays.copyOf(old, old.length + 1);
        several[old.length] = filter;
      }
      values[i] = several;
      return;
    }
    put(index, filter.resources(), filter.expiresAtNanos());
    size++;
  }

  /**
   * Whether a filter of client {@code index} live at {@code nowNanos} holds back {@code offered}.
   *
   * @param allLive whether the caller knows no filter here has expired (then expiries are not read)
   */
  boolean blocks(int index, Resources offered, long nowNanos, boolean allLive) {
    if (size == 0) {
      return false;
    }
    if (allLive && offered == common) {
      long[] b = bits;
      int w = index >>> 6;
      if (w < b.length && (b[w] & (1L << index)) != 0) {
        return true;
      }
    }
    int i = find(index);
    if (i < 0) {
      return false;
    }
    Object v = values[i];
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

  /** Drops every filter of client {@code index}; whether it had any. */
  boolean remove(int index) {
    int i = size == 0 ? -1 : find(index);
    if (i < 0) {
      return false;
    }
    clearBit(index);
    int mask = keys.length - 1;
    int hole = i;
    for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
      int home = home(keys[j] - 1);
      // The entry at j may move back to the hole unless its home lies cyclically in (hole, j].
      boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        expiries[hole] = expiries[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    values[hole] = null;
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
    List<Integer> keepKeys = new ArrayList<>();
    List<Object> keepValues = new ArrayList<>();
    List<Long> keepExpiries = new ArrayList<>();
    Resources oldCommon = common;
    common = null;
    bits = null;
    bitCount = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] == 0) {
        continue;
      }
      Object v = values[i];
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
        if (f.resources() == oldCommon) {
          common = oldCommon;
          setBit(keys[i] - 1);
        }
      }
      if (live.size() == 1) {
        keepKeys.add(keys[i]);
        keepValues.add(live.get(0).resources());
        keepExpiries.add(live.get(0).expiresAtNanos());
      } else if (!live.isEmpty()) {
        keepKeys.add(keys[i]);
        keepValues.add(live.toArray(new OfferFilter[0]));
        keepExpiries.add(0L);
      }
    }
    keys = NONE;
    values = NO_VALUES;
    expiries = NO_EXPIRIES;
    shift = 32;
    size = keepKeys.size();
    if (size > 0) {
      int cap = 4;
      while (4 * size > 3 * cap) {
        cap *= 2;
      }
      allocate(cap);
      for (int k = 0; k < size; k++) {
        put(keepKeys.get(k) - 1, keepValues.get(k), keepExpiries.get(k));
      }
    }
    return earliest;
  }

  /**
   * Checks the bits' invariants (see the class comment), and that every client here is in {@code
   * inUse}; throws {@link IllegalStateException} if one is broken.
   */
  void checkInvariants(java.util.BitSet inUse) {
    int set = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] == 0) {
        continue;
      }
      int index = keys[i] - 1;
      if (!inUse.get(index)) {
        throw new IllegalStateException("filter of client " + index + ", which is not in use");
      }
      boolean hasCommon = values[i] == common;
      if (values[i] instanceof OfferFilter[] several) {
        for (OfferFilter f : several) {
          hasCommon |= f.resources() == common;
        }
      }
      boolean bit = bits != null && index >>> 6 < bits.length && (bits[index >>> 6] & 1L << index) != 0;
      if (bit != (hasCommon && common != null)) {
        throw new IllegalStateException("client " + index + "'s bit is " + bit + " but its filters say " + hasCommon);
      }
      set += bit ? 1 : 0;
    }
    int counted = 0;
    if (bits != null) {
      for (long w : bits) {
        counted += Long.bitCount(w);
      }
    }
    if (set != bitCount || counted != bitCount || (common == null) != (bitCount == 0)
        || (bits == null) != (common == null)) {
      throw new IllegalStateException(bitCount + " bits counted, " + counted + " set, " + set + " of clients here");
    }
  }

  /** Makes {@code resources} the bits' subject, setting the bits of the clients that filtered that object already. */
  private void adopt(Resources resources) {
    common = resources;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] == 0) {
        continue;
      }
      boolean has = values[i] == resources;
      if (values[i] instanceof OfferFilter[] several) {
        for (OfferFilter f : several) {
          has |= f.resources() == resources;
        }
      }
      if (has) {
        setBit(keys[i] - 1);
      }
    }
  }

  private void setBit(int index) {
    int w = index >>> 6;
    if (bits == null || w >= bits.length) {
      bits = bits == null ? new long[w + 1] : java.util.Arrays.copyOf(bits, Math.max(w + 1, 2 * bits.length));
    }
    long m = 1L << index;
    if ((bits[w] & m) == 0) {
      bits[w] |= m;
      bitCount++;
    }
  }

  private void clearBit(int index) {
    int w = index >>> 6;
    if (bits != null && w < bits.length && (bits[w] & (1L << index)) != 0) {
      bits[w] &= ~(1L << index);
      if (--bitCount == 0) {
        common = null;
        bits = null;
      }
    }
  }

  private int home(int index) {
    return (index * GOLDEN) >>> shift;
  }

  /** The slot of client {@code index}, or -1. */
  private int find(int index) {
    if (size == 0) {
      return -1;
    }
    int[] k = keys;
    int mask = k.length - 1;
    int key = index + 1;
    for (int i = home(index); ; i = (i + 1) & mask) {
      int at = k[i];
      if (at == key) {
        return i;
      }
      if (at == 0) {
        return -1;
      }
    }
  }

  private void put(int index, Object value, long expiry) {
    int mask = keys.length - 1;
    int i = home(index);
    while (keys[i] != 0) {
      i = (i + 1) & mask;
    }
    keys[i] = index + 1;
    values[i] = value;
    expiries[i] = expiry;
  }

  private void allocate(int capacity) {
    keys = new int[capacity];
    values = new Object[capacity];
    expiries = new long[capacity];
    shift = 32 - Integer.numberOfTrailingZeros(capacity);
  }

  private void resize(int newCapacity) {
    int[] oldKeys = keys;
    Object[] oldValues = values;
    long[] oldExpiries = expiries;
    allocate(newCapacity);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != 0) {
        put(oldKeys[i] - 1, oldValues[i], oldExpiries[i]);
      }
    }
  }
}
