package dev.sparkmoe.core.nn;

import java.util.Arrays;

/**
 * {@code c = a · bᵀ} computed in fixed blocks of {@value #ROWS} rows of {@code a}, the last block
 * zero-padded: every call into {@link Gemm} has the same shape whatever the row count, so each
 * output row's bits depend only on that row and {@code b}, never on how many other rows share the
 * call or where the row sits among them.
 *
 * <p>Why: BLAS libraries pick kernels and blockings by matrix shape (OpenBLAS 0.3.21 switches to
 * its small-matrix kernels below a few million multiply-adds, and changes again with the row
 * count), so the same token gave different low bits in batches of different sizes. Within one
 * shape, a row's result does not depend on its position nor on the other rows ({@code
 * RowBlockGemmTest} checks it for the implementation in use). Every product whose row count depends
 * on how tokens were grouped — routed experts, the router, the shared expert and its gate, dense
 * MLPs — goes through here, so the pipeline gives the same bits for any partitioning, wave size or
 * placement, and the same bits as the single-process reference forward.
 *
 * <p>Why {@value #ROWS}: per call OpenBLAS re-packs the whole weight matrix, a cost that the
 * block's rows amortize; at hidden 1024 and FFN 2816 one core runs about 75% of its large-batch
 * rate at 128 rows (70% at 64, 87% at 256), while the padding of the last block wastes at most
 * {@value #ROWS} − 1 rows per call, which small per-expert batches pay. 128 balances the two.
 *
 * <p>Large products skip the blocking: when one block is at least {@value #WHOLE_CALL_BLOCK_WORK}
 * multiply-adds, OpenBLAS runs it on its regular kernels, whose reduction order per output element
 * depends only on k (the row count only decides how rows are tiled), so a call on all n rows gives
 * each row the bits the blocked calls would; such a call runs at the full large-batch rate instead
 * of the 128-row rate. Fewer than {@value #ROWS} rows are still padded to a block. {@code
 * RowBlockGemmTest} checks both for the BLAS in use, at the shapes of real experts.
 *
 * <p>Thread-safe: each thread pads its last block in its own scratch buffers.
 */
public final class RowBlockGemm {
  /** Rows of {@code a} per GEMM call. */
  public static final int ROWS = 128;

  /**
   * Multiply-adds of one block ({@code ROWS × k × m}) from which products run as one call: 16 times
   * the size where OpenBLAS 0.3.21 measurably leaves its small-matrix kernels (about 1M).
   */
  static final long WHOLE_CALL_BLOCK_WORK = 1L << 24;

  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

  private RowBlockGemm() {}

  /**
   * {@code c[n, m] = a[n, k] · b[m, k]ᵀ}, each matrix row-major at an offset with a row stride, as
   * {@link Gemm#multiplyTransposed(float[], int, int, int, int, float[], int, int, int, float[],
   * int, int)}.
   */
  public static void multiplyTransposed(
      float[] a,
      int aOffset,
      int lda,
      int n,
      int k,
      float[] b,
      int bOffset,
      int ldb,
      int m,
      float[] c,
      int cOffset,
      int ldc) {
    if (n >= ROWS && (long) ROWS * k * m >= WHOLE_CALL_BLOCK_WORK) {
      Gemm.multiplyTransposed(a, aOffset, lda, n, k, b, bOffset, ldb, m, c, cOffset, ldc);
      return;
    }
    int full = n - n % ROWS;
    for (int first = 0; first < full; first += ROWS) {
      Gemm.multiplyTransposed(
          a,
          aOffset + first * lda,
          lda,
          ROWS,
          k,
          b,
          bOffset,
          ldb,
          m,
          c,
          cOffset + first * ldc,
          ldc);
    }
    if (full < n) {
      int rows = n - full;
      float[][] scratch = scratch(k, m);
      float[] in = scratch[0];
      float[] out = scratch[1];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(a, aOffset + (full + r) * lda, in, r * k, k);
      }
      Arrays.fill(in, rows * k, ROWS * k, 0f);
      Gemm.multiplyTransposed(in, 0, k, ROWS, k, b, bOffset, ldb, m, out, 0, m);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(out, r * m, c, cOffset + (full + r) * ldc, m);
      }
    }
  }

  /** {@code c[n, m] = a[n, k] · w[m, k]ᵀ} for dense, unstrided matrices. */
  public static void multiplyTransposed(float[] a, int n, int k, float[] w, int m, float[] c) {
    multiplyTransposed(a, 0, k, n, k, w, 0, k, m, c, 0, m);
  }

  /** This thread's padded input [ROWS, k] and output [ROWS, m] buffers; contents undefined. */
  private static float[][] scratch(int k, int m) {
    float[][] scratch = SCRATCH.get();
    if (scratch[0].length < ROWS * k) {
      scratch[0] = new float[ROWS * k];
    }
    if (scratch[1].length < ROWS * m) {
      scratch[1] = new float[ROWS * m];
    }
    return scratch;
  }
}
