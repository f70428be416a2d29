package dev.sparkmoe.core.nn;

/** Where the BLAS behind {@link Gemm} came from, best first. */
public enum BlasSource {
  /** The system's {@code libblas.so.3} (an installed OpenBLAS), through netlib's JNI BLAS. */
  SYSTEM("system"),
  /** The library that {@code dev.ludovic.netlib.blas.nativeLib} or {@code nativeLibPath} names. */
  CONFIGURED("configured"),
  /** The OpenBLAS that travels in spark-moe's jars ({@code org.bytedeco:openblas}). */
  BUNDLED("bundled"),
  /** No native library: a pure-Java kernel, several times slower. */
  PURE_JAVA("pure-Java fallback");

  private final String label;

  BlasSource(String label) {
    this.label = label;
  }

  /** How logs and reports name it, e.g. {@code bundled}. */
  public String label() {
    return label;
  }
}
