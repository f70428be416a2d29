package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Strided row-major products against plain loops, on fresh random matrices. */
class GemmTest {
  private final Random random = new Random(11);

  @Test
  void multiplyTransposedWithStridesAndOffsets() {
    int n = 5;
    int k = 7;
    int m = 3;
    int lda = 9;
    int ldb = 8;
    int ldc = 6;
    float[] a = fresh(2 + n * lda);
    float[] b = fresh(1 + m * ldb);
    float[] c = fresh(4 + n * ldc);
    float[] before = c.clone();
    Gemm.multiplyTransposed(a, 2, lda, n, k, b, 1, ldb, m, c, 4, ldc);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double expected = 0;
        for (int p = 0; p < k; p++) {
          expected += a[2 + i * lda + p] * (double) b[1 + j * ldb + p];
        }
        assertThat((double) c[4 + i * ldc + j])
            .as("c[%d][%d]", i, j)
            .isCloseTo(expected, within(expected));
      }
      assertThat(c[4 + i * ldc + m])
          .as("padding after row %d untouched", i)
          .isEqualTo(before[4 + i * ldc + m]);
    }
  }

  @Test
  void multiplyWithStrides() {
    int n = 4;
    int k = 6;
    int m = 5;
    float[] a = fresh(n * 7);
    float[] b = fresh(k * 8);
    float[] c = new float[n * 5];
    Gemm.multiply(a, 0, 7, n, k, b, 0, 8, m, c, 0, 5);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double expected = 0;
        for (int p = 0; p < k; p++) {
          expected += a[i * 7 + p] * (double) b[p * 8 + j];
        }
        assertThat((double) c[i * 5 + j])
            .as("c[%d][%d]", i, j)
            .isCloseTo(expected, within(expected));
      }
    }
  }

  @Test
  void usesTheSystemOpenBlasWhereInstalledElseTheBundledOne() {
    assertThat(Gemm.implementation())
        .as("a native BLAS always loads on linux-x86_64; the pure-Java fallback is 20-50x slower")
        .isEqualTo("dev.ludovic.netlib.blas.JNIBLAS");
    assertThat(Gemm.isNative()).isTrue();
    boolean system = LibrarySearch.find("libblas.so.3").isPresent();
    assertThat(Gemm.source()).isEqualTo(system ? BlasSource.SYSTEM : BlasSource.BUNDLED);
    assertThat(Gemm.description())
        .startsWith(
            system
                ? "dev.ludovic.netlib.blas.JNIBLAS on the system library /"
                : "dev.ludovic.netlib.blas.JNIBLAS on the bundled OpenBLAS 0.3.");
  }

  private static org.assertj.core.data.Offset<Double> within(double expected) {
    return org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(expected)));
  }

  private float[] fresh(int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
