package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each SwiGLU kernel against a double-precision loop, {@code silu(g) · u} with {@code silu(x) = x /
 * (1 + e^-x)}: ‖out − ref‖ / ‖ref‖ ≤ 1e-5, on fresh random rows whose width leaves a scalar tail.
 */
class SwiGluKernelTest {
  private static final double TOLERANCE = 1e-5;
  private final Random random = new Random(20260214);

  @ParameterizedTest(name = "{0}")
  @EnumSource(SwiGluKernel.class)
  void matchesDoubleLoop(SwiGluKernel kernel) {
    assumeTrue(kernel.isAvailable(), "needs --add-modules jdk.incubator.vector");
    int rows = 7;
    int ffn = 77;
    float[] gateUp = fresh(rows * 2 * ffn, 4f);
    float[] out = new float[rows * ffn];
    kernel.apply(gateUp, 0, 2 * ffn, rows, ffn, out, 0, ffn);
    assertThat(relativeError(out, 0, ffn, rows, ffn, reference(gateUp, 0, 2 * ffn, rows, ffn)))
        .as("%s vs double loop", kernel)
        .isLessThan(TOLERANCE);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(SwiGluKernel.class)
  void inPlaceOverwritesTheGateHalfOnly(SwiGluKernel kernel) {
    assumeTrue(kernel.isAvailable(), "needs --add-modules jdk.incubator.vector");
    int rows = 5;
    int ffn = 40;
    int offset = 3;
    float[] gateUp = fresh(offset + rows * 2 * ffn, 3f);
    float[] before = gateUp.clone();
    double[] expected = reference(gateUp, offset, 2 * ffn, rows, ffn);
    kernel.apply(gateUp, offset, 2 * ffn, rows, ffn, gateUp, offset, 2 * ffn);
    assertThat(relativeError(gateUp, offset, 2 * ffn, rows, ffn, expected))
        .as("%s in place", kernel)
        .isLessThan(TOLERANCE);
    for (int r = 0; r < rows; r++) {
      int up = offset + r * 2 * ffn + ffn;
      for (int i = 0; i < ffn; i++) {
        assertThat(gateUp[up + i]).as("up half of row %d untouched", r).isEqualTo(before[up + i]);
      }
    }
  }

  @Test
  void extremeGatesSaturateLikeTheFormula() {
    float[] gateUp = {-200f, -30f, 0f, 30f, 200f, Float.MIN_VALUE, 1f, 1f, 1f, 1f, 1f, 1f};
    for (SwiGluKernel kernel : SwiGluKernel.values()) {
      if (kernel.isAvailable()) {
        float[] out = new float[6];
        kernel.apply(gateUp, 0, 12, 1, 6, out, 0, 6);
        assertThat(Math.abs(out[0])).as("%s: silu(-200) is 0 to f32", kernel).isLessThan(1e-30f);
        assertThat(out[2]).as("%s: silu(0)", kernel).isEqualTo(0f);
        assertThat(out[4]).as("%s: silu(200) = 200", kernel).isEqualTo(200f);
        assertThat((double) out[1])
            .as("%s: silu(-30)", kernel)
            .isCloseTo(-30 / (1 + Math.exp(30)), withPercentage(1e-3));
      }
    }
  }

  @Test
  void scalarAndVectorKernelsGiveTheSameBits() {
    assumeTrue(SwiGluKernel.VECTOR.isAvailable(), "needs --add-modules jdk.incubator.vector");
    int rows = 9;
    int ffn = 203;
    float[] gateUp = fresh(rows * 2 * ffn, 6f);
    float[] scalar = new float[rows * ffn];
    float[] vector = new float[rows * ffn];
    // Many calls, so that the vector code runs interpreted, then compiled by C1 and C2.
    for (int i = 0; i < 2000; i++) {
      SwiGluKernel.SCALAR.apply(gateUp, 0, 2 * ffn, rows, ffn, scalar, 0, ffn);
      SwiGluKernel.VECTOR.apply(gateUp, 0, 2 * ffn, rows, ffn, vector, 0, ffn);
      assertThat(vector).as("call %d", i).isEqualTo(scalar);
    }
  }

  @Test
  void expIsWithinTwoUlpsOfMathExp() {
    for (float x = -87f; x <= 88.3f; x += 0.0137f) {
      float expected = (float) Math.exp(x);
      assertThat(FloatExp.exp(x))
          .as("exp(%s)", x)
          .isCloseTo(expected, org.assertj.core.data.Offset.offset(2 * Math.ulp(expected)));
    }
    assertThat(FloatExp.exp(-1000f))
        .as("clamped below: a normal float")
        .isEqualTo(FloatExp.exp(-87f));
    assertThat(FloatExp.exp(1000f)).as("clamped above: finite").isFinite();
  }

  @Test
  void bestIsVectorExactlyWhenTheModuleIsResolved() {
    assertThat(SwiGluKernel.best())
        .isEqualTo(VectorApi.isPresent() ? SwiGluKernel.VECTOR : SwiGluKernel.SCALAR);
    assertThat(VectorApi.isPresent())
        .isEqualTo(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
  }

  private static double[] reference(float[] in, int offset, int stride, int rows, int ffn) {
    double[] out = new double[rows * ffn];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < ffn; i++) {
        double gate = in[offset + r * stride + i];
        double up = in[offset + r * stride + ffn + i];
        out[r * ffn + i] = gate / (1 + Math.exp(-gate)) * up;
      }
    }
    return out;
  }

  /** ‖out − ref‖ / ‖ref‖ over [rows, ffn] of {@code out} at a row stride. */
  private static double relativeError(
      float[] out, int offset, int stride, int rows, int ffn, double[] ref) {
    double diff = 0;
    double norm = 0;
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < ffn; i++) {
        double e = out[offset + r * stride + i] - ref[r * ffn + i];
        diff += e * e;
        norm += ref[r * ffn + i] * ref[r * ffn + i];
      }
    }
    return Math.sqrt(diff / norm);
  }

  private float[] fresh(int n, float scale) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }
}
