package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BFloat16Test {
  private static final int INFINITY = 0x7f80;

  @Test
  void decodesEveryBitPatternExactly() {
    List<String> mismatches = new ArrayList<>();
    for (int bits = 0; bits < 1 << 16; bits++) {
      float actual = BFloat16.toFloat((short) bits);
      double expected = reference(bits);
      boolean matches =
          Double.isNaN(expected)
              ? Float.isNaN(actual)
              : Float.floatToIntBits(actual) == Float.floatToIntBits((float) expected);
      if (!matches) {
        mismatches.add(String.format("0x%04x: %s (expected: %s)", bits, actual, expected));
      }
    }
    assertThat(mismatches).as("bfloat16 decoding of all 65536 bit patterns").isEmpty();
  }

  @Test
  void encodesRandomFloatsToTheNearestBFloat16() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 1_000_000; i++) {
      checkNearest(Float.intBitsToFloat(random.nextInt()), failures);
    }
    assertThat(failures).as("round to nearest even, seed %d", seed).isEmpty();
  }

  @Test
  void breaksTiesToEven() {
    List<String> failures = new ArrayList<>();
    for (int magnitude = 0; magnitude < INFINITY; magnitude++) {
      float midpoint = (float) ((value(magnitude) + value(magnitude + 1)) / 2);
      int even = (magnitude & 1) == 0 ? magnitude : magnitude + 1;
      expectBits(midpoint, even, failures);
      expectBits(-midpoint, 0x8000 | even, failures);
      expectBits(Math.nextDown(midpoint), magnitude, failures);
      expectBits(Math.nextUp(midpoint), magnitude + 1, failures);
    }
    assertThat(failures).as("every halfway point between adjacent bfloat16 values").isEmpty();
  }

  @Test
  void roundsEdgeCases() {
    assertThat(bits(1f)).isEqualTo(0x3f80);
    assertThat(bits(Float.MAX_VALUE)).as("rounds past the largest bfloat16").isEqualTo(INFINITY);
    assertThat(bits(Float.intBitsToFloat(0x7f7f7fff))).as("largest bfloat16").isEqualTo(0x7f7f);
    assertThat(bits(-Float.MAX_VALUE)).isEqualTo(0xff80);
    assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
    assertThat(bits(Float.MIN_VALUE)).as("float subnormal below half a bfloat16 ulp").isZero();
    assertThat(bits(Float.intBitsToFloat(0x00008000))).as("tie to even zero").isZero();
    assertThat(bits(Float.intBitsToFloat(0x00018000))).as("tie to even 2").isEqualTo(0x0002);
    assertThat(bits(-0f)).isEqualTo(0x8000);
  }

  @Test
  void keepsNaNsAsQuietNaNs() {
    for (int nan : new int[] {0x7fc00000, 0x7f800001, 0xff800001, 0x7fbfffff}) {
      int bits = bits(Float.intBitsToFloat(nan));
      assertThat(Float.isNaN(BFloat16.toFloat((short) bits))).as("0x%08x", nan).isTrue();
      assertThat(bits & 0x0040).as("quiet bit of 0x%08x", nan).isEqualTo(0x0040);
      assertThat(bits & 0x8000).as("sign of 0x%08x", nan).isEqualTo((nan >>> 16) & 0x8000);
    }
  }

  @Test
  void bulkConversionMatchesScalar() {
    Random random = new Random();
    float[] values = SafetensorsFixtures.randomFloats(random, 20_000);
    ByteBuffer bytes = ByteBuffer.allocate(5 + values.length * 2).order(ByteOrder.BIG_ENDIAN);
    bytes.position(5);
    BFloat16.encode(values, 0, values.length, bytes);
    assertThat(bytes.position()).isEqualTo(5 + values.length * 2);
    bytes.position(5);
    float[] decoded = new float[values.length + 2];
    BFloat16.decode(bytes, decoded, 2, values.length);

    assertThat(bytes.remaining()).isZero();
    ByteBuffer little = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < values.length; i++) {
      short value = BFloat16.fromFloat(values[i]);
      assertThat(little.getShort(5 + 2 * i)).as("little-endian element %d", i).isEqualTo(value);
      assertThat(decoded[i + 2]).as("element %d", i).isEqualTo(BFloat16.toFloat(value));
    }
  }

  /** sign * 2^(e-127) * (1 + m/128), subnormals 2^-126 * m/128, computed in double. */
  private static double reference(int bits) {
    int exponent = (bits >>> 7) & 0xff;
    int mantissa = bits & 0x7f;
    double magnitude;
    if (exponent == 0xff) {
      magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exponent == 0) {
      magnitude = Math.scalb(mantissa / 128.0, -126);
    } else {
      magnitude = Math.scalb(1 + mantissa / 128.0, exponent - 127);
    }
    return (bits & 0x8000) == 0 ? magnitude : -magnitude;
  }

  /** The value of a non-negative bfloat16; infinity counts as 2^128, where rounding puts it. */
  private static double value(int magnitude) {
    return magnitude == INFINITY ? 0x1p128 : BFloat16.toFloat((short) magnitude);
  }

  private static int bits(float value) {
    return BFloat16.fromFloat(value) & 0xffff;
  }

  private static void expectBits(float value, int expected, List<String> failures) {
    if (bits(value) != expected) {
      failures.add(String.format("%s -> 0x%04x (expected: 0x%04x)", value, bits(value), expected));
    }
  }

  private static void checkNearest(float x, List<String> failures) {
    if (Float.isNaN(x) || Float.isInfinite(x)) {
      return;
    }
    int bits = bits(x);
    int magnitude = bits & 0x7fff;
    double target = Math.abs((double) x);
    double error = Math.abs(value(magnitude) - target);
    boolean signOk = (bits >>> 15) == (Float.floatToRawIntBits(x) >>> 31);
    boolean nearest =
        magnitude <= INFINITY
            && (magnitude == 0 || isNoCloser(magnitude - 1, magnitude, error, target))
            && (magnitude == INFINITY || isNoCloser(magnitude + 1, magnitude, error, target));
    if (!signOk || !nearest) {
      failures.add(String.format("%s -> 0x%04x", x, bits));
    }
  }

  private static boolean isNoCloser(int neighbour, int chosen, double error, double target) {
    double neighbourError = Math.abs(value(neighbour) - target);
    return neighbourError > error || (neighbourError == error && (chosen & 1) == 0);
  }
}
