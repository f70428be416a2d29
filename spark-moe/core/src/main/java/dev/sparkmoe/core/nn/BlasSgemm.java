package dev.sparkmoe.core.nn;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Row-major products through a {@code dev.ludovic.netlib} BLAS, which is column-major: row-major
 * {@code C = A·Bᵀ} is column-major {@code Cᵀ = B·Aᵀ}, so the operands swap and B is read
 * transposed.
 */
record BlasSgemm(BLAS blas) implements Sgemm {
  @Override
  public String name() {
    return blas.getClass().getName();
  }

  @Override
  public void multiplyTransposed(
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
    blas.sgemm("T", "N", m, n, k, 1f, b, bOffset, ldb, a, aOffset, lda, 0f, c, cOffset, ldc);
  }

  @Override
  public void multiply(
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
    blas.sgemm("N", "N", m, n, k, 1f, b, bOffset, ldb, a, aOffset, lda, 0f, c, cOffset, ldc);
  }
}
