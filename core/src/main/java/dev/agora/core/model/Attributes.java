package dev.agora.core.model;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Parsing and printing of agent attributes in the Mesos text form {@code rack:r1;zone:a}. */
public final class Attributes {
  private Attributes() {}

  /**
   * Parses {@code name:value} pairs separated by {@code ;}.
   *
   * @throws IllegalArgumentException naming the offending pair
   */
  public static Map<String, AttributeValue> parse(String text) {
    Map<String, AttributeValue> out = new TreeMap<>();
    if (text == null || text.isBlank()) {
      return Collections.unmodifiableMap(out);
    }
    for (String pair : text.split(";")) {
      if (pair.isBlank()) {
        continue;
      }
      int colon = pair.indexOf(':');
      if (colon < 0 || pair.substring(0, colon).isBlank()) {
        throw new IllegalArgumentException("attribute '" + pair.trim() + "' must be 'name:value'");
      }
      String name = pair.substring(0, colon).trim();
      if (out.containsKey(name)) {
        throw new IllegalArgumentException("attribute '" + name + "' is given twice in '" + text + "'");
      }
      try {
        out.put(name, AttributeValue.parse(pair.substring(colon + 1)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("attribute '" + pair.trim() + "': " + e.getMessage(), e);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** The text form, by name. */
  public static String print(Map<String, AttributeValue> attributes) {
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(attributes).forEach((k, v) -> {
      if (sb.length() > 0) {
        sb.append(';');
      }
      sb.append(k).append(':').append(v);
    });
    return sb.toString();
  }
}
