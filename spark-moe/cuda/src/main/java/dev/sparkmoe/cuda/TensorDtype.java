package dev.sparkmoe.cuda;

import dev.sparkmoe.core.safetensors.BFloat16;
import dev.sparkmoe.core.safetensors.Float16;
import java.util.Locale;

/** The 16-bit element types of the tensor-core GEMMs; both accumulate in f32. */
public enum TensorDtype {
  F16("f16"),
  BF16("bf16");

  private final String label;

  TensorDtype(String label) {
    this.label = label;
  }

  /** As configuration and kernel names spell it: {@code f16}, {@code bf16}. */
  public String label() {
    return label;
  }

  /** Bytes per element. */
  public int sizeBytes() {
    return 2;
  }

  /** {@code value} rounded to this type (nearest even), as the GPU's conversion rounds it. */
  public float round(float value) {
    return this == F16
        ? Float16.toFloat(Float16.fromFloat(value))
        : BFloat16.toFloat(BFloat16.fromFloat(value));
  }

  /** The bits of {@code value} rounded to this type. */
  public short bits(float value) {
    return this == F16 ? Float16.fromFloat(value) : BFloat16.fromFloat(value);
  }

  /** The value of this type's {@code bits}. */
  public float toFloat(short bits) {
    return this == F16 ? Float16.toFloat(bits) : BFloat16.toFloat(bits);
  }

  /**
   * The type a label names.
   *
   * @throws IllegalArgumentException for any other label
   */
  public static TensorDtype parse(String label) {
    for (TensorDtype dtype : values()) {
      if (dtype.label.equals(label.toLowerCase(Locale.ROOT))) {
        return dtype;
      }
    }
    throw new IllegalArgumentException(
        String.format("Invalid CUDA dtype: %s (expected: f16, bf16)", label));
  }
}
