package dev.sparkmoe.core.plan;

import java.util.Locale;

/** Argument checks with the house error form {@code Invalid <thing>: <value> (expected: ...)}. */
final class Checks {
  private Checks() {}

  static void positive(String thing, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "Invalid %s: %s (expected: a positive number)", thing, value));
    }
  }

  static void nonNegative(String thing, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT, "Invalid %s: %s (expected: a non-negative number)", thing, value));
    }
  }

  static void atLeast(String thing, long value, long minimum) {
    if (value < minimum) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT, "Invalid %s: %d (expected: at least %d)", thing, value, minimum));
    }
  }

  static void notBlank(String thing, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT, "Invalid %s: '%s' (expected: a non-blank name)", thing, value));
    }
  }
}
