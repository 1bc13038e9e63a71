package dev.agora.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of non-negative integers held as sorted, disjoint, inclusive intervals, such as
 * the ports {@code [31000-32000,33000-33010]}. Adjacent intervals are merged, so two equal sets
 * always have the same intervals.
 */
public final class Ranges {
  /** The empty set. */
  public static final Ranges EMPTY = new Ranges(new long[0]);

  /** Pairs {@code begin0, end0, begin1, end1, ...}; sorted, disjoint, not adjacent. */
  private final long[] bounds;

  private Ranges(long[] bounds) {
    this.bounds = bounds;
  }

  /**
   * The single interval {@code [begin-end]}.
   *
   * @throws IllegalArgumentException if {@code begin > end} or {@code begin < 0}
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
      checkInterval(begin, end);
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
    long[] out = new long[bounds.length + other.bounds.length];
    int n = 0;
    int j = 0;
    for (int i = 0; i < bounds.length; i += 2) {
      long b = bounds[i];
      long e = bounds[i + 1];
      while (j < other.bounds.length && other.bounds[j + 1] < b) {
        j += 2;
      }
      while (j < other.bounds.length && other.bounds[j] <= e) {
        if (other.bounds[j] > b) {
          out[n++] = b;
          out[n++] = other.bounds[j] - 1;
        }
        b = other.bounds[j + 1] + 1;
        j += 2;
      }
      if (b <= e) {
        out[n++] = b;
        out[n++] = e;
      }
    }
    return new Ranges(Arrays.copyOf(out, n));
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
    List<Long> out = new ArrayList<>();
    long left = count;
    for (int i = 0; i < bounds.length && left > 0; i += 2) {
      long len = Math.min(left, bounds[i + 1] - bounds[i] + 1);
      out.add(bounds[i]);
      out.add(bounds[i] + len - 1);
      left -= len;
    }
    long[] b = new long[out.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = out.get(i);
    }
    return new Ranges(b);
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
