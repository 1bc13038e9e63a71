package dev.agora.core.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Local access control lists in the shape of Mesos's {@code --acls}: for each action, an ordered
 * list of rules {@code {"principals": ENTITY, "<object>": ENTITY}} where an entity is
 * {@code {"type": "ANY"}}, {@code {"type": "NONE"}} or {@code {"values": [...]}}.
 *
 * <p>As in Mesos's local authorizer, the first rule whose principals and object both match the
 * request decides: it allows unless either entity is NONE (NONE matches anything and denies). With
 * no matching rule the answer is {@code permissive} (default true). A request without a principal
 * (no authentication) matches only rules for ANY or NONE principals.
 *
 * <pre>{@code
 * {"permissive": false,
 *  "register_frameworks": [{"principals": {"values": ["web"]}, "roles": {"values": ["web"]}}],
 *  "run_tasks": [{"principals": {"type": "ANY"}, "users": {"values": ["nobody"]}}]}
 * }</pre>
 *
 * <p>Concurrency: immutable and thread-safe.
 */
public final class Acls {
  /** What is asked for; each has the JSON name of its rule list and of its object entity. */
  public enum Action {
    /** Subscribe a framework in a role (object: the role). */
    REGISTER_FRAMEWORKS("register_frameworks", "roles"),
    /** Launch a task as a unix user (object: the user). */
    RUN_TASKS("run_tasks", "users"),
    /** Tear down a framework as an operator (object: the framework's principal). */
    TEARDOWN_FRAMEWORKS("teardown_frameworks", "framework_principals"),
    /** Reserve resources for a role (object: the role). */
    RESERVE_RESOURCES("reserve_resources", "roles"),
    /** Unreserve resources of a role (object: the role). */
    UNRESERVE_RESOURCES("unreserve_resources", "roles"),
    /** Set a role's quota (object: the role). */
    UPDATE_QUOTAS("update_quotas", "roles"),
    /** Set a role's weight (object: the role). */
    UPDATE_WEIGHTS("update_weights", "roles"),
    /** Read the cluster's state: GET_STATE, GET_TASKS, /state ... (object: none, use ANY). */
    VIEW_STATE("view_state", "objects");

    private final String json;
    private final String object;

    Action(String json, String object) {
      this.json = json;
      this.object = object;
    }

    /** The name of the rule list in the ACL file. */
    public String jsonName() {
      return json;
    }
  }

  private record Entity(Type type, Set<String> values) {
    enum Type { ANY, NONE, SOME }

    /** Mesos's matches(): NONE and ANY rules match any request; SOME matches requests it contains. */
    boolean matches(Optional<String> request) {
      if (type != Type.SOME) {
        return true;
      }
      return request.isPresent() && values.contains(request.get());
    }

    boolean allows() {
      return type != Type.NONE;
    }
  }

  private record Rule(Entity principals, Entity object) {}

  private final boolean permissive;
  private final Map<Action, List<Rule>> rules;

  private Acls(boolean permissive, Map<Action, List<Rule>> rules) {
    this.permissive = permissive;
    this.rules = rules;
  }

  /** Allows everything (no ACLs). */
  public static Acls permitAll() {
    return new Acls(true, new EnumMap<>(Action.class));
  }

  /**
   * Reads an ACL file.
   *
   * @throws IllegalArgumentException naming the file and the field if it is unreadable or malformed
   */
  public static Acls fromFile(Path file) {
    try {
      return parse(MesosJson.parse(Files.readAllBytes(file)));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read ACL file " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ACL file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses ACLs from JSON.
   *
   * @throws IllegalArgumentException naming the field if malformed (unknown actions included, so
   *     that a typo does not silently allow)
   */
  public static Acls parse(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new CodecException("ACLs must be a JSON object");
    }
    boolean permissive = true;
    Map<Action, List<Rule>> rules = new EnumMap<>(Action.class);
    for (Map.Entry<String, JsonNode> field : json.properties()) {
      String name = field.getKey();
      if (name.equals("permissive")) {
        if (!field.getValue().isBoolean()) {
          throw new CodecException("field 'permissive' must be true or false");
        }
        permissive = field.getValue().booleanValue();
        continue;
      }
      Action action = null;
      for (Action a : Action.values()) {
        if (a.json.equals(name)) {
          action = a;
        }
      }
      if (action == null) {
        throw new CodecException("field '" + clip(name) + "' is not an ACL action Agora knows (known: permissive, "
            + java.util.Arrays.stream(Action.values()).map(Action::jsonName).toList() + ")");
      }
      JsonNode list = field.getValue();
      if (!list.isArray()) {
        throw new CodecException("field '" + name + "' must be an array of rules");
      }
      List<Rule> parsed = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        String at = name + "[" + i + "]";
        JsonNode rule = list.get(i);
        if (!rule.isObject()) {
          throw new CodecException("field '" + at + "' must be an object");
        }
        parsed.add(new Rule(entity(rule.get("principals"), at + ".principals"),
            entity(rule.get(action.object), at + "." + action.object)));
      }
      rules.put(action, List.copyOf(parsed));
    }
    return new Acls(permissive, rules);
  }

  private static Entity entity(JsonNode n, String at) {
    if (n == null || n.isNull()) {
      return new Entity(Entity.Type.ANY, Set.of());
    }
    if (!n.isObject()) {
      throw new CodecException("field '" + at + "' must be an object with 'type' or 'values'");
    }
    JsonNode values = n.get("values");
    if (values != null) {
      if (!values.isArray()) {
        throw new CodecException("field '" + at + ".values' must be an array of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode v : values) {
        if (!v.isTextual()) {
          throw new CodecException("field '" + at + ".values' must be an array of strings");
        }
        out.add(v.textValue());
      }
      return new Entity(Entity.Type.SOME, Set.copyOf(out));
    }
    JsonNode type = n.get("type");
    if (type == null || !type.isTextual()) {
      throw new CodecException("field '" + at + "' needs 'values' or a 'type' of ANY or NONE");
    }
    return switch (type.textValue()) {
      case "ANY" -> new Entity(Entity.Type.ANY, Set.of());
      case "NONE" -> new Entity(Entity.Type.NONE, Set.of());
      default -> throw new CodecException("field '" + at + ".type' must be ANY or NONE but was '"
          + clip(type.textValue()) + "'");
    };
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  /** Whether rules that match nothing allow (Mesos's {@code permissive}). */
  public boolean permissive() {
    return permissive;
  }

  /**
   * Whether {@code principal} (empty if unauthenticated) may do {@code action} on {@code object}
   * (empty for actions without one).
   */
  public boolean allows(Action action, Optional<String> principal, Optional<String> object) {
    for (Rule rule : rules.getOrDefault(action, List.of())) {
      if (rule.principals.matches(principal) && rule.object.matches(object)) {
        return rule.principals.allows() && rule.object.allows();
      }
    }
    return permissive;
  }
}
