package dev.sparkmoe.core.nn;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The number format GEMMs compute in. {@link #F32} is exact single precision (the default); {@link
 * #BF16} holds weights in bfloat16, rounds activations to bfloat16 and accumulates in f32, through
 * oneDNN on CPUs with bf16 instructions ({@link Bf16Gemm}).
 */
public enum ComputeDtype {
  F32,
  BF16;

  /** The lower-case name, as {@code --compute-dtype} spells it. */
  public String optionName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The dtype named {@code name} ({@code f32} or {@code bf16}, any case).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static ComputeDtype parse(String name) {
    for (ComputeDtype dtype : values()) {
      if (dtype.optionName().equalsIgnoreCase(name)) {
        return dtype;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid compute dtype: %s (expected: one of %s)",
            name,
            Arrays.stream(values())
                .map(ComputeDtype::optionName)
                .collect(Collectors.joining(", "))));
  }
}
