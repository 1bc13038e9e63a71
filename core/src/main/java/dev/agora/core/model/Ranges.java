package dev.agora.core.model;

import java.util.Arrays;

/**
 * An immutable set of non-negative integers held as sorted, disjoint, inclusive intervals, such as
 * the ports {@code [31000-32000,33000-33010]}. Adjacent intervals are merged, so two equal sets
 * always have the same intervals.
 *
 * <p>Invariants: {@code 0 <= begin <= end <= MAX_VALUE} for every interval, intervals sorted,
 * neither overlapping nor adjacent ({@code end + 1 < next begin}). Capping at {@link #MAX_VALUE}
 * keeps {@code end + 1} and {@link #size()} free of overflow.
 *
 * <p>Concurrency: immutable, thread-safe.
 */
public final class Ranges {
  /** The empty set. */
  public static final Ranges EMPTY = new Ranges(new long[0]);

  /** The largest number a range may hold ({@code Long.MAX_VALUE - 1}). */
  public static final long MAX_VALUE = Long.MAX_VALUE - 1;

  /** Pairs {@code begin0, end0, begin1, end1, ...}; sorted, disjoint, not adjacent. */
  private final long[] bounds;

  private Ranges(long[] bounds) {
    this.bounds = bounds;
  }

  /**
   * The single interval {@code [begin-end]}.
   *
   * @throws IllegalArgumentException if {@code begin > end}, {@code begin < 0} or
   *     {@code end > MAX_VALUE}
   */
  public static Ranges of(long begin, long end) {
    checkInterval(begin, end);
    return new Ranges(new long[] {begin, end});
  }

  /**
   * Intervals given as pairs {@code begin, end, ...}, in any order.
   *
   * @throws IllegalArgumentException if a pair is inverted or two intervals overlap
   */
  public static Ranges of(long... pairs) {
    if (pairs.length % 2 != 0) {
      throw new IllegalArgumentException("ranges need begin/end pairs but got " + pairs.length + " numbers");
    }
    Ranges result = EMPTY;
    for (int i = 0; i < pairs.length; i += 2) {
      result = result.add(of(pairs[i], pairs[i + 1]));
    }
    return result;
  }

  private static void checkInterval(long begin, long end) {
    if (begin < 0) {
      throw new IllegalArgumentException("range begin must be >= 0 but was " + begin);
    }
    if (begin > end) {
      throw new IllegalArgumentException("range [" + begin + "-" + end + "] has begin > end");
    }
    if (end > MAX_VALUE) {
      throw new IllegalArgumentException("range end must be <= " + MAX_VALUE + " but was " + end);
    }
  }

  /**
   * Parses {@code [b-e,b-e,...]} (the brackets are required; {@code []} is empty).
   *
   * @throws IllegalArgumentException naming the offending token
   */
  public static Ranges parse(String text) {
    String t = text.trim();
    if (t.length() < 2 || t.charAt(0) != '[' || t.charAt(t.length() - 1) != ']') {
      throw new IllegalArgumentException("ranges '" + text + "' must be enclosed in '[' and ']'");
    }
    String body = t.substring(1, t.length() - 1).trim();
    if (body.isEmpty()) {
      return EMPTY;
    }
    Ranges result = EMPTY;
    for (String part : body.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("ranges '" + text + "' have an empty range");
      }
      int dash = p.indexOf('-', 1);
      long begin;
      long end;
      try {
        if (dash < 0) {
          begin = end = Long.parseLong(p);
        } else {
          begin = Long.parseLong(p.substring(0, dash).trim());
          end = Long.parseLong(p.substring(dash + 1).trim());
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("range '" + p + "' in '" + text + "' is not 'begin-end'");
      }
      try {
        checkInterval(begin, end);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("range '" + p + "' in '" + text + "': " + e.getMessage(), e);
      }
      Ranges one = new Ranges(new long[] {begin, end});
      if (result.overlaps(one)) {
        throw new IllegalArgumentException("range '" + p + "' in '" + text + "' overlaps another range");
      }
      result = result.add(one);
    }
    return result;
  }

  /** Whether this set holds no number. */
  public boolean isEmpty() {
    return bounds.length == 0;
  }

  /** How many numbers this set holds. */
  public long size() {
    long n = 0;
    for (int i = 0; i < bounds.length; i += 2) {
      n += bounds[i + 1] - bounds[i] + 1;
    }
    return n;
  }

  /** The number of disjoint intervals. */
  public int intervalCount() {
    return bounds.length / 2;
  }

  /** The begin of interval {@code i}. */
  public long begin(int i) {
    return bounds[2 * i];
  }

  /** The end (inclusive) of interval {@code i}. */
  public long end(int i) {
    return bounds[2 * i + 1];
  }

