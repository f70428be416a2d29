package dev.sparkmoe.core.config;

import dev.sparkmoe.core.balance.Capacity;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/** The parsers of {@link MoeOptions}: each names the setting and what it allows when it fails. */
public final class OptionParsers {
  private OptionParsers() {}

  /** The text as it is: checked where it is used (a column name, a backend found at run time). */
  public static String text(String name, String value) {
    return value;
  }

  public static int positive(String name, String value) {
    Integer parsed = parseInt(value);
    if (parsed == null || parsed <= 0) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: a positive integer)", name, value));
    }
    return parsed;
  }

  public static long positiveLong(String name, String value) {
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: a positive integer)", name, value));
  }

  public static int nonNegative(String name, String value) {
    Integer parsed = parseInt(value);
    if (parsed == null || parsed < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: an integer >= 0)", name, value));
    }
    return parsed;
  }

  /** Any integer; its range is checked where it is used. */
  public static int integer(String name, String value) {
    Integer parsed = parseInt(value);
    if (parsed == null) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: a positive integer)", name, value));
    }
    return parsed;
  }

  /** A positive byte count, plain or with a k, m or g suffix (powers of 1024). */
  public static long bytes(String name, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    int shift = v.endsWith("k") ? 10 : v.endsWith("m") ? 20 : v.endsWith("g") ? 30 : 0;
    try {
      long parsed = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
      if (parsed > 0 && parsed <= Long.MAX_VALUE >> shift) {
        return parsed << shift;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid %s: %s (expected: a positive number of bytes, e.g. 268435456 or 256m)",
            name, value));
  }

  /** A positive capacity factor, or {@code none} (dropless): empty. */
  public static OptionalDouble capacityFactor(String name, String value) {
    String v = value.trim();
    if (v.equalsIgnoreCase("none")) {
      return OptionalDouble.empty();
    }
    try {
      return OptionalDouble.of(Capacity.checkFactor(Double.parseDouble(v)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid capacity factor: %s (expected: a positive number, or none for dropless)",
              value),
          e);
    }
  }

  /**
   * One of {@code allowed}, compared case-insensitively after trimming; lower-case.
   *
   * @param thing how the message names the setting ({@code row-error policy})
   * @param expected what the message lists as allowed ({@code fail or skip})
   */
  public static MoeOption.Parser<String> oneOf(
      String thing, String expected, List<String> allowed) {
    return (name, value) -> {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (!allowed.contains(v)) {
        throw new IllegalArgumentException(
            String.format("Invalid %s: %s (expected: %s)", thing, value, expected));
      }
      return v;
    };
  }

  /** A finite number; its range is checked where it is used. */
  public static double number(String name, String value) {
    try {
      double parsed = Double.parseDouble(value.trim());
      if (Double.isFinite(parsed)) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: a number)", name, value));
  }

  /** Any long integer. */
  public static long longInteger(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: an integer)", name, value), e);
    }
  }

  /** {@code true} or {@code false}, case-insensitively. */
  public static boolean bool(String name, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: true or false)", name, value));
    }
    return v.equals("true");
  }

  /** Token ids separated by commas (blanks allowed; brackets ignored); empty for none. */
  public static int[] tokenIds(String name, String value) {
    String v = value.replace("[", "").replace("]", "").trim();
    if (v.isEmpty() || v.equalsIgnoreCase("none")) {
      return new int[0];
    }
    String[] parts = v.split(",");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      Integer id = parseInt(parts[i]);
      if (id == null || id < 0) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid %s: %s (expected: token ids >= 0 separated by commas, e.g. 2,32000)",
                name, value));
      }
      ids[i] = id;
    }
    return ids;
  }

  private static Integer parseInt(String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
