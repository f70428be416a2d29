package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link Sgemm} this JVM has (native BLAS, netlib's Java BLAS, our Vector API kernel) against
 * a plain double-precision loop, on fresh random matrices with offsets, strides and shapes that are
 * not multiples of the kernel's tile: each element within 1e-5 relative to the row's scale
 * (‖a_i‖·‖b_j‖ bounds the rounding of a dot product better than the result itself).
 */
class SgemmTest {
  private static final double TOLERANCE = 1e-5;
  private static final int[][] SHAPES = {
    {1, 1, 1}, {3, 7, 5}, {4, 64, 24}, {5, 33, 25}, {17, 100, 49}, {9, 0, 6}, {64, 130, 97}
  };
  private final Random random = new Random(31);

  static Stream<Arguments> kernels() {
    Stream.Builder<Arguments> kernels = Stream.builder();
    Gemm.nativeBlas().ifPresent(k -> kernels.add(Arguments.of(k.name(), k)));
    kernels.add(Arguments.of("netlib Java BLAS", Gemm.javaBlas()));
    Optional<Sgemm> vector = Gemm.vectorKernel();
    vector.ifPresent(k -> kernels.add(Arguments.of("Vector API kernel", k)));
    return kernels.build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void multiplyTransposedMatchesLoops(String name, Sgemm kernel) {
    for (int[] shape : SHAPES) {
      int n = shape[0];
      int k = shape[1];
      int m = shape[2];
      int lda = k + 3;
      int ldb = k + 1;
      int ldc = m + 2;
      float[] a = fresh(5 + n * lda);
      float[] b = fresh(2 + m * ldb);
      float[] c = fresh(1 + n * ldc);
      float[] before = c.clone();
      kernel.multiplyTransposed(a, 5, lda, n, k, b, 2, ldb, m, c, 1, ldc);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          double sum = 0;
          double scale = 0;
          for (int p = 0; p < k; p++) {
            double x = a[5 + i * lda + p] * (double) b[2 + j * ldb + p];
            sum += x;
            scale += Math.abs(x);
          }
          assertThat((double) c[1 + i * ldc + j])
              .as("%s, shape %dx%dx%d, c[%d][%d]", name, n, k, m, i, j)
              .isCloseTo(sum, org.assertj.core.data.Offset.offset(TOLERANCE * (1 + scale)));
        }
        assertPaddingUntouched(c, before, 1 + i * ldc + m, 1 + (i + 1) * ldc, name);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void multiplyMatchesLoops(String name, Sgemm kernel) {
    for (int[] shape : SHAPES) {
      int n = shape[0];
      int k = shape[1];
      int m = shape[2];
      int lda = k + 2;
      int ldb = m + 3;
      int ldc = m + 1;
      float[] a = fresh(n * lda);
      float[] b = fresh(4 + Math.max(1, k) * ldb);
      float[] c = fresh(n * ldc);
      float[] before = c.clone();
      kernel.multiply(a, 0, lda, n, k, b, 4, ldb, m, c, 0, ldc);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          double sum = 0;
          double scale = 0;
          for (int p = 0; p < k; p++) {
            double x = a[i * lda + p] * (double) b[4 + p * ldb + j];
            sum += x;
            scale += Math.abs(x);
          }
          assertThat((double) c[i * ldc + j])
              .as("%s, shape %dx%dx%d, c[%d][%d]", name, n, k, m, i, j)
              .isCloseTo(sum, org.assertj.core.data.Offset.offset(TOLERANCE * (1 + scale)));
        }
        assertPaddingUntouched(c, before, i * ldc + m, (i + 1) * ldc, name);
      }
    }
  }

  @Test
  void vectorKernelIsOfferedExactlyWhenTheModuleIsResolved() {
    assertThat(Gemm.vectorKernel().isPresent()).isEqualTo(VectorApi.isPresent());
  }

  @Test
  void vectorKernelOnLargeShapesMatchesNativeBlas() {
    assumeTrue(Gemm.vectorKernel().isPresent() && Gemm.nativeBlas().isPresent());
    int n = 70;
    int k = 300;
    int m = 130;
    float[] a = fresh(n * k);
    float[] w = fresh(m * k);
    float[] ours = new float[n * m];
    float[] blas = new float[n * m];
    Gemm.vectorKernel().orElseThrow().multiplyTransposed(a, 0, k, n, k, w, 0, k, m, ours, 0, m);
    Gemm.nativeBlas().orElseThrow().multiplyTransposed(a, 0, k, n, k, w, 0, k, m, blas, 0, m);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < ours.length; i++) {
      diff += (ours[i] - blas[i]) * (double) (ours[i] - blas[i]);
      norm += blas[i] * (double) blas[i];
    }
    assertThat(Math.sqrt(diff / norm)).as("‖ours − OpenBLAS‖ / ‖OpenBLAS‖").isLessThan(1e-6);
  }

  private static void assertPaddingUntouched(
      float[] c, float[] before, int from, int to, String name) {
    for (int i = from; i < Math.min(to, c.length); i++) {
      assertThat(c[i]).as("%s: padding at %d untouched", name, i).isEqualTo(before[i]);
    }
  }

  private float[] fresh(int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
