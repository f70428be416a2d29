package dev.sparkmoe.core.nn;

import dev.ludovic.netlib.blas.BLAS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Row-major single-precision matrix products through {@code dev.ludovic.netlib} BLAS, the library
 * Spark itself uses, backed by the system BLAS (OpenBLAS) when it loads. Weights are stored as
 * [out, in], so the common product is {@code x · Wᵀ}.
 *
 * <p>Thread-safe. Threads inside BLAS follow {@code OPENBLAS_NUM_THREADS}; see the README for the
 * rule.
 */
public final class Gemm {
  private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);
  private static final BLAS BLAS_INSTANCE = pick();

  private Gemm() {}

  /** The BLAS implementation in use, e.g. {@code dev.ludovic.netlib.blas.JNIBLAS}. */
  public static String implementation() {
    return BLAS_INSTANCE.getClass().getName();
  }

  /** Whether the native (system) BLAS is in use rather than a pure-Java fallback. */
  public static boolean isNative() {
    return implementation().endsWith("JNIBLAS");
  }

  /**
   * {@code c[n, m] = a[n, k] · b[m, k]ᵀ}, each matrix row-major at an offset with a row stride.
   *
   * @param lda row stride of {@code a} (at least k)
   * @param ldb row stride of {@code b} (at least k)
   * @param ldc row stride of {@code c} (at least m)
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
    if (n == 0 || m == 0) {
      return;
    }
    // Row-major C = A·Bᵀ is column-major Cᵀ = B·Aᵀ, where B is a column-major kxm matrix read
    // transposed.
    BLAS_INSTANCE.sgemm(
        "T", "N", m, n, k, 1f, b, bOffset, ldb, a, aOffset, lda, 0f, c, cOffset, ldc);
  }

  /** {@code c[n, m] = a[n, k] · w[m, k]ᵀ} for dense, unstrided matrices. */
  public static void multiplyTransposed(float[] a, int n, int k, float[] w, int m, float[] c) {
    multiplyTransposed(a, 0, k, n, k, w, 0, k, m, c, 0, m);
  }

  /** {@code c[n, m] = a[n, k] · b[k, m]}, each row-major at an offset with a row stride. */
  public static void multiply(
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
    if (n == 0 || m == 0) {
      return;
    }
    BLAS_INSTANCE.sgemm(
        "N", "N", m, n, k, 1f, b, bOffset, ldb, a, aOffset, lda, 0f, c, cOffset, ldc);
  }

  private static BLAS pick() {
    BLAS blas = BLAS.getInstance();
    String name = blas.getClass().getName();
    if (name.endsWith("JNIBLAS")) {
      LOG.info("BLAS: native system library through {}", name);
    } else {
      LOG.warn(
          "BLAS: native library not found, using the pure-Java fallback {} (20-50x slower). Install"
              + " OpenBLAS: apt-get install libopenblas0-pthread (Debian/Ubuntu) or dnf install"
              + " openblas (RHEL/Fedora), so that libblas.so.3 loads.",
          name);
    }
    return blas;
  }
}
