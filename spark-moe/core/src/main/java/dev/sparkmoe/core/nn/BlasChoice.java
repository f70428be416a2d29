package dev.sparkmoe.core.nn;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Which library netlib's JNI BLAS is to load, decided before it loads, since it tries once per JVM
 * and reads its system properties then.
 *
 * @param source where the library comes from; {@link BlasSource#PURE_JAVA}: load none
 * @param library the library as logs name it, e.g. {@code /usr/lib/.../libblas.so.3}
 * @param nativeLibPath what to set {@value #NATIVE_LIB_PATH} to, where netlib's default (the
 *     system's {@code libblas.so.3}) is not the choice
 * @param reason why, for the log line
 */
record BlasChoice(BlasSource source, String library, Optional<Path> nativeLibPath, String reason) {
  /** Our setting: {@code auto} (default), {@code system}, {@code bundled} or {@code java}. */
  static final String MODE = "moe.blas";

  static final String NATIVE_LIB = "dev.ludovic.netlib.blas.nativeLib";
  static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
  static final String SYSTEM_LIBRARY = "libblas.so.3";

  /** Where the system's and the bundled libraries are, looked up only when needed. */
  record Libraries(
      Supplier<Optional<Path>> system, Supplier<Optional<BundledOpenBlas.Extracted>> bundled) {
    static Libraries ofThisMachine() {
      return new Libraries(
          () -> LibrarySearch.find(SYSTEM_LIBRARY), BundledOpenBlas::extractWhereAvailable);
    }
  }

  /**
   * Best first: a library the netlib properties name, the system's, the bundled one; {@code
   * moe.blas} narrows the choice.
   *
   * @param properties the JVM's system properties (or a test's)
   */
  static BlasChoice decide(Function<String, String> properties, Libraries libraries) {
    String mode = properties.apply(MODE);
    return switch (mode == null ? "auto" : mode) {
      case "auto" -> configured(properties).orElseGet(() -> systemOrBundled(libraries));
      case "system" -> configured(properties).orElseGet(() -> system(libraries));
      case "bundled" -> bundled(libraries, MODE + "=bundled");
      case "java" -> pureJava(MODE + "=java");
      default ->
          throw new IllegalArgumentException(
              String.format(
                  "Invalid %s: %s (expected: auto, system, bundled or java)", MODE, mode));
    };
  }

  private static Optional<BlasChoice> configured(Function<String, String> properties) {
    String path = properties.apply(NATIVE_LIB_PATH);
    String name = properties.apply(NATIVE_LIB);
    String setting = path != null ? NATIVE_LIB_PATH : NATIVE_LIB;
    String library = path != null ? path : name;
    return Optional.ofNullable(library)
        .map(l -> new BlasChoice(BlasSource.CONFIGURED, l, Optional.empty(), setting + "=" + l));
  }

  private static BlasChoice systemOrBundled(Libraries libraries) {
    Optional<Path> system = libraries.system().get();
    if (system.isPresent()) {
      return systemChoice(system.get());
    }
    return bundled(libraries, "no system " + SYSTEM_LIBRARY);
  }

  private static BlasChoice system(Libraries libraries) {
    return libraries
        .system()
        .get()
        .map(BlasChoice::systemChoice)
        .orElseGet(() -> pureJava(MODE + "=system and no system " + SYSTEM_LIBRARY));
  }

  private static BlasChoice systemChoice(Path library) {
    return new BlasChoice(
        BlasSource.SYSTEM, library.toString(), Optional.empty(), "on the loader's search path");
  }

  private static BlasChoice bundled(Libraries libraries, String why) {
    return libraries
        .bundled()
        .get()
        .map(
            b ->
                new BlasChoice(
                    BlasSource.BUNDLED,
                    "OpenBLAS " + b.version() + " from org.bytedeco:openblas",
                    Optional.of(b.library()),
                    why))
        .orElseGet(() -> pureJava(why + ", no bundled OpenBLAS on the classpath"));
  }

  private static BlasChoice pureJava(String why) {
    return new BlasChoice(BlasSource.PURE_JAVA, "none", Optional.empty(), why);
  }
}
