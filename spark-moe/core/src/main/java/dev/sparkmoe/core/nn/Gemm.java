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
 *   <li>a native BLAS through {@code dev.ludovic.netlib}, the library Spark itself uses: the
 *       system's {@code libblas.so.3} (an installed OpenBLAS) where the loader finds one, else the
 *       OpenBLAS bundled in spark-moe's jars ({@code org.bytedeco:openblas}, {@link
 *       BundledOpenBlas}), so a fresh machine or cluster node runs native code with nothing
 *       installed;
 *   <li>else our Vector API kernel ({@code VectorGemm}, about 80% of OpenBLAS on one core) where
 *       {@code jdk.incubator.vector} is resolved;
 *   <li>else netlib's pure-Java BLAS, 20-50× slower than native.
 * </ol>
 *
 * The system property {@value BlasChoice#MODE} narrows the choice: {@code auto} (the default),
 * {@code system}, {@code bundled} or {@code java}; netlib's own {@code
 * dev.ludovic.netlib.blas.nativeLibPath} (or {@code nativeLib}), where set, names the library
 * instead. The choice is made before anything in this JVM touches netlib's {@code BLAS}, which
 * loads once. One log line names the library and where it came from; a fallback is a warning.
 *
 * <p>Thread-safe. Threads inside the native BLAS follow {@code OPENBLAS_NUM_THREADS}; the rule is
 * one BLAS thread per Spark task slot ({@code OPENBLAS_NUM_THREADS=1}, which {@code
 * spark-moe/bin/moe} and the tests set), since the slots already use every core: more threads per
 * slot only oversubscribe the cores and thrash their caches.
 */
public final class Gemm {
  private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);
  private static final String INSTALL_HINT =
      "Put org.bytedeco:openblas:linux-x86_64 on the classpath (spark-moe's jars carry it) or"
          + " install OpenBLAS: apt-get install libopenblas0-pthread (Debian/Ubuntu) or dnf install"
          + " openblas (RHEL/Fedora), so that libblas.so.3 loads.";
  private static final Selection ACTIVE = pick();
  private static final Sgemm KERNEL = ACTIVE.sgemm();

  /**
   * The implementation in use and where its library came from.
   *
   * @param description e.g. {@code dev.ludovic.netlib.blas.JNIBLAS on the bundled OpenBLAS ...}
   */
  record Selection(Sgemm sgemm, BlasSource source, String description) {}

  private Gemm() {}

  /** The implementation in use, e.g. {@code dev.ludovic.netlib.blas.JNIBLAS}. */
  public static String implementation() {
    return ACTIVE.sgemm().name();
  }

  /**
   * The implementation, its library and where that came from, for logs and reports, e.g. {@code
   * dev.ludovic.netlib.blas.JNIBLAS on the system library /usr/lib/.../libblas.so.3}.
   */
  public static String description() {
    return ACTIVE.description();
  }

  /** Where the library in use came from. */
  public static BlasSource source() {
    return ACTIVE.source();
  }

  /** Whether a native BLAS (system, configured or bundled) is in use, not a pure-Java fallback. */
  public static boolean isNative() {
    return ACTIVE.source() != BlasSource.PURE_JAVA;
  }

  /** The implementation in use. */
  public static Sgemm active() {
    return KERNEL;
  }

  /** The native BLAS, where one loads (the system's, or else the bundled one). */
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
    KERNEL.multiplyTransposed(a, aOffset, lda, n, k, b, bOffset, ldb, m, c, cOffset, ldc);
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
    KERNEL.multiply(a, aOffset, lda, n, k, b, bOffset, ldb, m, c, cOffset, ldc);
  }

  private static boolean isNative(BLAS blas) {
    return blas.getClass().getName().endsWith("JNIBLAS");
  }

  private static Selection pick() {
    BlasChoice choice =
        BlasChoice.decide(System::getProperty, BlasChoice.Libraries.ofThisMachine());
    choice
        .nativeLibPath()
        .ifPresent(path -> System.setProperty(BlasChoice.NATIVE_LIB_PATH, path.toString()));
    BLAS loaded =
        choice.source() == BlasSource.PURE_JAVA ? JavaBLAS.getInstance() : BLAS.getInstance();
    Selection selection = select(choice, loaded, VectorApi.isPresent());
    if (selection.source() == BlasSource.PURE_JAVA) {
      LOG.warn(
          "BLAS: {} ({}; {}). {}",
          selection.description(),
          choice.reason(),
          VectorApi.isPresent()
              ? "about 80% of OpenBLAS on one AVX2 core, less elsewhere"
              : "20-50x slower than native",
          VectorApi.isPresent()
              ? INSTALL_HINT
              : INSTALL_HINT + " Or at least start the JVM with --add-modules " + VectorApi.MODULE);
    } else {
      LOG.info("BLAS: {} ({})", selection.description(), choice.reason());
    }
    return selection;
  }

  /**
   * What runs the products, given the choice and what netlib then loaded: the chosen native library
   * where it loaded, else the best pure-Java kernel.
   */
  static Selection select(BlasChoice choice, BLAS loaded, boolean vectorApi) {
    if (choice.source() != BlasSource.PURE_JAVA && isNative(loaded)) {
      String on =
          choice.source() == BlasSource.SYSTEM
              ? "the system library "
              : "the " + choice.source().label() + " ";
      return new Selection(
          new BlasSgemm(loaded),
          choice.source(),
          loaded.getClass().getName() + " on " + on + choice.library());
    }
    Sgemm fallback = vectorApi ? VectorGemm.INSTANCE : new BlasSgemm(loaded);
    String failed =
        choice.source() == BlasSource.PURE_JAVA ? "" : " (" + choice.library() + " did not load)";
    return new Selection(
        fallback,
        BlasSource.PURE_JAVA,
        fallback.name() + ", the " + BlasSource.PURE_JAVA.label() + failed);
  }
}
