package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What {@link Gemm} runs once netlib has loaded (or failed to load) the chosen library: the
 * pure-Java fallback path whenever no native library is there.
 */
class GemmSelectionTest {
  private static final BlasChoice BUNDLED =
      new BlasChoice(
          BlasSource.BUNDLED,
          "OpenBLAS 0.3.26-1.5.10 from org.bytedeco:openblas",
          Optional.of(Path.of("/tmp/x/libopenblas.so.0")),
          "no system libblas.so.3");

  @Test
  void aLibraryThatDidNotLoadFallsBackToTheVectorKernel() {
    Gemm.Selection selection = Gemm.select(BUNDLED, JavaBLAS.getInstance(), /* vectorApi= */ true);
    assertThat(selection.source()).isEqualTo(BlasSource.PURE_JAVA);
    assertThat(selection.sgemm()).isSameAs(VectorGemm.INSTANCE);
    assertThat(selection.description())
        .isEqualTo(
            VectorGemm.INSTANCE.name()
                + ", the pure-Java fallback (OpenBLAS 0.3.26-1.5.10 from org.bytedeco:openblas"
                + " did not load)");
  }

  @Test
  void withoutTheVectorApiTheFallbackIsNetlibsJavaBlas() {
    BlasChoice none =
        new BlasChoice(BlasSource.PURE_JAVA, "none", Optional.empty(), "moe.blas=java");
    BLAS java = JavaBLAS.getInstance();
    Gemm.Selection selection = Gemm.select(none, java, /* vectorApi= */ false);
    assertThat(selection.source()).isEqualTo(BlasSource.PURE_JAVA);
    assertThat(selection.sgemm()).isEqualTo(new BlasSgemm(java));
    assertThat(selection.description())
        .isEqualTo(java.getClass().getName() + ", the pure-Java fallback");
  }

  @Test
  void pureJavaModeIgnoresALoadedNativeLibrary() {
    BlasSgemm loaded = (BlasSgemm) Gemm.nativeBlas().orElseThrow();
    BlasChoice none =
        new BlasChoice(BlasSource.PURE_JAVA, "none", Optional.empty(), "moe.blas=java");
    Gemm.Selection selection = Gemm.select(none, loaded.blas(), /* vectorApi= */ true);
    assertThat(selection.source()).isEqualTo(BlasSource.PURE_JAVA);
    assertThat(selection.sgemm()).isSameAs(VectorGemm.INSTANCE);
  }

  @Test
  void aLoadedLibraryIsNamedWithItsSource() {
    BlasSgemm loaded = (BlasSgemm) Gemm.nativeBlas().orElseThrow();
    Gemm.Selection selection = Gemm.select(BUNDLED, loaded.blas(), /* vectorApi= */ true);
    assertThat(selection.source()).isEqualTo(BlasSource.BUNDLED);
    assertThat(selection.description())
        .isEqualTo(
            "dev.ludovic.netlib.blas.JNIBLAS on the bundled OpenBLAS 0.3.26-1.5.10"
                + " from org.bytedeco:openblas");
  }
}
