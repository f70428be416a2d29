package dev.sparkmoe.core.nn;

/** Element-wise activations in f32. */
public final class Activations {
  private Activations() {}

  /** {@code silu(x) = x / (1 + e^-x)}. */
  public static float silu(float x) {
    return x / (1f + (float) Math.exp(-x));
  }

  /**
   * SwiGLU over fused rows: for each of {@code numRows} rows of {@code gateUp} (width 2·ffn, gate
   * first, up second) writes {@code silu(gate) * up} into row {@code r} of {@code out} (width ffn).
   */
  public static void swiglu(float[] gateUp, int numRows, int ffn, float[] out) {
    for (int r = 0; r < numRows; r++) {
      int in = r * 2 * ffn;
      int o = r * ffn;
      for (int i = 0; i < ffn; i++) {
        out[o + i] = silu(gateUp[in + i]) * gateUp[in + ffn + i];
      }
    }
  }

  /** {@code log(sum(exp(x)))} over {@code x[offset, offset + length)}, in double. */
  public static double logSumExp(float[] x, int offset, int length) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, x[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < length; i++) {
      sum += Math.exp((double) x[offset + i] - max);
    }
    return max + Math.log(sum);
  }
}
