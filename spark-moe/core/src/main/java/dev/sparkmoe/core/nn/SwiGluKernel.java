package dev.sparkmoe.core.nn;

/**
 * The two implementations of SwiGLU over fused gate|up rows. Both compute {@code silu(gate) * up}
 * in f32 with {@link Activations#silu}; they differ only in how many lanes at a time and give the
 * same bits, so results do not depend on whether the Vector API is present, nor on the JIT tier.
 * Stateless; thread-safe.
 */
public enum SwiGluKernel {
  /** Plain loop; always available. */
  SCALAR {
    @Override
    void row(float[] in, int gate, int up, int ffn, float[] out, int outOffset) {
      for (int i = 0; i < ffn; i++) {
        out[outOffset + i] = Activations.silu(in[gate + i]) * in[up + i];
      }
    }
  },
  /** The JDK Vector API; only where {@link VectorApi#isPresent()}. */
  VECTOR {
    @Override
    void row(float[] in, int gate, int up, int ffn, float[] out, int outOffset) {
      VectorSwiGlu.row(in, gate, up, ffn, out, outOffset);
    }
  };

  private static final SwiGluKernel BEST = VectorApi.isPresent() ? VECTOR : SCALAR;

  /** {@link #VECTOR} where the Vector API is present, else {@link #SCALAR}. */
  public static SwiGluKernel best() {
    return BEST;
  }

  /** Whether this kernel can run in this JVM. */
  public boolean isAvailable() {
    return this == SCALAR || VectorApi.isPresent();
  }

  /**
   * For each of {@code numRows} rows: reads {@code ffn} gate values then {@code ffn} up values at
   * {@code in[inOffset + r * inStride]}, writes {@code ffn} results at {@code out[outOffset + r *
   * outStride]}. {@code out} may be {@code in} with the same offset and stride (results overwrite
   * the gate half), since each output depends only on the inputs at its own column.
   *
   * @throws IllegalStateException for {@link #VECTOR} where the Vector API is absent
   */
  public void apply(
      float[] in,
      int inOffset,
      int inStride,
      int numRows,
      int ffn,
      float[] out,
      int outOffset,
      int outStride) {
    if (!isAvailable()) {
      throw new IllegalStateException(
          "Cannot use the vector SwiGLU kernel: module "
              + VectorApi.MODULE
              + " is not resolved (start the JVM with --add-modules "
              + VectorApi.MODULE
              + ")");
    }
    for (int r = 0; r < numRows; r++) {
      int gate = inOffset + r * inStride;
      row(in, gate, gate + ffn, ffn, out, outOffset + r * outStride);
    }
  }

  abstract void row(float[] in, int gate, int up, int ffn, float[] out, int outOffset);
}
