package dev.sparkmoe.core.nn;

/**
 * Whether the JDK Vector API ({@code jdk.incubator.vector}) is usable in this JVM. It is an
 * incubator module, so the JVM resolves it only when started with {@code --add-modules
 * jdk.incubator.vector}; the build adds the flag to tests, to {@code spark-moe/bin/moe} and (in the
 * README) to {@code spark.driver.extraJavaOptions} and {@code spark.executor.extraJavaOptions}.
 * Without it every kernel here takes its scalar path: slower, never wrong.
 *
 * <p>Classes that use the module ({@code VectorSwiGlu}, {@code VectorGemm}) are touched only after
 * {@link #isPresent()} says yes, so they are never loaded where the module is missing.
 */
public final class VectorApi {
  /** The module's name, as {@code --add-modules} spells it. */
  public static final String MODULE = "jdk.incubator.vector";

  private static final boolean PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();

  private VectorApi() {}

  /** Whether {@value #MODULE} is resolved in the boot layer of this JVM. */
  public static boolean isPresent() {
    return PRESENT;
  }
}
