package dev.agora.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An immutable bag of named resources, as in Mesos: scalars ({@code cpus}, {@code mem},
 * {@code disk}, {@code gpus} or any name), ranges ({@code ports}) and sets, each unreserved or
 * reserved to a role. Text form: {@code cpus:4;mem:8192;ports:[31000-32000];cpus(web):2}.
 *
 * <p>Scalars are fixed point with three decimals (Mesos's resolution): a value is rounded to the
 * nearest 0.001 and a positive value below 0.001 is rejected, so repeated arithmetic never drifts.
 * Amounts of zero are dropped: a {@code Resources} never holds an empty entry.
 *
 * <p>Arithmetic is on the allocator's hot path. Names and roles are interned to {@link Key}s once,
 * when a value is built or parsed; {@link #add}, {@link #subtract}, {@link #subtractUpTo},
 * {@link #intersect} and {@link #contains} then merge two arrays sorted by key order, comparing
 * keys by identity, with no string work and no boxing. Keys are ordered by name first, so the
 * entries of one name are adjacent: the one-type-per-name check of {@link #add} and the lookups of
 * {@link #scalar(String)} are local.
 *
 * <p>Invariants (checked by {@link #checkInvariants}): {@code keys} is sorted by
 * {@link Key#order} with no duplicate; {@code scalars[i]} is positive for a scalar key and zero
 * otherwise; {@code others[i]} is a non-empty {@link Ranges} or {@code SortedSet<String>} for a
 * ranges or set key and null for a scalar; all entries of one name have one type.
 *
 * <p>Concurrency: immutable and thread-safe; the key registry is a concurrent map that only grows.
 * Never null; methods never return null.
 */
public final class Resources implements Iterable<Resource> {
  /** The role of unreserved resources. */
  public static final String UNRESERVED = "*";

  /** No resources. */
  public static final Resources EMPTY = new Resources(new Key[0], new long[0], new Object[0]);

  static final long SCALE = 1000;

  private static final int SCALAR = 0;
  private static final int RANGES = 1;
  private static final int SET = 2;

  private final Key[] keys;
  private final long[] scalars;
  private final Object[] others;
  private int hash;

  private Resources(Key[] keys, long[] scalars, Object[] others) {
    this.keys = keys;
    this.scalars = scalars;
    this.others = others;
  }

  private static Resources of(Key[] k, long[] s, Object[] o, int n) {
    if (n == 0) {
      return EMPTY;
    }
    if (n == k.length) {
      return new Resources(k, s, o);
    }
    return new Resources(Arrays.copyOf(k, n), Arrays.copyOf(s, n), Arrays.copyOf(o, n));
  }

  // ---------------------------------------------------------------- construction

  /** A builder for values assembled in code. */
  public static Builder builder() {
    return new Builder();
  }

  /** One unreserved scalar, e.g. {@code scalar("cpus", 0.5)}. */
  public static Resources scalar(String name, double value) {
    return builder().scalar(name, value).build();
  }

  /** Unreserved {@code cpus} and {@code mem} (MB), the most common request. */
  public static Resources of(double cpus, double mem) {
    return builder().scalar("cpus", cpus).scalar("mem", mem).build();
  }

  /**
   * Parses the Mesos text form: {@code name[(role)]:value} items separated by {@code ;}, where a
   * value is a number, {@code [b-e,...]} ranges or a {@code {a,b}} set. Items of one name and role
   * are added up. The empty string is {@link #EMPTY}.
   *
   * @throws IllegalArgumentException naming the offending item and token
   */
  public static Resources parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("resources text must not be null");
    }
    Builder b = builder();
    char[] open = new char[8];
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ';';
      if (c == '[' || c == '{' || c == '(') {
        if (depth == open.length) {
          open = Arrays.copyOf(open, 2 * depth);
        }
        open[depth++] = c;
      } else if (c == ']' || c == '}' || c == ')') {
        char want = c == ']' ? '[' : c == '}' ? '{' : '(';
        if (depth == 0 || open[depth - 1] != want) {
          throw new IllegalArgumentException("unbalanced '" + c + "' at index " + i + " in resource '"
              + text.substring(start, Math.min(text.length(), nextSeparator(text, i))).trim() + "'");
        }
        depth--;
      } else if (c == ';' && depth == 0) {
        String item = text.substring(start, Math.min(i, text.length())).trim();
        if (!item.isEmpty()) {
          parseItem(b, item);
        }
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw new IllegalArgumentException(
          "unclosed '" + open[depth - 1] + "' in resource '" + text.substring(start).trim() + "'");
    }
    return b.build();
  }

  private static int nextSeparator(String text, int from) {
    int semi = text.indexOf(';', from);
    return semi < 0 ? text.length() : semi;
  }

  private static void parseItem(Builder b, String item) {
    int colon = item.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("resource '" + item + "' has no ':value'");
    }
    String head = item.substring(0, colon).trim();
    String value = item.substring(colon + 1).trim();
    String name = head;
    String role = UNRESERVED;
    int open = head.indexOf('(');
    if (open >= 0) {
      if (head.indexOf(')') != head.length() - 1 || head.indexOf('(', open + 1) >= 0) {
        throw new IllegalArgumentException("resource '" + item + "' has a malformed role '" + head + "'");
      }
      name = head.substring(0, open).trim();
      role = head.substring(open + 1, head.length() - 1).trim();
      if (role.isEmpty()) {
        throw new IllegalArgumentException("resource '" + item + "' has an empty role");
      }
    } else if (head.indexOf(')') >= 0) {
      throw new IllegalArgumentException("resource '" + item + "' has an unbalanced ')'");
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("resource '" + item + "' has an empty name");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException("resource '" + item + "' has no value");
    }
    try {
      char first = value.charAt(0);
      if (first == '[') {
        b.ranges(name, role, Ranges.parse(value));
      } else if (first == '{') {
        if (!value.endsWith("}")) {
          throw new IllegalArgumentException("set '" + value + "' must end with '}'");
        }
        String body = value.substring(1, value.length() - 1).trim();
        List<String> items = new ArrayList<>();
        if (!body.isEmpty()) {
          for (String s : body.split(",", -1)) {
            String t = s.trim();
            if (t.isEmpty()) {
              throw new IllegalArgumentException("set '" + value + "' has an empty item");
            }
            items.add(t);
          }
        }
        b.set(name, role, items);
      } else {
        b.scalar(name, role, parseScalar(value));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid resource '" + item + "': " + e.getMessage(), e);
    }
  }

  /** A decimal number such as {@code 1}, {@code 0.5} or {@code 1e3}; no hex, suffixes or NaN. */
  private static double parseScalar(String value) {
    boolean plain = true;
    for (int i = 0; i < value.length() && plain; i++) {
      char c = value.charAt(i);
      plain = c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    }
    if (plain) {
      try {
        return Double.parseDouble(value);
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    if (value.contains("NaN") || value.contains("Infinity") || value.contains("inf")) {
      throw new IllegalArgumentException("value '" + value + "' must be a finite number");
    }
    throw new IllegalArgumentException("value '" + value + "' is not a number, ranges or set");
  }

  /** Converts a scalar to fixed point, naming the resource in any error. */
  static long toMillis(String name, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("scalar resource '" + name + "' must be finite but was " + value);
    }
    if (value > Long.MAX_VALUE / (2 * SCALE) || value < -Long.MAX_VALUE / (2 * SCALE)) {
      throw new IllegalArgumentException("scalar resource '" + name + "' is too large: " + value);
    }
    if (value < 0) {
      throw new IllegalArgumentException("scalar resource '" + name + "' must be >= 0 but was " + plain(value));
    }
    long millis = Math.round(value * SCALE);
    if (millis == 0 && value > 0) {
      throw new IllegalArgumentException(
          "scalar resource '" + name + "' of " + plain(value) + " is below the resolution of 0.001");
    }
    return millis;
  }

  /** A finite, not huge double as people write it: {@code 0.0001}, not {@code 1.0E-4}. */
  private static String plain(double value) {
    return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** The text of a non-negative fixed-point scalar: {@code 1500} is {@code 1.5}. */
  static String formatMillis(long millis) {
    long whole = millis / SCALE;
    long frac = millis % SCALE;
    if (frac == 0) {
      return Long.toString(whole);
    }
    StringBuilder sb = new StringBuilder().append(whole).append('.');
    for (long unit = SCALE / 10; frac != 0; unit /= 10) {
      sb.append((char) ('0' + frac / unit));
      frac %= unit;
    }
    return sb.toString();
  }

  private static long addMillis(Key key, long a, long b) {
    long sum = a + b;
    if (((a ^ sum) & (b ^ sum)) < 0) {
      throw new IllegalArgumentException("scalar resource '" + key.name + "' overflows");
    }
    return sum;
  }

  // ---------------------------------------------------------------- queries

  /** Whether this holds nothing. */
  public boolean isEmpty() {
    return keys.length == 0;
  }

  /** The sum of the named scalar over every role, or 0. */
  public double scalar(String name) {
    return scalarMillis(name) / (double) SCALE;
  }

  /** The sum of the named scalar over every role, times 1000, or 0. */
  public long scalarMillis(String name) {
    Name n = Key.nameOrNull(name);
    return n == null ? 0 : scalarMillis(n);
  }

  private long scalarMillis(Name name) {
    long sum = 0;
    for (int i = 0; i < keys.length; i++) {
      int id = keys[i].nameId;
      if (id == name.id) {
        sum += scalars[i];
      } else if (id > name.id) {
        break;
      }
    }
    return sum;
  }

  /**
   * How many entries (a name with one reservation role) these resources hold. With
   * {@link #nameAt}, {@link #isScalarAt} and {@link #scalarMillisAt}, an allocation-free walk for
   * hot loops (allocator sorters); entries are in a fixed order by name.
   */
  public int entryCount() {
    return keys.length;
  }

  /** The name of entry {@code i}; the same {@code String} object for every entry of that name. */
  public String nameAt(int i) {
    return keys[i].name;
  }

  /** Whether entry {@code i} is a scalar. */
  public boolean isScalarAt(int i) {
    return others[i] == null;
  }

  /** The value of scalar entry {@code i} in thousandths (0 for a range or set entry). */
  public long scalarMillisAt(int i) {
    return others[i] == null ? scalars[i] : 0;
  }

  /** Scalar {@code cpus} over every role. */
  public double cpus() {
    return scalarMillis(Key.CPUS) / (double) SCALE;
  }

  /** Scalar {@code mem} (MB) over every role. */
  public double mem() {
    return scalarMillis(Key.MEM) / (double) SCALE;
  }

  /** Scalar {@code disk} (MB) over every role. */
  public double disk() {
    return scalarMillis(Key.DISK) / (double) SCALE;
  }

  /** Scalar {@code gpus} over every role. */
  public double gpus() {
    return scalarMillis(Key.GPUS) / (double) SCALE;
  }

  /** The union of the named ranges over every role, or empty. */
  public Ranges ranges(String name) {
    Name n = Key.nameOrNull(name);
    Ranges r = Ranges.EMPTY;
    if (n == null) {
      return r;
    }
    for (int i = 0; i < keys.length && keys[i].nameId <= n.id; i++) {
      if (keys[i].nameId == n.id && others[i] instanceof Ranges rs) {
        r = r.union(rs);
      }
    }
    return r;
  }

  /** The names held, in text order. */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    for (Key k : keys) {
      names.add(k.name);
    }
    return Collections.unmodifiableSet(names);
  }

  /** The reservation roles held (not {@value #UNRESERVED}), sorted. */
  public Set<String> reservationRoles() {
    Set<String> roles = new TreeSet<>();
    for (Key k : keys) {
      if (k.role != UNRESERVED) {
        roles.add(k.role);
      }
    }
    return Collections.unmodifiableSet(roles);
  }

  /** Only the unreserved resources. */
  public Resources unreserved() {
    return filter(k -> k.role == UNRESERVED);
  }

  /** Only the resources reserved to exactly {@code role}. */
  public Resources reservedTo(String role) {
    String r = Key.role(role);
    return filter(k -> k.role == r);
  }

  /**
   * What a framework in {@code role} may be offered: the unreserved resources and those reserved
   * to the role or to one of its ancestors ({@code eng} reservations serve {@code eng/web}).
   */
  public Resources allocatableTo(String role) {
    String r = Key.role(role);
    return filter(k -> k.role == UNRESERVED || k.role == r || Roles.isSelfOrAncestor(k.role, r));
  }

  /** These resources with every reservation removed (all unreserved). */
  public Resources unreserveAll() {
    return rerole(UNRESERVED);
  }

  /** These resources, all reserved to {@code role}. */
  public Resources reserveTo(String role) {
    return rerole(Key.role(role));
  }

  private Resources rerole(String role) {
    Builder b = builder();
    for (int i = 0; i < keys.length; i++) {
      b.addRaw(Key.of(keys[i].name, role), scalars[i], others[i]);
    }
    return b.build();
  }

  private Resources filter(Predicate<Key> keep) {
    int n = 0;
    for (Key k : keys) {
      if (keep.test(k)) {
        n++;
      }
    }
    if (n == keys.length) {
      return this;
    }
    Key[] k2 = new Key[n];
    long[] s2 = new long[n];
    Object[] o2 = new Object[n];
    int j = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keep.test(keys[i])) {
        k2[j] = keys[i];
        s2[j] = scalars[i];
        o2[j] = others[i];
        j++;
      }
    }
    return of(k2, s2, o2, n);
  }

  /** Only the scalar resources. */
  public Resources scalarsOnly() {
    return allScalars() ? this : filterScalars();
  }

  private boolean allScalars() {
    for (Object o : others) {
      if (o != null) {
        return false;
      }
    }
    return true;
  }

  private Resources filterScalars() {
    int n = 0;
    Key[] k2 = new Key[keys.length];
    long[] s2 = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      if (others[i] == null) {
        k2[n] = keys[i];
        s2[n++] = scalars[i];
      }
    }
    return of(k2, s2, new Object[keys.length], n);
  }

  // ---------------------------------------------------------------- arithmetic

  /**
   * The sum of two values.
   *
   * @throws IllegalArgumentException if one name has two types, a range or set item would be held
   *     twice, or a scalar overflows
   */
  public Resources add(Resources other) {
    if (other.keys.length == 0) {
      return this;
    }
    if (keys.length == 0) {
      return other;
    }
    Key[] ok = other.keys;
    int len = keys.length + ok.length;
    Key[] k = new Key[len];
    long[] s = new long[len];
    Object[] o = new Object[len];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < keys.length && j < ok.length) {
      Key a = keys[i];
      Key b = ok[j];
      if (a.nameId == b.nameId && typeOf(others[i]) != typeOf(other.others[j])) {
        throw twoTypes(a, others[i], other.others[j]);
      }
      if (a == b) {
        k[n] = a;
        s[n] = addMillis(a, scalars[i], other.scalars[j]);
        o[n] = others[i] == null ? null : addOther(a, others[i], other.others[j]);
        i++;
        j++;
      } else if (a.order < b.order) {
        k[n] = a;
        s[n] = scalars[i];
        o[n] = others[i];
        i++;
      } else {
        k[n] = b;
        s[n] = other.scalars[j];
        o[n] = other.others[j];
        j++;
      }
      n++;
    }
    // At most one of the two tails is left; it cannot share a name with what was merged before it.
    for (; i < keys.length; i++, n++) {
      k[n] = keys[i];
      s[n] = scalars[i];
      o[n] = others[i];
    }
    for (; j < ok.length; j++, n++) {
      k[n] = ok[j];
      s[n] = other.scalars[j];
      o[n] = other.others[j];
    }
    return of(k, s, o, n);
  }

  /**
   * This value less {@code other}.
   *
   * @throws IllegalArgumentException if this does not {@link #contains contain} {@code other}
   */
  public Resources subtract(Resources other) {
    if (other.keys.length == 0) {
      return this;
    }
    Key[] ok = other.keys;
    Key[] k = new Key[keys.length];
    long[] s = new long[keys.length];
    Object[] o = new Object[keys.length];
    int j = 0;
    int n = 0;
    for (int i = 0; i < keys.length; i++) {
      if (j < ok.length && ok[j].order < keys[i].order) {
        throw cannotSubtract(other);
      }
      if (j < ok.length && ok[j] == keys[i]) {
        Object a = others[i];
        Object b = other.others[j];
        j++;
        if (a == null && b == null) {
          long left = scalars[i] - other.scalars[j - 1];
          if (left < 0) {
            throw cannotSubtract(other);
          }
          if (left > 0) {
            k[n] = keys[i];
            s[n++] = left;
          }
          continue;
        }
        if (!containsOther(a, b)) {
          throw cannotSubtract(other);
        }
        Object rest = minusOther(a, b);
        if (rest != null) {
          k[n] = keys[i];
          o[n++] = rest;
        }
      } else {
        k[n] = keys[i];
        s[n] = scalars[i];
        o[n++] = others[i];
      }
    }
    if (j < ok.length) {
      throw cannotSubtract(other);
    }
    return of(k, s, o, n);
  }

  private IllegalArgumentException cannotSubtract(Resources other) {
    return new IllegalArgumentException("cannot subtract " + other + " from " + this);
  }

  /**
   * This value less whatever of {@code other} it holds: unlike {@link #subtract}, never fails;
   * {@code a.subtractUpTo(b)} is {@code a - (a ∩ b)}.
   */
  public Resources subtractUpTo(Resources other) {
    if (other.keys.length == 0 || keys.length == 0) {
      return this;
    }
    Key[] ok = other.keys;
    Key[] k = new Key[keys.length];
    long[] s = new long[keys.length];
    Object[] o = new Object[keys.length];
    int j = 0;
    int n = 0;
    boolean changed = false;
    for (int i = 0; i < keys.length; i++) {
      while (j < ok.length && ok[j].order < keys[i].order) {
        j++;
      }
      Object a = others[i];
      if (j < ok.length && ok[j] == keys[i] && typeOf(a) == typeOf(other.others[j])) {
        changed = true;
        if (a == null) {
          long left = scalars[i] - Math.min(scalars[i], other.scalars[j]);
          if (left > 0) {
            k[n] = keys[i];
            s[n++] = left;
          }
        } else {
          Object rest = minusOther(a, other.others[j]);
          if (rest != null) {
            k[n] = keys[i];
            o[n++] = rest;
          }
        }
      } else {
        k[n] = keys[i];
        s[n] = scalars[i];
        o[n++] = a;
      }
    }
    return changed ? of(k, s, o, n) : this;
  }

  /** What both values hold: for each entry the smaller amount, or the common ranges and items. */
  public Resources intersect(Resources other) {
    int len = Math.min(keys.length, other.keys.length);
    Key[] ok = other.keys;
    Key[] k = new Key[len];
    long[] s = new long[len];
    Object[] o = new Object[len];
    int j = 0;
    int n = 0;
    for (int i = 0; i < keys.length && j < ok.length; i++) {
      while (j < ok.length && ok[j].order < keys[i].order) {
        j++;
      }
      if (j < ok.length && ok[j] == keys[i]) {
        Object a = others[i];
        Object b = other.others[j];
        if (a == null && b == null) {
          k[n] = keys[i];
          s[n++] = Math.min(scalars[i], other.scalars[j]);
        } else if (a != null && b != null && typeOf(a) == typeOf(b)) {
          Object common = intersectOther(a, b);
          if (common != null) {
            k[n] = keys[i];
            o[n++] = common;
          }
        }
      }
    }
    return of(k, s, o, n);
  }

  /** Whether every resource of {@code other}, with its role, is held here in at least that amount. */
  public boolean contains(Resources other) {
    Key[] ok = other.keys;
    if (ok.length > keys.length) {
      return false;
    }
    int i = 0;
    for (int j = 0; j < ok.length; j++) {
      Key want = ok[j];
      while (i < keys.length && keys[i].order < want.order) {
        i++;
      }
      if (i >= keys.length || keys[i] != want) {
        return false;
      }
      Object b = other.others[j];
      if (b == null) {
        if (others[i] != null || scalars[i] < other.scalars[j]) {
          return false;
        }
      } else if (!containsOther(others[i], b)) {
        return false;
      }
    }
    return true;
  }

  private static int typeOf(Object other) {
    return other == null ? SCALAR : other instanceof Ranges ? RANGES : SET;
  }

  private static String typeName(Object other) {
    return switch (typeOf(other)) {
      case SCALAR -> "SCALAR";
      case RANGES -> "RANGES";
      default -> "SET";
    };
  }

  private static IllegalArgumentException twoTypes(Key key, Object a, Object b) {
    return new IllegalArgumentException(
        "resource '" + key.name + "' cannot be both " + typeName(a) + " and " + typeName(b));
  }

  /** The sum of two ranges or two sets of one key, which must be of one type. */
  private static Object addOther(Key key, Object a, Object b) {
    if (a instanceof Ranges ra && b instanceof Ranges rb) {
      try {
        return ra.add(rb);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "resource '" + key.name + "(" + key.role + ")': " + e.getMessage(), e);
      }
    }
    if (a instanceof SortedSet<?> sa && b instanceof SortedSet<?> sb) {
      TreeSet<String> union = new TreeSet<>();
      for (Object x : sa) {
        union.add((String) x);
      }
      for (Object x : sb) {
        if (!union.add((String) x)) {
          throw new IllegalArgumentException("set item '" + x + "' of resource '" + key.name + "' is held twice");
        }
      }
      return Collections.unmodifiableSortedSet(union);
    }
    throw twoTypes(key, a, b);
  }

  /** {@code a} without the numbers or items of {@code b} (same type), or null if none is left. */
  private static Object minusOther(Object a, Object b) {
    if (a instanceof Ranges ra) {
      Ranges rest = ra.minus((Ranges) b);
      return rest.isEmpty() ? null : rest;
    }
    SortedSet<?> sb = (SortedSet<?>) b;
    TreeSet<String> rest = new TreeSet<>();
    for (Object x : (SortedSet<?>) a) {
      if (!sb.contains(x)) {
        rest.add((String) x);
      }
    }
    return rest.isEmpty() ? null : Collections.unmodifiableSortedSet(rest);
  }

  /** What two ranges or two sets (same type) share, or null if nothing. */
  private static Object intersectOther(Object a, Object b) {
    if (a instanceof Ranges ra) {
      Ranges common = ra.intersect((Ranges) b);
      return common.isEmpty() ? null : common;
    }
    SortedSet<?> sb = (SortedSet<?>) b;
    TreeSet<String> common = new TreeSet<>();
    for (Object x : (SortedSet<?>) a) {
      if (sb.contains(x)) {
        common.add((String) x);
      }
    }
    return common.isEmpty() ? null : Collections.unmodifiableSortedSet(common);
  }

  private static boolean containsOther(Object a, Object b) {
    if (a instanceof Ranges ra && b instanceof Ranges rb) {
      return ra.contains(rb);
    }
    if (a instanceof SortedSet<?> sa && b instanceof SortedSet<?> sb) {
      return sa.containsAll(sb);
    }
    return false;
  }

  private static boolean isEmptyOther(Object o) {
    return o instanceof Ranges r ? r.isEmpty() : ((SortedSet<?>) o).isEmpty();
  }

  /**
   * Checks the class invariants, for tests.
   *
   * @throws IllegalStateException naming the broken invariant
   */
  void checkInvariants() {
    if (keys.length != scalars.length || keys.length != others.length) {
      throw new IllegalStateException("arrays of different lengths in " + this);
    }
    for (int i = 0; i < keys.length; i++) {
      if (i > 0 && keys[i - 1].order >= keys[i].order) {
        throw new IllegalStateException("keys out of order at " + i + " in " + this);
      }
      Object o = others[i];
      if (o == null ? scalars[i] <= 0 : scalars[i] != 0 || isEmptyOther(o)) {
        throw new IllegalStateException("empty or mixed entry " + keys[i].name + " in " + this);
      }
      if (i > 0 && keys[i - 1].nameId == keys[i].nameId && typeOf(others[i - 1]) != typeOf(o)) {
        throw new IllegalStateException("resource '" + keys[i].name + "' has two types in " + this);
      }
    }
  }

  // ---------------------------------------------------------------- views

  /** Each resource, in text order (by name, then role). */
  @Override
  public Iterator<Resource> iterator() {
    return toList().iterator();
  }

  /** Each resource, in text order (by name, then role). */
  public List<Resource> toList() {
    List<Resource> list = new ArrayList<>(keys.length);
    for (int i = 0; i < keys.length; i++) {
      Resource.Value v;
      if (others[i] == null) {
        v = new Resource.Scalar(scalars[i]);
      } else if (others[i] instanceof Ranges r) {
        v = new Resource.RangesValue(r);
      } else {
        @SuppressWarnings("unchecked")
        SortedSet<String> items = (SortedSet<String>) others[i];
        v = new Resource.SetValue(items);
      }
      list.add(new Resource(keys[i].name, keys[i].role, v));
    }
    list.sort(Comparator.comparing(Resource::name).thenComparing(Resource::role));
    return Collections.unmodifiableList(list);
  }

  /** Equal when both hold the same amounts under the same names and roles. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Resources r) || r.keys.length != keys.length) {
      return false;
    }
    // Both arrays are in key order, and keys are interned: equal values are equal element-wise.
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != r.keys[i] || scalars[i] != r.scalars[i] || !Objects.equals(others[i], r.others[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      for (int i = 0; i < keys.length; i++) {
        h = 31 * h + keys[i].id;
        h = 31 * h + Long.hashCode(scalars[i]);
        h = 31 * h + Objects.hashCode(others[i]);
      }
      hash = h;
    }
    return h;
  }

  /** The Mesos text form, by name then role: {@code cpus:4;mem:8192;ports:[31000-32000]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Resource r : toList()) {
      if (sb.length() > 0) {
        sb.append(';');
      }
      sb.append(r);
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- keys and builder

  /** An interned resource name: its id orders keys name first. */
  static final class Name {
    private static final AtomicInteger NEXT = new AtomicInteger();

    final int id;
    final String text;
    final ConcurrentHashMap<String, Key> byRole = new ConcurrentHashMap<>();

    private Name(String text) {
      this.id = NEXT.getAndIncrement();
      this.text = text.intern();
    }
  }

  /**
   * An interned (name, role) pair. Interning is the one piece of shared mutable state here:
   * concurrent maps that only grow, by the number of distinct names times roles a process uses,
   * and give every thread the same key, so that arithmetic compares keys by identity and orders
   * them by {@link #order} (name id, then key id).
   *
   * <p>Concurrency: {@link #of} is thread-safe ({@code computeIfAbsent} creates each key once);
   * a lookup of a known key is two map reads and allocates nothing.
   */
  static final class Key {
    private static final ConcurrentHashMap<String, Name> NAMES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, String> ROLES = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT = new AtomicInteger();

    // Resolved once here (not in Name, whose initialisation may run inside NAMES.computeIfAbsent).
    static final Name CPUS = name("cpus");
    static final Name MEM = name("mem");
    static final Name DISK = name("disk");
    static final Name GPUS = name("gpus");

    final int id;
    final int nameId;
    final long order;
    final String name;
    final String role;

    private Key(Name name, String role) {
      this.id = NEXT.getAndIncrement();
      this.nameId = name.id;
      this.order = ((long) name.id << 32) | (id & 0xFFFF_FFFFL);
      this.name = name.text;
      this.role = role;
    }

    static Key of(String name, String role) {
      if (name != null && role != null) {
        Name n = NAMES.get(name);
        if (n != null) {
          Key k = n.byRole.get(role);
          if (k != null) {
            return k;
          }
        }
      }
      Name n = name(name);
      String r = role(role);
      return n.byRole.computeIfAbsent(r, x -> new Key(n, x));
    }

    /** The interned name, registering it after checking it. */
    static Name name(String name) {
      Name n = name == null ? null : NAMES.get(name);
      if (n != null) {
        return n;
      }
      checkName(name);
      return NAMES.computeIfAbsent(name, Name::new);
    }

    /** The interned name, or null if no key ever used it (so nothing holds it). */
    static Name nameOrNull(String name) {
      return name == null ? null : NAMES.get(name);
    }

    /** The interned role, after checking it once. */
    static String role(String role) {
      String r = role == null ? null : ROLES.get(role);
      if (r != null) {
        return r;
      }
      String checked = Roles.check(role).intern();
      ROLES.putIfAbsent(checked, checked);
      return checked;
    }

    private static void checkName(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("resource name must not be empty but was '" + name + "'");
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (Character.isWhitespace(c) || Character.isISOControl(c) || "():;[]{},".indexOf(c) >= 0) {
          throw new IllegalArgumentException("resource name '" + name + "' has an illegal character '" + c + "'");
        }
      }
    }
  }

  /**
   * Builds a {@link Resources}. Entries of one name and role are added up. Not thread-safe; use
   * one builder per thread.
   */
  public static final class Builder {
    private Key[] keys = new Key[8];
    private long[] scalars = new long[8];
    private Object[] others = new Object[8];
    private int size;

    private Builder() {}

    /** Adds an unreserved scalar. */
    public Builder scalar(String name, double value) {
      return scalar(name, UNRESERVED, value);
    }

    /** Adds a scalar reserved to {@code role} ({@value #UNRESERVED} for none). */
    public Builder scalar(String name, String role, double value) {
      long millis = toMillis(name, value);
      return addRaw(Key.of(name, role), millis, null);
    }

    /** Adds unreserved ranges. */
    public Builder ranges(String name, Ranges ranges) {
      return ranges(name, UNRESERVED, ranges);
    }

    /** Adds ranges reserved to {@code role}. */
    public Builder ranges(String name, String role, Ranges ranges) {
      if (ranges == null) {
        throw new IllegalArgumentException("ranges of resource '" + name + "' must not be null");
      }
      return addRaw(Key.of(name, role), 0, ranges);
    }

    /** Adds an unreserved set. */
    public Builder set(String name, Collection<String> items) {
      return set(name, UNRESERVED, items);
    }

    /**
     * Adds a set reserved to {@code role} ({@value #UNRESERVED} for none). Items are non-empty
     * text without surrounding whitespace, control characters or any of {@code ,;()[]{}}.
     */
    public Builder set(String name, String role, Collection<String> items) {
      TreeSet<String> s = new TreeSet<>();
      for (String item : items) {
        checkItem(name, item);
        if (!s.add(item)) {
          throw new IllegalArgumentException("set resource '" + name + "' holds '" + item + "' twice");
        }
      }
      return addRaw(Key.of(name, role), 0, Collections.unmodifiableSortedSet(s));
    }

    private static void checkItem(String name, String item) {
      if (item == null || item.isEmpty()) {
        throw new IllegalArgumentException("set resource '" + name + "' has an empty item");
      }
      if (!item.strip().equals(item)) {
        throw new IllegalArgumentException("set item '" + item + "' of resource '" + name + "' has surrounding whitespace");
      }
      for (int i = 0; i < item.length(); i++) {
        char c = item.charAt(i);
        if (Character.isISOControl(c) || ",;()[]{}".indexOf(c) >= 0) {
          throw new IllegalArgumentException(
              "set item '" + item + "' of resource '" + name + "' has an illegal character '" + c + "'");
        }
      }
    }

    /** Adds every resource of {@code resources}. */
    public Builder add(Resources resources) {
      for (int i = 0; i < resources.keys.length; i++) {
        addRaw(resources.keys[i], resources.scalars[i], resources.others[i]);
      }
      return this;
    }

    Builder addRaw(Key key, long millis, Object other) {
      for (int i = 0; i < size; i++) {
        Key k = keys[i];
        if (k.nameId == key.nameId && typeOf(others[i]) != typeOf(other)) {
          throw twoTypes(key, others[i], other);
        }
        if (k == key) {
          scalars[i] = addMillis(key, scalars[i], millis);
          others[i] = other == null ? null : addOther(key, others[i], other);
          return this;
        }
      }
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, 2 * size);
        scalars = Arrays.copyOf(scalars, 2 * size);
        others = Arrays.copyOf(others, 2 * size);
      }
      keys[size] = key;
      scalars[size] = millis;
      others[size] = other;
      size++;
      return this;
    }

    /** The value built so far; empty entries are dropped. */
    public Resources build() {
      Key[] k = new Key[size];
      long[] s = new long[size];
      Object[] o = new Object[size];
      int n = 0;
      for (int i = 0; i < size; i++) {
        boolean empty = others[i] == null ? scalars[i] == 0 : isEmptyOther(others[i]);
        if (empty) {
          continue;
        }
        // Insertion sort by key order: a builder holds few entries.
        int at = n;
        while (at > 0 && k[at - 1].order > keys[i].order) {
          k[at] = k[at - 1];
          s[at] = s[at - 1];
          o[at] = o[at - 1];
          at--;
        }
        k[at] = keys[i];
        s[at] = scalars[i];
        o[at] = others[i];
        n++;
      }
      return of(k, s, o, n);
    }
  }
}
