package dev.agora.core.model;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The value of an agent attribute, as in Mesos: text, scalar, ranges or set. Attributes describe
 * an agent ({@code rack:r1;zone:us-east-1a;generation:3}); constraints match against them.
 */
public sealed interface AttributeValue {

  /** A text value such as {@code r1}. */
  record Text(String value) implements AttributeValue {
    public Text {
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException("text attribute value must not be empty");
      }
    }

    @Override
    public String toString() {
      return value;
    }
  }

  /** A numeric value. */
  record Scalar(double value) implements AttributeValue {
    public Scalar {
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException("scalar attribute value must be finite but was " + value);
      }
    }

    @Override
    public String toString() {
      // Integral values print without ".0", but only where a long holds them exactly.
      return value == Math.rint(value) && Math.abs(value) < 1e15
          ? Long.toString((long) value)
          : Double.toString(value);
    }
  }

  /** Integer ranges such as {@code [1-4]}. */
  record RangesValue(Ranges ranges) implements AttributeValue {
    @Override
    public String toString() {
      return ranges.toString();
    }
  }

  /** A set such as {@code {ssd,gpu}}. */
  record SetValue(SortedSet<String> items) implements AttributeValue {
    public SetValue {
      items = Collections.unmodifiableSortedSet(new TreeSet<>(items));
    }

    @Override
    public String toString() {
      return "{" + String.join(",", items) + "}";
    }
  }

  /** The value as a string, for text matching (LIKE, CLUSTER): the Mesos text form. */
  default String asText() {
    return toString();
  }

  /**
   * Parses one value: a number is a scalar, {@code [..]} ranges, {@code {..}} a set, anything
   * else text.
   *
   * @throws IllegalArgumentException naming the token
   */
  static AttributeValue parse(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("attribute value must not be empty");
    }
    if (t.startsWith("[")) {
      return new RangesValue(Ranges.parse(t));
    }
    if (t.startsWith("{")) {
      if (!t.endsWith("}")) {
        throw new IllegalArgumentException("attribute set '" + t + "' must end with '}'");
      }
      TreeSet<String> items = new TreeSet<>();
      String body = t.substring(1, t.length() - 1);
      if (!body.isBlank()) {
        for (String s : body.split(",", -1)) {
          if (s.isBlank()) {
            throw new IllegalArgumentException("attribute set '" + t + "' has an empty item");
          }
          items.add(s.trim());
        }
      }
      return new SetValue(items);
    }
    char c = t.charAt(0);
    if (c == '-' || c == '.' || Character.isDigit(c)) {
      try {
        return new Scalar(Double.parseDouble(t));
      } catch (NumberFormatException e) {
        return new Text(t);
      }
    }
    return new Text(t);
  }
}
