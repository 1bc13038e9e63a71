package dev.agora.core.placement;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A placement constraint in Marathon's form {@code [field, OPERATOR, value?]}: the field is
 * {@code hostname} or an agent attribute name ({@code @hostname}, {@code @region}, {@code @zone}
 * name the built-in fields as in Marathon).
 *
 * <ul>
 *   <li>{@code UNIQUE}: at most one instance per value of the field.
 *   <li>{@code CLUSTER value}: only where the field equals value (without value: where the first
 *       instance went).
 *   <li>{@code GROUP_BY n?}: spread evenly across the field's values (n = expected count of values).
 *   <li>{@code LIKE regex}, {@code UNLIKE regex}: the field (must / must not) match the whole regex.
 *   <li>{@code MAX_PER n}: at most n instances per value of the field.
 *   <li>{@code IS value}: the field equals value exactly.
 * </ul>
 *
 * @param field the agent field the constraint reads
 * @param operator what it demands
 * @param value the operator's argument, where it takes one
 */
public record Constraint(String field, Operator operator, Optional<String> value) {

  /** The stock operators. */
  public enum Operator {
    UNIQUE,
    CLUSTER,
    GROUP_BY,
    LIKE,
    UNLIKE,
    MAX_PER,
    IS
  }

  public Constraint {
    if (field == null || field.isBlank()) {
      throw new IllegalArgumentException("constraint field must not be empty but was '" + field + "'");
    }
    if (operator == null || value == null) {
      throw new IllegalArgumentException("constraint on '" + field + "' needs an operator and a value option");
    }
    switch (operator) {
      case LIKE, UNLIKE -> {
        String regex = value.orElseThrow(() -> new IllegalArgumentException(
            "constraint " + operator + " on '" + field + "' needs a regular expression"));
        try {
          Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("constraint " + operator + " on '" + field
              + "': '" + regex + "' is not a valid regular expression", e);
        }
      }
      case MAX_PER -> {
        String n = value.orElseThrow(() -> new IllegalArgumentException(
            "constraint MAX_PER on '" + field + "' needs a number"));
        if (parsePositive(n) < 1) {
          throw new IllegalArgumentException("constraint MAX_PER on '" + field + "' needs a number >= 1 but was '" + n + "'");
        }
      }
      case GROUP_BY -> value.ifPresent(n -> {
        if (parsePositive(n) < 1) {
          throw new IllegalArgumentException("constraint GROUP_BY on '" + field + "' needs a number >= 1 but was '" + n + "'");
        }
      });
      case IS -> value.orElseThrow(() -> new IllegalArgumentException(
          "constraint IS on '" + field + "' needs a value"));
      case UNIQUE -> {
        if (value.isPresent()) {
          throw new IllegalArgumentException("constraint UNIQUE on '" + field + "' takes no value but got '" + value.get() + "'");
        }
      }
      case CLUSTER -> { }
    }
  }

  private static int parsePositive(String n) {
    try {
      return Integer.parseInt(n.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** A constraint without a value. */
  public static Constraint of(String field, Operator operator) {
    return new Constraint(field, operator, Optional.empty());
  }

  /** A constraint with a value. */
  public static Constraint of(String field, Operator operator, String value) {
    return new Constraint(field, operator, Optional.of(value));
  }

  /**
   * Parses Marathon's array form {@code ["hostname", "UNIQUE"]}; the operator is case-insensitive.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Constraint parse(List<String> parts) {
    if (parts == null || parts.size() < 2 || parts.size() > 3) {
      throw new IllegalArgumentException("constraint must be [field, operator] or [field, operator, value] but was " + parts);
    }
    Operator op;
    try {
      op = Operator.valueOf(parts.get(1).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("constraint operator '" + parts.get(1) + "' is unknown (expected one of "
          + List.of(Operator.values()) + ")", e);
    }
    return new Constraint(parts.get(0), op, parts.size() == 3 ? Optional.ofNullable(parts.get(2)) : Optional.empty());
  }

  /** The number argument of MAX_PER or GROUP_BY (GROUP_BY without one: 1). */
  int count() {
    return value.map(Constraint::parsePositive).orElse(1);
  }

  /** Marathon's array form. */
  public List<String> toList() {
    return value.map(v -> List.of(field, operator.name(), v)).orElse(List.of(field, operator.name()));
  }

  @Override
  public String toString() {
    return toList().toString();
  }
}
