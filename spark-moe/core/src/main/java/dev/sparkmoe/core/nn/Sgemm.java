package dev.sparkmoe.core.nn;

/**
 * One implementation of row-major single-precision matrix products ({@code alpha = 1}, {@code beta
 * = 0}: the output is overwritten). {@link Gemm} holds the one in use; benchmarks and tests reach
 * the others through {@link Gemm#nativeBlas()}, {@link Gemm#javaBlas()} and {@link
 * Gemm#vectorKernel()}. Implementations are thread-safe.
 */
public interface Sgemm {
  /** What runs the products, e.g. {@code dev.ludovic.netlib.blas.JNIBLAS}, for logs and reports. */
  String name();

  /**
   * {@code c[n, m] = a[n, k] · b[m, k]ᵀ}, each matrix row-major at an offset with a row stride.
   *
   * @param lda row stride of {@code a} (at least k)
   * @param ldb row stride of {@code b} (at least k)
   * @param ldc row stride of {@code c} (at least m)
   */
  void multiplyTransposed(
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
      int ldc);

  /** {@code c[n, m] = a[n, k] · b[k, m]}, each row-major at an offset with a row stride. */
  void multiply(
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
      int ldc);
}
