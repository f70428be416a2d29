package dev.sparkmoe.core.safetensors;

/**
 * Text from a model file made fit for a one-line error message: control characters escaped (a name
 * with a line break or a terminal escape cannot split or restyle the message) and long values cut
 * (a header may hold a name of megabytes).
 */
final class Printable {
  static final int MAX_CHARS = 200;

  private Printable() {}

  static String of(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
    int i = 0;
    for (; i < text.length() && out.length() < MAX_CHARS; i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return i < text.length() ? out + "..." : out.toString();
  }
}
