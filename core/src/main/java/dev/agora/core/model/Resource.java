package dev.agora.core.model;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One named resource of a {@link Resources} value: a scalar, ranges or a set, unreserved (role
 * {@value Resources#UNRESERVED}) or reserved to a role.
 *
 * @param name the resource name, e.g. {@code cpus}, {@code mem}, {@code ports}
 * @param role the reservation role, or {@value Resources#UNRESERVED} when unreserved
 * @param value the amount
 */
public record Resource(String name, String role, Value value) {

  /** The amount of a resource. */
  public sealed interface Value permits Scalar, RangesValue, SetValue {}

  /**
   * A scalar in fixed point with three decimals, as Mesos keeps them, so that sums never drift.
   *
   * @param millis the value times 1000
   */
  public record Scalar(long millis) implements Value {
    /** The value as a double, e.g. {@code 0.5} for 500 millis. */
    public double value() {
      return millis / 1000.0;
    }

    @Override
    public String toString() {
      return Resources.formatMillis(millis);
    }
  }

  /** A set of integer ranges, such as ports. */
  public record RangesValue(Ranges ranges) implements Value {
    @Override
    public String toString() {
      return ranges.toString();
    }
  }

  /** A set of names, e.g. {@code {a,b}}. */
  public record SetValue(SortedSet<String> items) implements Value {
    public SetValue {
      items = Collections.unmodifiableSortedSet(new TreeSet<>(items));
    }

    @Override
    public String toString() {
      return "{" + String.join(",", items) + "}";
    }
  }

  /** The Mesos text form of this one resource, e.g. {@code cpus(web):2}. */
  @Override
  public String toString() {
    return Resources.UNRESERVED.equals(role) ? name + ":" + value : name + "(" + role + "):" + value;
  }
}
