package dev.agora.core.codec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A JSON object being decoded, with its dotted path so that every error names the field.
 * Accessors are strict about types (a string where a number is expected is an error), except that
 * 64-bit integers may come as strings, as protobuf's JSON mapping prints them.
 */
final class Node {
  final JsonNode json;
  final String path;

  Node(JsonNode json, String path) {
    this.json = json;
    this.path = path;
  }

  static Node root(JsonNode json, String what) {
    if (json == null || !json.isObject()) {
      throw new CodecException(what + " must be a JSON object");
    }
    return new Node(json, "");
  }

  private String at(String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  boolean has(String field) {
    JsonNode v = json.get(field);
    return v != null && !v.isNull();
  }

  Node object(String field) {
    return optObject(field).orElseThrow(() -> new CodecException("field '" + at(field) + "' is required"));
  }

  Optional<Node> optObject(String field) {
    if (!has(field)) {
      return Optional.empty();
    }
    JsonNode v = json.get(field);
    if (!v.isObject()) {
      throw new CodecException("field '" + at(field) + "' must be an object but was " + kind(v));
    }
    return Optional.of(new Node(v, at(field)));
  }

  String string(String field) {
    return optString(field).orElseThrow(() -> new CodecException("field '" + at(field) + "' is required"));
  }

  Optional<String> optString(String field) {
    if (!has(field)) {
      return Optional.empty();
    }
    JsonNode v = json.get(field);
    if (!v.isTextual()) {
      throw new CodecException("field '" + at(field) + "' must be a string but was " + kind(v));
    }
    return Optional.of(v.textValue());
  }

  double number(String field) {
    return optNumber(field).orElseThrow(() -> new CodecException("field '" + at(field) + "' is required"));
  }

  Optional<Double> optNumber(String field) {
    if (!has(field)) {
      return Optional.empty();
    }
    JsonNode v = json.get(field);
    if (!v.isNumber()) {
      throw new CodecException("field '" + at(field) + "' must be a number but was " + kind(v));
    }
    double d = v.doubleValue();
    if (!Double.isFinite(d)) {
      throw new CodecException("field '" + at(field) + "' must be finite");
    }
    return Optional.of(d);
  }

  long int64(String field) {
    return optInt64(field).orElseThrow(() -> new CodecException("field '" + at(field) + "' is required"));
  }

  Optional<Long> optInt64(String field) {
    if (!has(field)) {
      return Optional.empty();
    }
    JsonNode v = json.get(field);
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return Optional.of(v.longValue());
    }
    if (v.isTextual()) {
      try {
        return Optional.of(Long.parseLong(v.textValue()));
      } catch (NumberFormatException e) {
        throw new CodecException("field '" + at(field) + "' must be a 64-bit integer but was '"
            + MesosJson.clip(v.textValue()) + "'");
      }
    }
    throw new CodecException("field '" + at(field) + "' must be a 64-bit integer but was " + kind(v));
  }

  Optional<Boolean> optBoolean(String field) {
    if (!has(field)) {
      return Optional.empty();
    }
    JsonNode v = json.get(field);
    if (!v.isBoolean()) {
      throw new CodecException("field '" + at(field) + "' must be a boolean but was " + kind(v));
    }
    return Optional.of(v.booleanValue());
  }

  <E extends Enum<E>> E enumValue(String field, Class<E> type) {
    return optEnum(field, type).orElseThrow(() -> new CodecException("field '" + at(field) + "' is required"));
  }

  <E extends Enum<E>> Optional<E> optEnum(String field, Class<E> type) {
    Optional<String> s = optString(field);
    if (s.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Enum.valueOf(type, s.get()));
    } catch (IllegalArgumentException e) {
      throw new CodecException("field '" + at(field) + "' has unknown value '" + MesosJson.clip(s.get()) + "'");
    }
  }

  /** The elements of an array field (empty if absent). */
  <T> List<T> list(String field, Function<Node, T> each) {
    List<T> out = new ArrayList<>();
    for (JsonNode v : array(field)) {
      String p = at(field) + "[" + out.size() + "]";
      if (!v.isObject()) {
        throw new CodecException("field '" + p + "' must be an object but was " + kind(v));
      }
      out.add(each.apply(new Node(v, p)));
    }
    return out;
  }

  List<String> strings(String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : array(field)) {
      if (!v.isTextual()) {
        throw new CodecException("field '" + at(field) + "[" + out.size() + "]' must be a string but was " + kind(v));
      }
      out.add(v.textValue());
    }
    return out;
  }

  private Iterable<JsonNode> array(String field) {
    if (!has(field)) {
      return List.of();
    }
    JsonNode v = json.get(field);
    if (!v.isArray()) {
      throw new CodecException("field '" + at(field) + "' must be an array but was " + kind(v));
    }
    return v;
  }

  /** Runs a model constructor, turning its IllegalArgumentException into one naming this object. */
  <T> T build(java.util.function.Supplier<T> make) {
    try {
      return make.get();
    } catch (CodecException e) {
      throw e;
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new CodecException((path.isEmpty() ? "" : "'" + path + "': ") + e.getMessage(), e);
    }
  }

  static String kind(JsonNode v) {
    return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
