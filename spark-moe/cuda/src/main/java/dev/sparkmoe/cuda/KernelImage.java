package dev.sparkmoe.cuda;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The kernels' fatbin, packaged by the build as a resource of this module (see native/build.sh). A
 * build without nvcc packages a {@code .skipped} note in its place.
 */
public final class KernelImage {
  /** Where the build puts the fatbin. */
  public static final String RESOURCE = "/dev/sparkmoe/cuda/spark-moe-kernels.fatbin";

  /** The note a build without nvcc leaves instead. */
  public static final String SKIPPED = "/dev/sparkmoe/cuda/spark-moe-kernels.skipped";

  private KernelImage() {}

  /** The fatbin's bytes, or empty when this jar was built without it. */
  public static Optional<byte[]> bytes() {
    return read(RESOURCE);
  }

  /** Why the fatbin is missing, or empty when it is there. */
  public static Optional<String> missingReason() {
    if (KernelImage.class.getResource(RESOURCE) != null) {
      return Optional.empty();
    }
    String why =
        read(SKIPPED)
            .map(note -> new String(note, StandardCharsets.UTF_8).strip())
            .orElse("resource " + RESOURCE.substring(1) + " not found");
    return Optional.of(why);
  }

  private static Optional<byte[]> read(String resource) {
    try (InputStream in = KernelImage.class.getResourceAsStream(resource)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw IoErrors.cannot("read " + resource.substring(1), e);
    }
  }
}
