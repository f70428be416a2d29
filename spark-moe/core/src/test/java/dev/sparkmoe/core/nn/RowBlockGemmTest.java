package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The determinism that {@link RowBlockGemm} builds on and the one it gives: with the BLAS in use, a
 * row's bits in a product of fixed shape do not depend on its position nor on the other rows; and
 * through {@link RowBlockGemm} a row's bits do not depend on how many rows share the call. Shapes
 * cover the router (8 experts), the shared-expert gate (one column), the tiny preset's experts and
 * the seed-4x16 experts. Fresh random matrices each run; the seed is in the messages.
 */
class RowBlockGemmTest {
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);

  @ParameterizedTest(name = "k {0}, m {1}")
  @CsvSource({"1024, 8", "1024, 1", "64, 8", "64, 192", "96, 64", "1024, 5632", "2816, 1024"})
  void rowBitsInAFixedShapeIgnorePositionAndNeighbours(int k, int m) {
    int rows = RowBlockGemm.ROWS;
    float[] weights = fresh(m * k);
    float[] row = fresh(k);
    float[] alone = new float[rows * k];
    System.arraycopy(row, 0, alone, 0, k);
    float[] expected = firstRowOf(alone, k, weights, m, 0);
    for (int trial = 0; trial < 4; trial++) {
      int position = random.nextInt(rows);
      float[] block = fresh(rows * k);
      System.arraycopy(row, 0, block, position * k, k);
      assertThat(firstRowOf(block, k, weights, m, position))
          .as("row at position %d among random rows vs alone at 0 (seed %d)", position, seed)
          .isEqualTo(expected);
    }
  }

  @ParameterizedTest(name = "{0} rows")
  @ValueSource(ints = {1, 5, 127, 128, 129, 300})
  void rowBitsIgnoreTheRowCount(int n) {
    int k = 64;
    int m = 24;
    int lda = k + 3;
    int ldc = m + 2;
    float[] weights = fresh(m * k);
    float[] a = fresh(5 + n * lda);
    float[] c = new float[7 + n * ldc];
    RowBlockGemm.multiplyTransposed(a, 5, lda, n, k, weights, 0, k, m, c, 7, ldc);
    for (int r = 0; r < n; r++) {
      float[] single = Arrays.copyOfRange(a, 5 + r * lda, 5 + r * lda + k);
      float[] alone = new float[m];
      RowBlockGemm.multiplyTransposed(single, 1, k, weights, m, alone);
      assertThat(Arrays.copyOfRange(c, 7 + r * ldc, 7 + r * ldc + m))
          .as("row %d of %d vs the row alone (seed %d)", r, n, seed)
          .isEqualTo(alone);
      assertThat(relativeError(single, weights, m, alone))
          .as("row %d vs a double-precision loop (seed %d)", r, seed)
          .isLessThan(1e-6);
    }
  }

  @ParameterizedTest(name = "k {0}, m {1}")
  @CsvSource({"1024, 5632", "2816, 1024", "1024, 1024"})
  void largeProductsInOneCallGiveTheBlockedBits(int k, int m) {
    assertThat((long) RowBlockGemm.ROWS * k * m)
        .isGreaterThanOrEqualTo(RowBlockGemm.WHOLE_CALL_BLOCK_WORK);
    int n = 300;
    float[] weights = fresh(m * k);
    float[] a = fresh(n * k);
    float[] c = new float[n * m];
    RowBlockGemm.multiplyTransposed(a, n, k, weights, m, c);
    for (int r : new int[] {0, random.nextInt(n), n - 1}) {
      float[] single = Arrays.copyOfRange(a, r * k, (r + 1) * k);
      float[] alone = new float[m];
      RowBlockGemm.multiplyTransposed(single, 1, k, weights, m, alone);
      assertThat(Arrays.copyOfRange(c, r * m, (r + 1) * m))
          .as("row %d of one %d-row call vs the row padded to a block (seed %d)", r, n, seed)
          .isEqualTo(alone);
    }
  }

  private static float[] firstRowOf(float[] block, int k, float[] weights, int m, int position) {
    float[] out = new float[RowBlockGemm.ROWS * m];
    Gemm.multiplyTransposed(block, RowBlockGemm.ROWS, k, weights, m, out);
    return Arrays.copyOfRange(out, position * m, position * m + m);
  }

  private static double relativeError(float[] row, float[] weights, int m, float[] got) {
    int k = row.length;
    double diff = 0;
    double norm = 0;
    for (int j = 0; j < m; j++) {
      double expected = 0;
      for (int p = 0; p < k; p++) {
        expected += row[p] * (double) weights[j * k + p];
      }
      diff += (got[j] - expected) * (got[j] - expected);
      norm += expected * expected;
    }
    return Math.sqrt(diff / norm);
  }

  private float[] fresh(int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