  /** Whether {@code value} is in this set. */
  public boolean contains(long value) {
    for (int i = 0; i < bounds.length; i += 2) {
      if (value < bounds[i]) {
        return false;
      }
      if (value <= bounds[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** Whether every number of {@code other} is in this set. */
  public boolean contains(Ranges other) {
    int i = 0;
    for (int j = 0; j < other.bounds.length; j += 2) {
      long b = other.bounds[j];
      long e = other.bounds[j + 1];
      while (i < bounds.length && bounds[i + 1] < b) {
        i += 2;
      }
      if (i >= bounds.length || bounds[i] > b || bounds[i + 1] < e) {
        return false;
      }
    }
    return true;
  }

  /** Whether the two sets share a number. */
  public boolean overlaps(Ranges other) {
    int i = 0;
    int j = 0;
    while (i < bounds.length && j < other.bounds.length) {
      if (bounds[i + 1] < other.bounds[j]) {
        i += 2;
      } else if (other.bounds[j + 1] < bounds[i]) {
        j += 2;
      } else {
        return true;
      }
    }
    return false;
  }

  /**
   * The union of two disjoint sets.
   *
   * @throws IllegalArgumentException if they share a number: a number held twice is a bookkeeping
   *     error (the same port offered twice), never silently merged
   */
  public Ranges add(Ranges other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    if (overlaps(other)) {
      throw new IllegalArgumentException("ranges " + other + " overlap " + this + " and cannot be added");
    }
    long[] out = new long[bounds.length + other.bounds.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < bounds.length || j < other.bounds.length) {
      long b;
      long e;
      if (j >= other.bounds.length || i < bounds.length && bounds[i] < other.bounds[j]) {
        b = bounds[i];
        e = bounds[i + 1];
        i += 2;
      } else {
        b = other.bounds[j];
        e = other.bounds[j + 1];
        j += 2;
      }
      if (n > 0 && out[n - 1] + 1 == b) {
        out[n - 1] = e;
      } else {
        out[n++] = b;
        out[n++] = e;
      }
    }
    return new Ranges(n == out.length ? out : Arrays.copyOf(out, n));
  }

  /**
   * This set without the numbers of {@code other}.
   *
   * @throws IllegalArgumentException if {@code other} holds a number this set does not
   */
  public Ranges subtract(Ranges other) {
    if (other.isEmpty()) {
      return this;
    }
    if (!contains(other)) {
      throw new IllegalArgumentException("ranges " + this + " do not contain " + other);
    }
    return minus(other);
  }

  /**
   * This set without whatever numbers of {@code other} it holds; never fails. Linear in the
   * number of intervals.
   */
  Ranges minus(Ranges other) {
    if (other.isEmpty() || isEmpty()) {
      return this;
    }
    long[] ob = other.bounds;
    long[] out = new long[bounds.length + ob.length];
    int n = 0;
    int j = 0;
    for (int i = 0; i < bounds.length; i += 2) {
      long b = bounds[i];
      long e = bounds[i + 1];
      while (j < ob.length && ob[j + 1] < b) {
        j += 2;
      }
      while (j < ob.length && ob[j] <= e) {
        if (ob[j] > b) {
          out[n++] = b;
          out[n++] = ob[j] - 1;
        }
        if (ob[j + 1] >= e) {
          // This interval of other may also cover the next interval: keep j.
          b = e + 1;
          break;
        }
        b = ob[j + 1] + 1;
        j += 2;
      }
      if (b <= e) {
        out[n++] = b;
        out[n++] = e;
      }
    }
    return n == 0 ? EMPTY : new Ranges(Arrays.copyOf(out, n));
  }

  /** The numbers held by both sets; linear in the number of intervals. */
  public Ranges intersect(Ranges other) {
    if (isEmpty() || other.isEmpty()) {
      return EMPTY;
    }
    long[] out = new long[bounds.length + other.bounds.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < bounds.length && j < other.bounds.length) {
      long lo = Math.max(bounds[i], other.bounds[j]);
      long hi = Math.min(bounds[i + 1], other.bounds[j + 1]);
      if (lo <= hi) {
        out[n++] = lo;
        out[n++] = hi;
      }
      if (bounds[i + 1] < other.bounds[j + 1]) {
        i += 2;
      } else {
        j += 2;
      }
    }
    return n == 0 ? EMPTY : new Ranges(Arrays.copyOf(out, n));
  }

  /**
   * The union of two sets that may overlap (unlike {@link #add}, which rejects a shared number);
   * for queries that merge the ranges of several roles.
   */
  Ranges union(Ranges other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    long[] out = new long[bounds.length + other.bounds.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < bounds.length || j < other.bounds.length) {
      long b;
      long e;
      if (j >= other.bounds.length || i < bounds.length && bounds[i] < other.bounds[j]) {
        b = bounds[i];
        e = bounds[i + 1];
        i += 2;
      } else {
        b = other.bounds[j];
        e = other.bounds[j + 1];
        j += 2;
      }
      if (n > 0 && out[n - 1] + 1 >= b) {
        out[n - 1] = Math.max(out[n - 1], e);
      } else {
        out[n++] = b;
        out[n++] = e;
      }
    }
    return new Ranges(n == out.length ? out : Arrays.copyOf(out, n));
  }

  /**
   * The lowest {@code count} numbers of this set.
   *
   * @throws IllegalArgumentException if this set has fewer than {@code count} numbers
   */
  public Ranges take(long count) {
    if (count < 0 || count > size()) {
      throw new IllegalArgumentException("cannot take " + count + " numbers from " + this);
    }
    if (count == 0) {
      return EMPTY;
    }
    long[] out = new long[bounds.length];
    int n = 0;
    long left = count;
    for (int i = 0; i < bounds.length && left > 0; i += 2) {
      long len = Math.min(left, bounds[i + 1] - bounds[i] + 1);
      out[n++] = bounds[i];
      out[n++] = bounds[i] + len - 1;
      left -= len;
    }
    return new Ranges(n == out.length ? out : Arrays.copyOf(out, n));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ranges r && Arrays.equals(bounds, r.bounds);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bounds);
  }

  /** The Mesos text form, e.g. {@code [31000-32000,33000-33000]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < bounds.length; i += 2) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(bounds[i]).append('-').append(bounds[i + 1]);
    }
    return sb.append(']').toString();
  }
}
