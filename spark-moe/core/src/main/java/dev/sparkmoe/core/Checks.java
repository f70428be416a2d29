package dev.sparkmoe.core;

import java.util.Locale;

/**
 * Argument and state checks, one line each, in the house form {@code Invalid <thing>: <value>
 * (expected: ...)}. Messages are formatted with {@link Locale#ROOT}, and only when a check fails.
 */
public final class Checks {
  private Checks() {}

  /** Throws an {@link IllegalArgumentException} with the formatted message unless {@code ok}. */
  public static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, format, args));
    }
  }

  /** Throws an {@link IllegalStateException} with the formatted message unless {@code ok}. */
  public static void checkState(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalStateException(String.format(Locale.ROOT, format, args));
    }
  }

  /** Checks that {@code value} is finite and over 0. */
  public static void positive(String thing, double value) {
    checkArgument(
        value > 0 && !Double.isInfinite(value),
        "Invalid %s: %s (expected: a positive number)",
        thing,
        value);
  }

  /** Checks that {@code value} is finite and at least 0. */
  public static void nonNegative(String thing, double value) {
    checkArgument(
        value >= 0 && !Double.isInfinite(value),
        "Invalid %s: %s (expected: a non-negative number)",
        thing,
        value);
  }

  public static void atLeast(String thing, long value, long minimum) {
    checkArgument(
        value >= minimum, "Invalid %s: %d (expected: at least %d)", thing, value, minimum);
  }

  public static void notBlank(String thing, String value) {
    checkArgument(
        value != null && !value.isBlank(),
        "Invalid %s: '%s' (expected: a non-blank name)",
        thing,
        value);
  }
}
