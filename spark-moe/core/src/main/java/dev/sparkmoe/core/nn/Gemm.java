package dev.sparkmoe.core.nn;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Row-major single-precision matrix products. Weights are stored as [out, in], so the common
 * product is {@code x · Wᵀ}. The implementation is chosen once per JVM, best first:
 *
 * <ol>
 *   <li>the system BLAS (OpenBLAS) through {@code dev.ludovic.netlib}, the library Spark itself
 *       uses;
 *   <li>else our Vector API kernel ({@code VectorGemm}, about 80% of OpenBLAS on one core) where
 *       {@code jdk.incubator.vector} is resolved;
 *   <li>else netlib's pure-Java BLAS, 20-50× slower than native.
 * </ol>
 *
 * Either fallback logs one loud warning with the install hint.
 *
 * <p>Thread-safe. Threads inside the native BLAS follow {@code OPENBLAS_NUM_THREADS}; the rule is
 * one BLAS thread per Spark task slot ({@code OPENBLAS_NUM_THREADS=1}, which {@code
 * spark-moe/bin/moe} and the tests set), since the slots already use every core: more threads per
 * slot only oversubscribe the cores and thrash their caches.
 */
public final class Gemm {
  private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);
  private static final String INSTALL_HINT =
      "Install OpenBLAS: apt-get install libopenblas0-pthread (Debian/Ubuntu) or dnf install"
          + " openblas (RHEL/Fedora), so that libblas.so.3 loads.";
  private static final Sgemm ACTIVE = pick();

  private Gemm() {}

  /** The implementation in use, e.g. {@code dev.ludovic.netlib.blas.JNIBLAS}. */
  public static String implementation() {
    return ACTIVE.name();
  }

  /** Whether the native (system) BLAS is in use rather than a pure-Java fallback. */
  public static boolean isNative() {
    return ACTIVE instanceof BlasSgemm blas && isNative(blas.blas());
  }

  /** The implementation in use. */
  public static Sgemm active() {
    return ACTIVE;
  }

  /** The system BLAS, where it loads. */
  public static Optional<Sgemm> nativeBlas() {
    BLAS blas = BLAS.getInstance();
    return isNative(blas) ? Optional.of(new BlasSgemm(blas)) : Optional.empty();
  }

  /** Netlib's pure-Java BLAS: its Vector API version where the module is resolved. */
  public static Sgemm javaBlas() {
    return new BlasSgemm(JavaBLAS.getInstance());
  }

  /** Our Vector API kernel, where {@code jdk.incubator.vector} is resolved. */
  public static Optional<Sgemm> vectorKernel() {
    return VectorApi.isPresent() ? Optional.of(VectorGemm.INSTANCE) : Optional.empty();
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
    ACTIVE.multiplyTransposed(a, aOffset, lda, n, k, b, bOffset, ldb, m, c, cOffset, ldc);
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
    ACTIVE.multiply(a, aOffset, lda, n, k, b, bOffset, ldb, m, c, cOffset, ldc);
  }

  private static boolean isNative(BLAS blas) {
    return blas.getClass().getName().endsWith("JNIBLAS");
  }

  private static Sgemm pick() {
    BLAS blas = BLAS.getInstance();
    if (isNative(blas)) {
      LOG.info("BLAS: native system library through {}", blas.getClass().getName());
      return new BlasSgemm(blas);
    }
    if (VectorApi.isPresent()) {
      LOG.warn(
          "BLAS: native library not found, using the pure-Java Vector API kernel {} (about 80% of"
              + " OpenBLAS on one AVX2 core, less elsewhere). {}",
          VectorGemm.INSTANCE.name(), INSTALL_HINT);
      return VectorGemm.INSTANCE;
    }
    LOG.warn(
        "BLAS: native library not found, using the pure-Java fallback {} (20-50x slower). {} Or at"
            + " least start the JVM with --add-modules {} for a faster Java kernel.",
        blas.getClass().getName(),
        INSTALL_HINT,
        VectorApi.MODULE);
    return new BlasSgemm(blas);
  }
}
