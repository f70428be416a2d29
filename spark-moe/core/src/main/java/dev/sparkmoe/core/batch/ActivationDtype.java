package dev.sparkmoe.core.batch;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The element type activations travel in between token owners and experts. Compute is always fp32;
 * {@link #F16} and {@link #BF16} halve the shuffled bytes at the cost of rounding each value to
 * nearest even on the way out.
 */
public enum ActivationDtype {
  /** IEEE 754 binary32: exact. */
  F32("f32", Float.BYTES),
  /** IEEE 754 binary16: 11 significant bits; beyond ±65504 a value becomes infinite. */
  F16("f16", Short.BYTES),
  /** bfloat16: the top half of a float, 8 significant bits, the float range. */
  BF16("bf16", Short.BYTES);

  private final String cliName;
  private final int sizeBytes;

  ActivationDtype(String cliName, int sizeBytes) {
    this.cliName = cliName;
    this.sizeBytes = sizeBytes;
  }

  /** The lower-case name used in configuration, on the command line and in Arrow metadata. */
  public String cliName() {
    return cliName;
  }

  /** Bytes per element. */
  public int sizeBytes() {
    return sizeBytes;
  }

  /**
   * The dtype named {@code name}, ignoring case.
   *
   * @throws IllegalArgumentException if {@code name} is null or names no dtype
   */
  public static ActivationDtype parse(String name) {
    for (ActivationDtype dtype : values()) {
      if (dtype.cliName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
        return dtype;
      }
    }
    throw new IllegalArgumentException(
        String.format("Invalid activation dtype: %s (expected: one of %s)", name, validNames()));
  }

  private static String validNames() {
    return Arrays.stream(values()).map(ActivationDtype::cliName).collect(Collectors.joining(", "));
  }
}
