package dev.sparkmoe.core.nn;

/** Element-wise activations in f32. Stateless; thread-safe. */
public final class Activations {
  private Activations() {}

  /**
   * {@code silu(x) = x / (1 + e^-x)}, with {@link FloatExp}'s exponential (about 1 ulp), the one
   * every SwiGLU kernel uses: scalar and vector paths give the same bits.
   */
  public static float silu(float x) {
    return x / (1f + FloatExp.exp(-x));
  }

  /**
   * SwiGLU over fused rows: for each of {@code numRows} rows of {@code gateUp} (width 2·ffn, gate
   * first, up second) writes {@code silu(gate) * up} into row {@code r} of {@code out} (width ffn).
   * Vectorized where the Vector API is present ({@link SwiGluKernel#best()}).
   */
  public static void swiglu(float[] gateUp, int numRows, int ffn, float[] out) {
    SwiGluKernel.best().apply(gateUp, 0, 2 * ffn, numRows, ffn, out, 0, ffn);
  }

  /**
   * SwiGLU in place: row {@code r}'s result overwrites its gate half, so the activations are the
   * [numRows, ffn] matrix at row stride 2·ffn of {@code gateUp}, ready for the down projection.
   */
  public static void swigluInPlace(float[] gateUp, int numRows, int ffn) {
    SwiGluKernel.best().apply(gateUp, 0, 2 * ffn, numRows, ffn, gateUp, 0, 2 * ffn);
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
