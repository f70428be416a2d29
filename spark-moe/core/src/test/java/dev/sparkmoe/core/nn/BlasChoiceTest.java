package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The order of preference (system, bundled, pure Java) and the settings that narrow it. */
class BlasChoiceTest {
  private static final Path SYSTEM = Path.of("/usr/lib/x86_64-linux-gnu/libblas.so.3");
  private static final Path BUNDLED = Path.of("/tmp/spark-moe-openblas-1/libopenblas.so.0");
  private final AtomicInteger extractions = new AtomicInteger();

  @Test
  void theSystemLibraryComesFirstAndNothingIsExtracted() {
    BlasChoice choice = BlasChoice.decide(Map.<String, String>of()::get, libraries(true, true));
    assertThat(choice.source()).isEqualTo(BlasSource.SYSTEM);
    assertThat(choice.library()).isEqualTo(SYSTEM.toString());
    assertThat(choice.nativeLibPath()).as("netlib loads libblas.so.3 itself").isEmpty();
    assertThat(choice.reason()).isEqualTo("on the loader's search path");
    assertThat(extractions).as("bundled libraries extracted").hasValue(0);
  }

  @Test
  void withoutASystemLibraryTheBundledOneIsLoaded() {
    BlasChoice choice = BlasChoice.decide(Map.<String, String>of()::get, libraries(false, true));
    assertThat(choice.source()).isEqualTo(BlasSource.BUNDLED);
    assertThat(choice.library()).isEqualTo("OpenBLAS 0.3.26-1.5.10 from org.bytedeco:openblas");
    assertThat(choice.nativeLibPath()).contains(BUNDLED);
    assertThat(choice.reason()).isEqualTo("no system libblas.so.3");
  }

  @Test
  void withNeitherItIsPureJava() {
    BlasChoice choice = BlasChoice.decide(Map.<String, String>of()::get, libraries(false, false));
    assertThat(choice.source()).isEqualTo(BlasSource.PURE_JAVA);
    assertThat(choice.nativeLibPath()).isEmpty();
    assertThat(choice.reason())
        .isEqualTo("no system libblas.so.3, no bundled OpenBLAS on the classpath");
  }

  @Test
  void netlibsOwnPropertiesNameTheLibraryInsteadOfTheSearch() {
    BlasChoice byPath =
        BlasChoice.decide(
            Map.of(BlasChoice.NATIVE_LIB_PATH, "/opt/blas/libmkl_rt.so")::get,
            libraries(true, true));
    assertThat(byPath.source()).isEqualTo(BlasSource.CONFIGURED);
    assertThat(byPath.library()).isEqualTo("/opt/blas/libmkl_rt.so");
    assertThat(byPath.reason())
        .isEqualTo("dev.ludovic.netlib.blas.nativeLibPath=/opt/blas/libmkl_rt.so");
    BlasChoice byName =
        BlasChoice.decide(
            Map.of(BlasChoice.NATIVE_LIB, "libopenblas.so.0", BlasChoice.MODE, "system")::get,
            libraries(false, true));
    assertThat(byName.source()).isEqualTo(BlasSource.CONFIGURED);
    assertThat(byName.reason()).isEqualTo("dev.ludovic.netlib.blas.nativeLib=libopenblas.so.0");
    assertThat(extractions).hasValue(0);
  }

  @Test
  void modesNarrowTheChoice() {
    assertThat(decide("system", false, true).source())
        .as("system mode never extracts")
        .isEqualTo(BlasSource.PURE_JAVA);
    assertThat(extractions).hasValue(0);
    assertThat(decide("bundled", true, true).source()).isEqualTo(BlasSource.BUNDLED);
    assertThat(decide("bundled", true, true).reason()).isEqualTo("moe.blas=bundled");
    assertThat(decide("java", true, true).source()).isEqualTo(BlasSource.PURE_JAVA);
    assertThat(decide("java", true, true).reason()).isEqualTo("moe.blas=java");
    assertThat(decide("auto", true, true).source()).isEqualTo(BlasSource.SYSTEM);
  }

  @Test
  void rejectsAnUnknownMode() {
    assertThatThrownBy(() -> decide("mkl", true, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid moe.blas: mkl (expected: auto, system, bundled or java)");
  }

  private BlasChoice decide(String mode, boolean system, boolean bundled) {
    return BlasChoice.decide(Map.of(BlasChoice.MODE, mode)::get, libraries(system, bundled));
  }

  private BlasChoice.Libraries libraries(boolean system, boolean bundled) {
    return new BlasChoice.Libraries(
        () -> system ? Optional.of(SYSTEM) : Optional.empty(),
        () -> {
          extractions.incrementAndGet();
          return bundled
              ? Optional.of(new BundledOpenBlas.Extracted(BUNDLED, "0.3.26-1.5.10"))
              : Optional.empty();
        });
  }
}
