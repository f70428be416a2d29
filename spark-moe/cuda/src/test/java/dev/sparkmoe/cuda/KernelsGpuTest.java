package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.sparkmoe.core.nn.RmsNorm;
import dev.sparkmoe.core.routing.Routing;
import dev.sparkmoe.core.routing.SoftmaxTopKRouter;
import dev.sparkmoe.core.routing.TopKNormalization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each kernel against the CPU on fresh random inputs (the seed is in every failure message), with
 * outputs poisoned with NaN first so that an unwritten element fails.
 */
@GpuTest
class KernelsGpuTest {
  private static GpuFixture gpu;
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);

  @BeforeAll
  static void open() {
    gpu = GpuFixture.open("KernelsGpuTest");
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
  }

  @ParameterizedTest
  @EnumSource(TensorDtype.class)
  void convertRoundsLikeJava(TensorDtype dtype) {
    int n = 100_003;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      // Magnitudes from 2^-30 to 2^20: subnormal halves, normal ones and f16 overflow.
      x[i] = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(51) - 30));
    }
    try (DeviceBuffer in = gpu.floats("convert in", x);
        DeviceBuffer out = gpu.poisoned("convert out", n / 2 + 1)) {
      gpu.kernels.convert(dtype, in.pointer(), n, out.pointer(), gpu.stream);
      short[] bits = gpu.readShorts(out, n);
      for (int i = 0; i < n; i++) {
        if (bits[i] != dtype.bits(x[i])) {
          assertThat(bits[i])
              .as("seed %d: %s of %s at %d", seed, dtype, x[i], i)
              .isEqualTo(dtype.bits(x[i]));
        }
      }
    }
  }

  static Stream<Arguments> gemmShapes() {
    List<Arguments> cases = new ArrayList<>();
    int[][] shapes = {{1, 96, 64}, {37, 200, 72}, {37, 203, 70}, {129, 130, 33}, {300, 384, 1024}};
    for (TensorDtype dtype : TensorDtype.values()) {
      for (GemmTile tile : GemmTile.values()) {
        for (int[] s : shapes) {
          cases.add(Arguments.of(dtype, tile, s[0], s[1], s[2]));
        }
      }
    }
    return cases.stream();
  }

  /**
   * f32 accumulation of products of 16-bit inputs, which are exact in f32: against a double
   * reference on the same rounded inputs, ‖C − ref‖ / ‖ref‖ ≤ 1e-4. Odd n and k take the
   * element-wise load and staged store paths; nothing is written past C.
   */
  @ParameterizedTest(name = "{0} {1} m={2} n={3} k={4}")
  @MethodSource("gemmShapes")
  void gemmMatchesDoubleReference(TensorDtype dtype, GemmTile tile, int m, int n, int k) {
    short[] a = randomBits(dtype, m * k);
    short[] b = randomBits(dtype, n * k);
    int guard = 64;
    try (DeviceBuffer da = gpu.shorts("A", a);
        DeviceBuffer db = gpu.shorts("B", b);
        DeviceBuffer dc = gpu.poisoned("C", (long) m * n + guard)) {
      gpu.kernels.gemm(tile, dtype, da.pointer(), db.pointer(), dc.pointer(), m, n, k, gpu.stream);
      float[] c = gpu.readFloats(dc, m * n + guard);
      assertThat(GpuFixture.firstNonFinite(c, m * n))
          .as("seed %d: unwritten element", seed)
          .isEqualTo(-1);
      for (int i = m * n; i < c.length; i++) {
        assertThat(Float.floatToRawIntBits(c[i]))
            .as("seed %d: guard word %d after C", seed, i - m * n)
            .isEqualTo(FfnWorkspace.NAN_BITS);
      }
      double[] ref = gemmReference(dtype, a, b, m, n, k);
      assertThat(GpuFixture.relativeError(c, ref)).as("seed %d", seed).isLessThanOrEqualTo(1e-4);
    }
  }

  /** A starts 16 rows into its buffer: offset device pointers reach the kernel intact. */
  @ParameterizedTest
  @EnumSource(TensorDtype.class)
  void gemmTakesOffsetPointers(TensorDtype dtype) {
    int m = 40;
    int n = 64;
    int k = 128;
    int skipped = 16;
    short[] a = randomBits(dtype, (skipped + m) * k);
    short[] b = randomBits(dtype, n * k);
    try (DeviceBuffer da = gpu.shorts("A", a);
        DeviceBuffer db = gpu.shorts("B", b);
        DeviceBuffer dc = gpu.poisoned("C", (long) m * n)) {
      gpu.kernels.gemm(
          dtype, da.at(2L * skipped * k), db.pointer(), dc.pointer(), m, n, k, gpu.stream);
      float[] c = gpu.readFloats(dc, m * n);
      short[] shifted = Arrays.copyOfRange(a, skipped * k, a.length);
      assertThat(GpuFixture.relativeError(c, gemmReference(dtype, shifted, b, m, n, k)))
          .as("seed %d", seed)
          .isLessThanOrEqualTo(1e-4);
    }
  }

  /** One f32 rounding of silu(g)·u away from the double value, at most, after rounding to dtype. */
  @ParameterizedTest
  @EnumSource(TensorDtype.class)
  void swigluMatchesWithinOneUnit(TensorDtype dtype) {
    int rows = 77;
    int ffn = 301;
    float[] gateUp = gaussian(rows * 2 * ffn, 3f);
    try (DeviceBuffer in = gpu.floats("gate_up", gateUp);
        DeviceBuffer out = gpu.poisoned("swiglu", (rows * ffn + 1) / 2)) {
      gpu.kernels.swiglu(dtype, in.pointer(), rows, ffn, out.pointer(), gpu.stream);
      short[] bits = gpu.readShorts(out, rows * ffn);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < ffn; c++) {
          double g = gateUp[r * 2 * ffn + c];
          double u = gateUp[r * 2 * ffn + ffn + c];
          float expected = dtype.round((float) (g / (1 + Math.exp(-g)) * u));
          float actual = dtype.toFloat(bits[r * ffn + c]);
          assertThat((double) Math.abs(actual - expected))
              .as("seed %d: row %d column %d", seed, r, c)
              .isLessThanOrEqualTo(unit(dtype, expected));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TensorDtype.class)
  void gatherPicksAndRoundsRows(TensorDtype dtype) {
    int total = 500;
    int hidden = 72;
    int[] rows = distinctRows(total, 123);
    float[] src = gaussian(total * hidden, 2f);
    try (DeviceBuffer s = gpu.floats("src", src);
        DeviceBuffer r = gpu.ints("rows", rows);
        DeviceBuffer d = gpu.poisoned("dst", (rows.length * hidden + 1) / 2)) {
      gpu.kernels.gatherRows(
          dtype, s.pointer(), r.pointer(), rows.length, hidden, d.pointer(), gpu.stream);
      short[] bits = gpu.readShorts(d, rows.length * hidden);
      for (int i = 0; i < rows.length; i++) {
        for (int c = 0; c < hidden; c++) {
          assertThat(bits[i * hidden + c])
              .as("seed %d: gathered row %d (source row %d) column %d", seed, i, rows[i], c)
              .isEqualTo(dtype.bits(src[rows[i] * hidden + c]));
        }
      }
    }
  }

  /** Bit for bit what Java's {@code dst += w * x} gives; rows not routed stay as they were. */
  @Test
  void scatterAddMatchesJavaExactly() {
    int total = 400;
    int hidden = 96;
    int[] rows = distinctRows(total, 150);
    float[] dst = gaussian(total * hidden, 1f);
    float[] src = gaussian(rows.length * hidden, 1f);
    float[] weights = new float[rows.length];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = random.nextFloat();
    }
    float[] expected = dst.clone();
    for (int i = 0; i < rows.length; i++) {
      for (int c = 0; c < hidden; c++) {
        expected[rows[i] * hidden + c] += weights[i] * src[i * hidden + c];
      }
    }
    try (DeviceBuffer d = gpu.floats("dst", dst);
        DeviceBuffer s = gpu.floats("src", src);
        DeviceBuffer r = gpu.ints("rows", rows);
        DeviceBuffer w = gpu.floats("weights", weights)) {
      gpu.kernels.scatterAddWeighted(
          s.pointer(), r.pointer(), w.pointer(), rows.length, hidden, d.pointer(), gpu.stream);
      assertThat(gpu.readFloats(d, dst.length)).as("seed %d", seed).containsExactly(expected);
    }
  }

  @Test
  void rmsnormMatchesCpu() {
    int rows = 33;
    int hidden = 1000;
    float[] x = gaussian(rows * hidden, 3f);
    float[] weight = gaussian(hidden, 1f);
    float[] expected = new float[x.length];
    RmsNorm.apply(x, rows, hidden, weight, 1e-5f, expected);
    try (DeviceBuffer dx = gpu.floats("x", x);
        DeviceBuffer dw = gpu.floats("weight", weight);
        DeviceBuffer out = gpu.poisoned("out", x.length)) {
      gpu.kernels.rmsnorm(
          dx.pointer(), dw.pointer(), rows, hidden, 1e-5f, out.pointer(), gpu.stream);
      float[] actual = gpu.readFloats(out, x.length);
      assertThat(GpuFixture.firstNonFinite(actual, actual.length)).isEqualTo(-1);
      assertThat(GpuFixture.relativeError(actual, expected))
          .as("seed %d: f32 sums in another order than the CPU's double", seed)
          .isLessThanOrEqualTo(1e-5);
    }
  }

  static Stream<Arguments> routerCases() {
    List<Arguments> cases = new ArrayList<>();
    for (TopKNormalization normalization : TopKNormalization.values()) {
      cases.add(Arguments.of(8, 2, normalization));
      cases.add(Arguments.of(60, 4, normalization));
      cases.add(Arguments.of(256, 8, normalization));
      cases.add(Arguments.of(5, 5, normalization));
    }
    return cases.stream();
  }

  /** Same experts as the Java router; weights within 1e-5 relative (sums in another order). */
  @ParameterizedTest(name = "{0} experts, top-{1}, {2}")
  @MethodSource("routerCases")
  void routerMatchesJava(int experts, int k, TopKNormalization normalization) {
    int tokens = 333;
    float[] logits = gaussian(tokens * experts, 2f);
    Routing expected = new SoftmaxTopKRouter(experts, k, normalization).route(logits, 0, tokens);
    try (DeviceBuffer dl = gpu.floats("logits", logits);
        DeviceBuffer chosen = gpu.poisoned("experts", (long) tokens * k);
        DeviceBuffer weights = gpu.poisoned("weights", (long) tokens * k)) {
      gpu.kernels.routerSoftmaxTopK(
          dl.pointer(),
          tokens,
          experts,
          k,
          normalization,
          chosen.pointer(),
          weights.pointer(),
          gpu.stream);
      assertThat(gpu.readInts(chosen, tokens * k))
          .as("seed %d", seed)
          .containsExactly(expected.experts());
      float[] w = gpu.readFloats(weights, tokens * k);
      for (int i = 0; i < w.length; i++) {
        assertThat((double) w[i])
            .as("seed %d: weight %d", seed, i)
            .isCloseTo(expected.weights()[i], offset(1e-5 * expected.weights()[i] + 1e-7));
      }
    }
  }

  private static double[] gemmReference(
      TensorDtype dtype, short[] a, short[] b, int m, int n, int k) {
    double[] ref = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          sum += (double) dtype.toFloat(a[i * k + p]) * dtype.toFloat(b[j * k + p]);
        }
        ref[i * n + j] = sum;
      }
    }
    return ref;
  }

  /** The spacing of dtype values at {@code value}'s magnitude: one unit in the last place. */
  private static double unit(TensorDtype dtype, float value) {
    short bits = dtype.bits(Math.abs(value));
    return Math.abs(dtype.toFloat((short) (bits + 1)) - dtype.toFloat(bits));
  }

  private short[] randomBits(TensorDtype dtype, int count) {
    short[] bits = new short[count];
    for (int i = 0; i < count; i++) {
      bits[i] = dtype.bits((float) random.nextGaussian());
    }
    return bits;
  }

  private float[] gaussian(int count, float scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }

  /** {@code count} distinct rows of {@code [0, total)}, in random order. */
  private int[] distinctRows(int total, int count) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      all.add(i);
    }
    Collections.shuffle(all, random);
    return all.subList(0, count).stream().mapToInt(Integer::intValue).toArray();
  }
}
