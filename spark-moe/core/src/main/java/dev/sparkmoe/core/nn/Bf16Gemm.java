package dev.sparkmoe.core.nn;

import java.nio.FloatBuffer;
import java.util.Optional;

/**
 * Products {@code c = a · wᵀ} with {@code w} held in bfloat16 ({@link Bf16Matrix}), {@code a}
 * rounded to bfloat16 (nearest even) on the way in, and f32 accumulation and output: oneDNN's
 * matmul on the CPU's bf16 instructions (AVX512-BF16, AMX). Where oneDNN would pick anything else
 * (no bf16 instructions, natives that do not load), {@link #unavailableReason()} says so and every
 * product throws with that reason rather than run slowly.
 *
 * <p>Relative error against the f32 product: about 2⁻⁹·√2 per element of {@code a} and {@code w},
 * which at k = 1024 gives ‖c − c_f32‖ / ‖c_f32‖ ≈ 3·10⁻³ on random data ({@code Bf16GemmTest} holds
 * it).
 *
 * <p>Subnormal inputs count as zero: oneDNN's kernels run with denormals flushed.
 *
 * <p>Thread-safe: each thread runs on its own stream, primitives and buffers; one oneDNN thread per
 * calling thread with {@code OMP_NUM_THREADS=1}, the rule for Spark task slots.
 */
public final class Bf16Gemm {
  private Bf16Gemm() {}

  /** Empty when bf16 products run here on bf16 instructions, else why not and the fix. */
  public static Optional<String> unavailableReason() {
    return Dnnl.unavailableReason();
  }

  /**
   * Checks that bf16 products run here.
   *
   * @throws IllegalStateException naming the CPU flags found and the fix ({@code --compute-dtype
   *     f32})
   */
  public static void check() {
    unavailableReason()
        .ifPresent(
            reason -> {
              throw new IllegalStateException("Cannot compute in bf16 on this CPU: " + reason);
            });
  }

  /** The library and kernel, e.g. {@code oneDNN 3.3.4 brg:avx512_core_bf16}, for logs. */
  public static String implementation() {
    return Dnnl.implementation();
  }

  /**
   * {@code c[n, m] = a[n, k] · w[m, k]ᵀ}; {@code a} and {@code c} row-major at an offset with a row
   * stride, {@code c} overwritten.
   *
   * @param lda row stride of {@code a} (at least k)
   * @param ldc row stride of {@code c} (at least m)
   * @throws IllegalArgumentException if {@code k} is not {@code w}'s column count
   * @throws IllegalStateException where bf16 is unavailable (see {@link #check()})
   */
  public static void multiplyTransposed(
      float[] a,
      int aOffset,
      int lda,
      int n,
      int k,
      Bf16Matrix w,
      float[] c,
      int cOffset,
      int ldc) {
    if (k != w.cols()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid inner dimension: %d (expected: %d, the columns of the bf16 weights)",
              k, w.cols()));
    }
    Bf16Workspace workspace = Bf16Workspace.current();
    int m = w.rows();
    for (int first = 0; first < n; first += Bf16Workspace.MAX_ROWS) {
      int rows = Math.min(Bf16Workspace.MAX_ROWS, n - first);
      workspace.load(0, a, aOffset + first * lda, lda, rows, k);
      FloatBuffer result = workspace.multiply(0, rows, w);
      for (int r = 0; r < rows; r++) {
        result.get(r * m, c, cOffset + (first + r) * ldc, m);
      }
    }
  }

  /** {@code c[n, m] = a[n, k] · w[m, k]ᵀ} for dense, unstrided {@code a} and {@code c}. */
  public static void multiplyTransposed(float[] a, int n, Bf16Matrix w, float[] c) {
    multiplyTransposed(a, 0, w.cols(), n, w.cols(), w, c, 0, w.rows());
  }
}
