package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bf16 GEMM against the f32 one, on CPUs with bf16 instructions (skipped elsewhere). */
class Bf16GemmTest {
  /**
   * Measured 2.35e-3 at k = 1024 on Gaussian data (both operands rounded to bf16, 2⁻⁹ relative
   * each); the bound leaves 1.5× margin.
   */
  static final double GEMM_BOUND = 3.5e-3;

  private final Random random = new Random(20261202);

  @BeforeEach
  void needsBf16() {
    assumeTrue(Bf16Gemm.unavailableReason().isEmpty(), () -> Bf16Gemm.unavailableReason().get());
  }

  @ParameterizedTest(name = "{0} rows")
  @ValueSource(ints = {1, 63, 200, 1024 + 37})
  void matchesTheF32ProductWithinBf16Rounding(int n) {
    int k = 1024;
    int m = 384;
    float[] a = gaussian(n * k);
    float[] w = gaussian(m * k);
    float[] expected = new float[n * m];
    Gemm.multiplyTransposed(a, n, k, w, m, expected);
    float[] actual = new float[n * m];
    try (Bf16Matrix matrix = Bf16Matrix.ofFloats(w, 0, m, k)) {
      Bf16Gemm.multiplyTransposed(a, n, matrix, actual);
    }
    assertThat(relativeError(actual, expected))
        .as("bf16 x bf16 with f32 accumulation vs f32, k = %d", k)
        .isLessThan(GEMM_BOUND)
        .isGreaterThan(1e-5);
  }

  @Test
  void bf16ExactInputsGiveTheExactProduct() {
    int n = 70;
    int k = 96;
    int m = 40;
    float[] a = smallIntegers(n * k);
    float[] w = smallIntegers(m * k);
    float[] expected = new float[n * m];
    Gemm.multiplyTransposed(a, n, k, w, m, expected);
    float[] actual = new float[n * m];
    try (Bf16Matrix matrix = Bf16Matrix.ofFloats(w, 0, m, k)) {
      Bf16Gemm.multiplyTransposed(a, n, matrix, actual);
    }
    assertThat(actual)
        .as("integers in [-3, 3] are exact in bf16, their sums exact in f32")
        .containsExactly(expected);
  }

  @Test
  void stridedOperandsReadAndWriteOnlyTheirColumns() {
    int n = 5;
    int k = 32;
    int m = 8;
    int lda = k + 3;
    int ldc = m + 2;
    float[] a = smallIntegers(n * lda);
    float[] w = smallIntegers(m * k);
    float[] c = new float[n * ldc + 1];
    java.util.Arrays.fill(c, 7f);
    try (Bf16Matrix matrix = Bf16Matrix.ofFloats(w, 0, m, k)) {
      Bf16Gemm.multiplyTransposed(a, 0, lda, n, k, matrix, c, 1, ldc);
    }
    float[] expected = new float[n * ldc];
    Gemm.multiplyTransposed(a, 0, lda, n, k, w, 0, k, m, expected, 0, ldc);
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < ldc; j++) {
        float want = j < m ? expected[r * ldc + j] : 7f;
        assertThat(c[1 + r * ldc + j]).as("row %d column %d", r, j).isEqualTo(want);
      }
    }
    assertThat(c[0]).as("before cOffset").isEqualTo(7f);
  }

  @Test
  void matrixKeepsBitsAsGivenAndRoundsFloatsToNearestEven() {
    short[] bits = {0x3f80, (short) 0xc000, 0x0081, 0x7f7f};
    try (Bf16Matrix matrix = Bf16Matrix.ofBits(bits, 0, 2, 2)) {
      assertThat(columns(matrix))
          .as("identity · wᵀ reads w back")
          .containsExactly(
              1f, Float.intBitsToFloat(0x00810000), -2f, Float.intBitsToFloat(0x7f7f0000));
      assertThat(matrix.sizeBytes()).as("two bytes per element at least").isGreaterThanOrEqualTo(8);
    }
    try (Bf16Matrix matrix = Bf16Matrix.ofBits(new short[] {0x0001, 0x3f80}, 0, 1, 2)) {
      assertThat(columns(matrix))
          .as("subnormals flush to zero in oneDNN's kernel")
          .containsExactly(0f, 1f);
    }
    float tie = Float.intBitsToFloat(0x3f808000); // halfway between 0x3f80 and 0x3f81: even wins
    float above = Float.intBitsToFloat(0x3f808001);
    try (Bf16Matrix matrix =
        Bf16Matrix.ofFloats(new float[] {tie, 1.0078125f, above, -3f}, 0, 2, 2)) {
      assertThat(columns(matrix))
          .as("tie to even, exact, above the tie rounds up, exact")
          .containsExactly(1f, Float.intBitsToFloat(0x3f810000), 1.0078125f, -3f);
    }
  }

  /** {@code identity · wᵀ}: column r of the result is row r of w. */
  private static float[] columns(Bf16Matrix matrix) {
    int n = matrix.cols();
    float[] identity = new float[n * n];
    for (int i = 0; i < n; i++) {
      identity[i * n + i] = 1f;
    }
    float[] c = new float[n * matrix.rows()];
    Bf16Gemm.multiplyTransposed(identity, n, matrix, c);
    return c;
  }

  @Test
  void rejectsAMismatchedInnerDimensionAndAClosedMatrix() {
    Bf16Matrix matrix = Bf16Matrix.ofFloats(gaussian(4 * 8), 0, 4, 8);
    assertThatThrownBy(
            () -> Bf16Gemm.multiplyTransposed(new float[9], 0, 9, 1, 9, matrix, new float[4], 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid inner dimension: 9 (expected: 8, the columns of the bf16 weights)");
    matrix.close();
    assertThatThrownBy(() -> Bf16Gemm.multiplyTransposed(new float[8], 1, matrix, new float[4]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot use bf16 matrix [4, 8]: it is closed");
    assertThatThrownBy(() -> Bf16Matrix.ofBits(new short[0], 0, 0, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid bf16 matrix shape: [0, 3] (expected: both >= 1)");
  }

  @Test
  void implementationNamesOneDnnAndABf16Kernel() {
    assertThat(Bf16Gemm.implementation())
        .startsWith("oneDNN 3.3.4 ")
        .containsAnyOf(Bf16Support.NATIVE_ISAS.toArray(String[]::new));
  }

  private float[] gaussian(int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private float[] smallIntegers(int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = random.nextInt(7) - 3;
    }
    return values;
  }

  static double relativeError(float[] actual, float[] expected) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = (double) actual[i] - expected[i];
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
    return Math.sqrt(num / den);
  }
}
