package dev.agora.core.model;

/**
 * Role names, as Mesos defines them: {@value Resources#UNRESERVED} or a path of one or more
 * non-empty segments separated by '/' (e.g. {@code eng/web/frontend}), each segment without
 * whitespace and not {@code .}, {@code ..} or starting with '-'.
 */
public final class Roles {
  private Roles() {}

  /**
   * Returns {@code role} if it is a valid role name.
   *
   * @throws IllegalArgumentException naming the role and what is wrong with it
   */
  public static String check(String role) {
    if (role == null || role.isEmpty()) {
      throw new IllegalArgumentException("role must not be empty");
    }
    if (role.equals(Resources.UNRESERVED)) {
      return Resources.UNRESERVED;
    }
    String[] segments = role.split("/", -1);
    for (String s : segments) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("role '" + role + "' has an empty path segment");
      }
      if (s.equals(".") || s.equals("..") || s.startsWith("-")) {
        throw new IllegalArgumentException("role '" + role + "' has an illegal segment '" + s + "'");
      }
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c) || c < ' ' || c == 127 || "()[]{}:;,*".indexOf(c) >= 0) {
          throw new IllegalArgumentException("role '" + role + "' has an illegal character '" + c + "'");
        }
      }
    }
    return role;
  }

  /** Whether {@code ancestor} is {@code role} itself or one of its parents ({@code eng} of {@code eng/web}). */
  public static boolean isSelfOrAncestor(String ancestor, String role) {
    return role.equals(ancestor)
        || role.length() > ancestor.length() && role.startsWith(ancestor) && role.charAt(ancestor.length()) == '/';
  }

  /** The parent of a hierarchical role, or empty for a top-level role. */
  public static java.util.Optional<String> parent(String role) {
    int slash = role.lastIndexOf('/');
    return slash < 0 ? java.util.Optional.empty() : java.util.Optional.of(role.substring(0, slash));
  }
}
