package dev.agora.core.model;

/** Validation shared by the id records. */
final class Ids {
  static final int MAX_LENGTH = 255;

  private Ids() {}

  static void check(String kind, String value) {
    if (value == null) {
      throw new IllegalArgumentException(kind + " must not be null");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException(kind + " must not be empty");
    }
    if (value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          kind + " must be at most " + MAX_LENGTH + " characters but was " + value.length());
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c >= 127 || c == '/' || c == '\\') {
        throw new IllegalArgumentException(
            kind + " '" + value + "' has an illegal character " + String.format("U+%04X", (int) c)
                + " at index " + i + " (printable ASCII without whitespace, '/' or '\\')");
      }
    }
    if (value.equals(".") || value.equals("..")) {
      throw new IllegalArgumentException(kind + " must not be '" + value + "'");
    }
  }
}
