package dev.sparkmoe.core.nn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenBLAS that travels with spark-moe: the linux-x86_64 shared libraries of {@code
 * org.bytedeco:openblas}, copied from the classpath into a fresh temporary folder (owner-only,
 * deleted when the JVM exits) for netlib's JNI BLAS to load. {@code libopenblas.so.0} finds its
 * {@code libgfortran.so.5} beside it ({@code RUNPATH $ORIGIN}); libgfortran's own {@code
 * libgcc_s.so.1} comes from the system, or from the folder where the system has none.
 */
final class BundledOpenBlas {
  private static final Logger LOG = LoggerFactory.getLogger(BundledOpenBlas.class);
  static final String RESOURCES = "org/bytedeco/openblas/linux-x86_64/";
  static final String LIBRARY = "libopenblas.so.0";
  private static final String GCC_RUNTIME = "libgcc_s.so.1";
  private static final List<String> FILES =
      List.of(LIBRARY, "libgfortran.so.5", "libquadmath.so.0", GCC_RUNTIME);
  private static final String POM_PROPERTIES =
      "META-INF/maven/org.bytedeco/openblas/pom.properties";

  /**
   * @param library the extracted {@code libopenblas.so.0}
   * @param version the artifact's version, e.g. {@code 0.3.26-1.5.10}
   */
  record Extracted(Path library, String version) {}

  private BundledOpenBlas() {}

  /** Whether this platform has bundled natives and they are on the classpath. */
  static boolean isAvailable() {
    return isLinuxX8664() && loader().getResource(RESOURCES + LIBRARY) != null;
  }

  /** {@link #extract()} where {@link #isAvailable()}; a failure to write is logged. */
  static Optional<Extracted> extractWhereAvailable() {
    if (!isAvailable()) {
      return Optional.empty();
    }
    try {
      return Optional.of(extract());
    } catch (UncheckedIOException e) {
      LOG.warn("BLAS: {}", e.getMessage(), e);
      return Optional.empty();
    }
  }

  /**
   * Copies the libraries out of the classpath.
   *
   * @throws UncheckedIOException where they cannot be written
   * @throws IllegalStateException where {@link #isAvailable()} is false
   */
  static Extracted extract() {
    if (!isAvailable()) {
      throw new IllegalStateException(
          String.format(
              "Cannot extract the bundled OpenBLAS: %s%s is not on the classpath for %s/%s"
                  + " (expected: org.bytedeco:openblas:linux-x86_64 on Linux x86-64)",
              RESOURCES, LIBRARY, System.getProperty("os.name"), System.getProperty("os.arch")));
    }
    try {
      Path dir = Files.createTempDirectory("spark-moe-openblas-");
      dir.toFile().deleteOnExit();
      for (String file : FILES) {
        copy(file, dir);
      }
      if (LibrarySearch.find(GCC_RUNTIME).isEmpty() && Files.exists(dir.resolve(GCC_RUNTIME))) {
        System.load(dir.resolve(GCC_RUNTIME).toString());
      }
      return new Extracted(dir.resolve(LIBRARY), version());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot extract the bundled OpenBLAS to "
              + System.getProperty("java.io.tmpdir")
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static void copy(String file, Path dir) throws IOException {
    try (InputStream in = loader().getResourceAsStream(RESOURCES + file)) {
      if (in == null) {
        return; // libquadmath and libgcc_s are in some builds only
      }
      Path target = dir.resolve(file);
      Files.copy(in, target);
      target.toFile().deleteOnExit();
    }
  }

  private static String version() throws IOException {
    try (InputStream in = loader().getResourceAsStream(POM_PROPERTIES)) {
      if (in == null) {
        return "unknown version";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown version");
    }
  }

  private static boolean isLinuxX8664() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return System.getProperty("os.name", "").startsWith("Linux")
        && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  private static ClassLoader loader() {
    return BundledOpenBlas.class.getClassLoader();
  }
}
