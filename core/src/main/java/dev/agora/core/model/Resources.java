package dev.agora.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An immutable bag of named resources, as in Mesos: scalars ({@code cpus}, {@code mem},
 * {@code disk}, {@code gpus} or any name), ranges ({@code ports}) and sets, each unreserved or
 * reserved to a role. Text form: {@code cpus:4;mem:8192;ports:[31000-32000];cpus(web):2}.
 *
 * <p>Scalars are fixed point with three decimals (Mesos's resolution): a value is rounded to the
 * nearest 0.001 and a positive value below 0.001 is rejected, so repeated arithmetic never drifts.
 * Amounts of zero are dropped: a {@code Resources} never holds an empty entry.
 *
 * <p>Arithmetic is on the allocator's hot path. Names and roles are interned to keys once, when a
 * value is built or parsed; {@link #add}, {@link #subtract} and {@link #contains} then merge two
 * arrays sorted by key id, with no string work and no boxing.
 *
 * <p>Invariants: {@code keys} is sorted by key id with no duplicate; {@code scalars[i]} is
 * positive for a scalar key and zero otherwise; {@code others[i]} is a non-empty {@link Ranges} or
 * {@code SortedSet<String>} for a ranges or set key and null for a scalar; one name has one type.
 *
 * <p>Thread-safe (immutable). Never null; methods never return null.
 */
public final class Resources implements Iterable<Resource> {
  /** The role of unreserved resources. */
  public static final String UNRESERVED = "*";

  /** No resources. */
  public static final Resources EMPTY = new Resources(new Key[0], new long[0], new Object[0]);

  static final long SCALE = 1000;

  private final Key[] keys;
  private final long[] scalars;
  private final Object[] others;
  private int hash;

  private Resources(Key[] keys, long[] scalars, Object[] others) {
    this.keys = keys;
    this.scalars = scalars;
    this.others = others;
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
   * @throws IllegalArgumentException naming the offending token
   */
  public static Resources parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("resources text must not be null");
    }
    Builder b = builder();
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ';';
      if (c == '[' || c == '{' || c == '(') {
        depth++;
      } else if (c == ']' || c == '}' || c == ')') {
        depth--;
        if (depth < 0) {
          throw new IllegalArgumentException("unbalanced '" + c + "' in resources '" + text + "'");
        }
      } else if (c == ';' && depth == 0) {
        String item = text.substring(start, Math.min(i, text.length())).trim();
        if (!item.isEmpty()) {
          parseItem(b, item, text);
        }
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw new IllegalArgumentException("unbalanced brackets in resources '" + text + "'");
    }
    return b.build();
  }

  private static void parseItem(Builder b, String item, String text) {
    int colon = item.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("resource '" + item + "' in '" + text + "' has no ':value'");
    }
    String head = item.substring(0, colon).trim();
    String value = item.substring(colon + 1).trim();
    String name = head;
    String role = UNRESERVED;
    int open = head.indexOf('(');
    if (open >= 0) {
      if (!head.endsWith(")") || head.indexOf(')') != head.length() - 1 || head.indexOf('(', open + 1) >= 0) {
        throw new IllegalArgumentException("resource '" + item + "' has an unbalanced role '" + head + "'");
      }
      name = head.substring(0, open).trim();
      role = head.substring(open + 1, head.length() - 1).trim();
    } else if (head.indexOf(')') >= 0) {
      throw new IllegalArgumentException("resource '" + item + "' has an unbalanced ')'");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException("resource '" + item + "' in '" + text + "' has no value");
    }
    char first = value.charAt(0);
    if (first == '[') {
      b.ranges(name, role, Ranges.parse(value));
    } else if (first == '{') {
      if (!value.endsWith("}")) {
        throw new IllegalArgumentException("set '" + value + "' of resource '" + name + "' must end with '}'");
      }
      String body = value.substring(1, value.length() - 1).trim();
      List<String> items = new ArrayList<>();
      if (!body.isEmpty()) {
        for (String s : body.split(",", -1)) {
          String t = s.trim();
          if (t.isEmpty()) {
            throw new IllegalArgumentException("set '" + value + "' of resource '" + name + "' has an empty item");
          }
          items.add(t);
        }
      }
      b.set(name, role, items);
    } else {
      double v;
      try {
        v = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "value '" + value + "' of resource '" + name + "' is not a number, ranges or set");
      }
      b.scalar(name, role, v);
    }
  }

  /** Converts a scalar to fixed point, naming the resource in any error. */
  static long toMillis(String name, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("scalar resource '" + name + "' must be finite but was " + value);
    }
    if (value < 0) {
      throw new IllegalArgumentException("scalar resource '" + name + "' must be >= 0 but was " + value);
    }
    if (value > Long.MAX_VALUE / (2 * SCALE)) {
      throw new IllegalArgumentException("scalar resource '" + name + "' is too large: " + value);
    }
    long millis = Math.round(value * SCALE);
    if (millis == 0 && value > 0) {
      throw new IllegalArgumentException(
          "scalar resource '" + name + "' of " + value + " is below the resolution of 0.001");
    }
    return millis;
  }

  static String formatMillis(long millis) {
    if (millis % SCALE == 0) {
      return Long.toString(millis / SCALE);
    }
    String frac = String.format("%03d", Math.abs(millis % SCALE));
    int end = frac.length();
    while (frac.charAt(end - 1) == '0') {
      end--;
    }
    return (millis / SCALE) + "." + frac.substring(0, end);
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
    long sum = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i].name.equals(name)) {
        sum += scalars[i];
      }
    }
    return sum;
  }

  /** Scalar {@code cpus} over every role. */
  public double cpus() {
    return scalar("cpus");
  }

  /** Scalar {@code mem} (MB) over every role. */
  public double mem() {
    return scalar("mem");
  }

  /** Scalar {@code disk} (MB) over every role. */
  public double disk() {
    return scalar("disk");
  }

  /** Scalar {@code gpus} over every role. */
  public double gpus() {
    return scalar("gpus");
  }

  /** The union of the named ranges over every role, or empty. */
  public Ranges ranges(String name) {
    Ranges r = Ranges.EMPTY;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i].name.equals(name) && others[i] instanceof Ranges rs) {
        r = r.add(rs);
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
    String r = Roles.check(role);
    return filter(k -> k.role.equals(r));
  }

  /**
   * What a framework in {@code role} may be offered: the unreserved resources and those reserved
   * to the role or to one of its ancestors ({@code eng} reservations serve {@code eng/web}).
   */
  public Resources allocatableTo(String role) {
    String r = Roles.check(role);
    return filter(k -> k.role == UNRESERVED || Roles.isSelfOrAncestor(k.role, r));
  }

  /** These resources with every reservation removed (all unreserved). */
  public Resources unreserveAll() {
    return rerole(UNRESERVED);
  }

  /** These resources, all reserved to {@code role}. */
  public Resources reserveTo(String role) {
    return rerole(Roles.check(role));
  }

  private Resources rerole(String role) {
    Builder b = builder();
    for (int i = 0; i < keys.length; i++) {
      b.addRaw(Key.of(keys[i].name, role), scalars[i], others[i]);
    }
    return b.build();
  }

  private Resources filter(java.util.function.Predicate<Key> keep) {
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
    return n == 0 ? EMPTY : new Resources(k2, s2, o2);
  }

  /** Only the scalar resources. */
  public Resources scalarsOnly() {
    int n = 0;
    for (Object o : others) {
      if (o == null) {
        n++;
      }
    }
    if (n == keys.length) {
      return this;
    }
    Key[] k2 = new Key[n];
    long[] s2 = new long[n];
    int j = 0;
    for (int i = 0; i < keys.length; i++) {
      if (others[i] == null) {
        k2[j] = keys[i];
        s2[j++] = scalars[i];
      }
    }
    return new Resources(k2, s2, new Object[n]);
  }

  // ---------------------------------------------------------------- arithmetic

  /**
   * The sum of two values.
   *
   * @throws IllegalArgumentException if one name has two types, or a range or set item would be
   *     held twice
   */
  public Resources add(Resources other) {
    if (other.keys.length == 0) {
      return this;
    }
    if (keys.length == 0) {
      return other;
    }
    Key[] k = new Key[keys.length + other.keys.length];
    long[] s = new long[k.length];
    Object[] o = new Object[k.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < keys.length || j < other.keys.length) {
      if (j >= other.keys.length || i < keys.length && keys[i].id < other.keys[j].id) {
        k[n] = keys[i];
        s[n] = scalars[i];
        o[n] = others[i];
        if (j < other.keys.length) {
          other.checkType(keys[i], others[i]);
        }
        i++;
      } else if (i >= keys.length || other.keys[j].id < keys[i].id) {
        k[n] = other.keys[j];
        s[n] = other.scalars[j];
        o[n] = other.others[j];
        checkType(other.keys[j], other.others[j]);
        j++;
      } else {
        k[n] = keys[i];
        s[n] = Math.addExact(scalars[i], other.scalars[j]);
        o[n] = addOther(keys[i], others[i], other.others[j]);
        i++;
        j++;
      }
      n++;
    }
    if (n < k.length) {
      k = Arrays.copyOf(k, n);
      s = Arrays.copyOf(s, n);
      o = Arrays.copyOf(o, n);
    }
    return new Resources(k, s, o);
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
    if (!contains(other)) {
      throw new IllegalArgumentException("cannot subtract " + other + " from " + this);
    }
    Key[] k = new Key[keys.length];
    long[] s = new long[keys.length];
    Object[] o = new Object[keys.length];
    int j = 0;
    int n = 0;
    for (int i = 0; i < keys.length; i++) {
      if (j < other.keys.length && other.keys[j] == keys[i]) {
        long left = scalars[i] - other.scalars[j];
        Object rest = subtractOther(others[i], other.others[j]);
        j++;
        if (rest == null ? left == 0 : isEmptyOther(rest)) {
          continue;
        }
        k[n] = keys[i];
        s[n] = left;
        o[n] = rest;
      } else {
        k[n] = keys[i];
        s[n] = scalars[i];
        o[n] = others[i];
      }
      n++;
    }
    if (n == 0) {
      return EMPTY;
    }
    return new Resources(Arrays.copyOf(k, n), Arrays.copyOf(s, n), Arrays.copyOf(o, n));
  }

  /**
   * This value less whatever of {@code other} it holds: unlike {@link #subtract}, never fails;
   * {@code a.subtractUpTo(b)} is {@code a - (a ∩ b)}.
   */
  public Resources subtractUpTo(Resources other) {
    return subtract(intersect(other));
  }

  /** What both values hold: for each entry the smaller amount, or the common ranges and items. */
  public Resources intersect(Resources other) {
    Builder b = builder();
    int j = 0;
    for (int i = 0; i < keys.length; i++) {
      while (j < other.keys.length && other.keys[j].id < keys[i].id) {
        j++;
      }
      if (j < other.keys.length && other.keys[j] == keys[i]) {
        if (others[i] == null && other.others[j] == null) {
          b.addRaw(keys[i], Math.min(scalars[i], other.scalars[j]), null);
        } else if (others[i] instanceof Ranges a && other.others[j] instanceof Ranges c) {
          b.addRaw(keys[i], 0, a.subtract(a.subtract(intersection(a, c))));
        } else if (others[i] instanceof SortedSet<?> a && other.others[j] instanceof SortedSet<?> c) {
          TreeSet<String> common = new TreeSet<>();
          for (Object x : a) {
            if (c.contains(x)) {
              common.add((String) x);
            }
          }
          b.addRaw(keys[i], 0, common);
        }
      }
    }
    return b.build();
  }

  private static Ranges intersection(Ranges a, Ranges b) {
    Ranges out = Ranges.EMPTY;
    for (int i = 0; i < a.intervalCount(); i++) {
      for (int j = 0; j < b.intervalCount(); j++) {
        long lo = Math.max(a.begin(i), b.begin(j));
        long hi = Math.min(a.end(i), b.end(j));
        if (lo <= hi) {
          out = out.add(Ranges.of(lo, hi));
        }
      }
    }
    return out;
  }

  /** Whether every resource of {@code other}, with its role, is held here in at least that amount. */
  public boolean contains(Resources other) {
    int i = 0;
    for (int j = 0; j < other.keys.length; j++) {
      Key want = other.keys[j];
      while (i < keys.length && keys[i].id < want.id) {
        i++;
      }
      if (i >= keys.length || keys[i] != want) {
        return false;
      }
      if (other.others[j] == null) {
        if (others[i] != null || scalars[i] < other.scalars[j]) {
          return false;
        }
      } else if (!containsOther(others[i], other.others[j])) {
        return false;
      }
    }
    return true;
  }

  private void checkType(Key key, Object value) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i].name == key.name && typeOf(others[i]) != typeOf(value)) {
        throw new IllegalArgumentException(
            "resource '" + key.name + "' cannot be both " + typeOf(others[i]) + " and " + typeOf(value));
      }
    }
  }

  private static String typeOf(Object other) {
    return other == null ? "SCALAR" : other instanceof Ranges ? "RANGES" : "SET";
  }

  private static Object addOther(Key key, Object a, Object b) {
    if (a == null && b == null) {
      return null;
    }
    if (a instanceof Ranges ra && b instanceof Ranges rb) {
      return ra.add(rb);
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
    throw new IllegalArgumentException(
        "resource '" + key.name + "' cannot be both " + typeOf(a) + " and " + typeOf(b));
  }

  private static Object subtractOther(Object a, Object b) {
    if (a == null) {
      return null;
    }
    if (a instanceof Ranges ra) {
      return ra.subtract((Ranges) b);
    }
    TreeSet<String> rest = new TreeSet<>();
    for (Object x : (SortedSet<?>) a) {
      if (!((SortedSet<?>) b).contains(x)) {
        rest.add((String) x);
      }
    }
    return Collections.unmodifiableSortedSet(rest);
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

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Resources r) || r.keys.length != keys.length) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != r.keys[i] || scalars[i] != r.scalars[i] || !java.util.Objects.equals(others[i], r.others[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0 && keys.length > 0) {
      for (int i = 0; i < keys.length; i++) {
        h = 31 * h + keys[i].hashCode();
        h = 31 * h + Long.hashCode(scalars[i]);
        h = 31 * h + java.util.Objects.hashCode(others[i]);
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

  /**
   * An interned (name, role) pair. Interning is the one piece of shared mutable state here: a
   * concurrent map that only grows, by the number of distinct names times roles a process uses,
   * and gives every thread the same key, so that arithmetic compares ints.
   */
  static final class Key {
    private static final ConcurrentHashMap<String, ConcurrentHashMap<String, Key>> KEYS = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicInteger NEXT = new java.util.concurrent.atomic.AtomicInteger();

    final int id;
    final String name;
    final String role;

    private Key(String name, String role) {
      this.id = NEXT.getAndIncrement();
      this.name = name;
      this.role = role;
    }

    static Key of(String name, String role) {
      ConcurrentHashMap<String, Key> byRole = KEYS.get(name);
      if (byRole != null) {
        Key k = byRole.get(role);
        if (k != null) {
          return k;
        }
      }
      checkName(name);
      Roles.check(role);
      // Interned strings: names and roles compare by identity inside one Resources.
      return KEYS.computeIfAbsent(name.intern(), x -> new ConcurrentHashMap<>())
          .computeIfAbsent(role.intern(), r -> new Key(name.intern(), r));
    }

    private static String checkName(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("resource name must not be empty");
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (Character.isWhitespace(c) || "():;[]{},".indexOf(c) >= 0) {
          throw new IllegalArgumentException("resource name '" + name + "' has an illegal character '" + c + "'");
        }
      }
      return name;
    }
  }

  /**
   * Builds a {@link Resources}. Entries of one name and role are added up. Not thread-safe; use
   * one builder per thread.
   */
  public static final class Builder {
    private final List<Key> keys = new ArrayList<>();
    private final List<Long> scalars = new ArrayList<>();
    private final List<Object> others = new ArrayList<>();

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
      return addRaw(Key.of(name, role), 0, ranges);
    }

    /** Adds a set reserved to {@code role} ({@value #UNRESERVED} for none). */
    public Builder set(String name, String role, java.util.Collection<String> items) {
      TreeSet<String> s = new TreeSet<>();
      for (String item : items) {
        if (item == null || item.isBlank()) {
          throw new IllegalArgumentException("set resource '" + name + "' has an empty item");
        }
        if (!s.add(item)) {
          throw new IllegalArgumentException("set resource '" + name + "' holds '" + item + "' twice");
        }
      }
      return addRaw(Key.of(name, role), 0, Collections.unmodifiableSortedSet(s));
    }

    /** Adds every resource of {@code resources}. */
    public Builder add(Resources resources) {
      for (int i = 0; i < resources.keys.length; i++) {
        addRaw(resources.keys[i], resources.scalars[i], resources.others[i]);
      }
      return this;
    }

    Builder addRaw(Key key, long millis, Object other) {
      for (int i = 0; i < keys.size(); i++) {
        Key k = keys.get(i);
        if (k.name.equals(key.name) && typeOf(others.get(i)) != typeOf(other)) {
          throw new IllegalArgumentException(
              "resource '" + key.name + "' cannot be both " + typeOf(others.get(i)) + " and " + typeOf(other));
        }
        if (k == key) {
          scalars.set(i, Math.addExact(scalars.get(i), millis));
          others.set(i, addOther(key, others.get(i), other));
          return this;
        }
      }
      keys.add(key);
      scalars.add(millis);
      others.add(other);
      return this;
    }

    /** The value built so far; empty entries are dropped. */
    public Resources build() {
      Integer[] order = new Integer[keys.size()];
      int n = 0;
      for (int i = 0; i < keys.size(); i++) {
        Object o = others.get(i);
        boolean empty = o == null ? scalars.get(i) == 0 : isEmptyOther(o);
        if (!empty) {
          order[n++] = i;
        }
      }
      if (n == 0) {
        return EMPTY;
      }
      Integer[] live = Arrays.copyOf(order, n);
      Arrays.sort(live, Comparator.comparingInt(i -> keys.get(i).id));
      Key[] k = new Key[n];
      long[] s = new long[n];
      Object[] o = new Object[n];
      for (int i = 0; i < n; i++) {
        k[i] = keys.get(live[i]);
        s[i] = scalars.get(live[i]);
        o[i] = others.get(live[i]);
      }
      return new Resources(k, s, o);
    }
  }

  /** Distinct names, for callers that need to iterate scalars quickly. */
  Set<String> scalarNames() {
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < keys.length; i++) {
      if (others[i] == null) {
        names.add(keys[i].name);
      }
    }
    return names;
  }
}
