package dev.sparkmoe.core.config;

/** Argument checks for the registry's own declarations. */
final class Checks {
  private Checks() {}

  static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }
}
