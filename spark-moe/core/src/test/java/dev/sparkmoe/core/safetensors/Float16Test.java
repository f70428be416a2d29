package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Float16Test {
  private static final int INFINITY = 0x7c00;

  @Test
  void decodesEveryBitPatternExactly() {
    List<String> mismatches = new ArrayList<>();
    for (int bits = 0; bits < 1 << 16; bits++) {
      float actual = Float16.toFloat((short) bits);
      double expected = reference(bits);
      boolean matches =
          Double.isNaN(expected)
              ? Float.isNaN(actual)
              : Float.floatToIntBits(actual) == Float.floatToIntBits((float) expected);
      if (!matches) {
        mismatches.add(String.format("0x%04x: %s (expected: %s)", bits, actual, expected));
      }
    }
    assertThat(mismatches).as("IEEE 754 binary16 decoding of all 65536 bit patterns").isEmpty();
  }

  @Test
  void encodesRandomFloatsToTheNearestHalf() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 500_000; i++) {
      checkNearest(Float.intBitsToFloat(random.nextInt()), failures);
      float magnitude = (float) Math.scalb(1 + random.nextDouble(), random.nextInt(44) - 27);
      checkNearest(random.nextBoolean() ? magnitude : -magnitude, failures);
    }
    assertThat(failures).as("round to nearest even, seed %d", seed).isEmpty();
  }

  @Test
  void breaksTiesToEven() {
    List<String> failures = new ArrayList<>();
    for (int magnitude = 0; magnitude < INFINITY; magnitude++) {
      float midpoint = (float) ((value(magnitude) + value(magnitude + 1)) / 2);
      int even = (magnitude & 1) == 0 ? magnitude : magnitude + 1;
      for (int sign : new int[] {0, 0x8000}) {
        float signed = sign == 0 ? midpoint : -midpoint;
        expectBits(signed, sign | even, failures);
        expectBits(
            Math.nextDown(Math.abs(signed)) * Math.signum(signed), sign | magnitude, failures);
        expectBits(
            Math.nextUp(Math.abs(signed)) * Math.signum(signed), sign | (magnitude + 1), failures);
      }
    }
    assertThat(failures).as("every halfway point between adjacent halves").isEmpty();
  }

  @Test
  void roundsEdgeCases() {
    assertThat(bits(65504f)).as("largest half").isEqualTo(0x7bff);
    assertThat(bits(65519.996f)).as("just below halfway to 2^16").isEqualTo(0x7bff);
    assertThat(bits(65520f)).as("halfway to 2^16 rounds to infinity").isEqualTo(INFINITY);
    assertThat(bits(1e10f)).isEqualTo(INFINITY);
    assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
    assertThat(bits(0x1p-24f)).as("smallest subnormal").isEqualTo(0x0001);
    assertThat(bits(0x1p-25f)).as("half the smallest subnormal, tie to zero").isEqualTo(0);
    assertThat(bits(Math.nextUp(0x1p-25f))).isEqualTo(0x0001);
    assertThat(bits(0x1.8p-24f)).as("tie between 1 and 2 ulps").isEqualTo(0x0002);
    assertThat(bits(0x1.4p-23f)).as("tie between 2 and 3 ulps").isEqualTo(0x0002);
    assertThat(bits(Math.nextDown(0x1p-14f)))
        .as("rounds up to the smallest normal")
        .isEqualTo(0x0400);
    assertThat(bits(-0f)).isEqualTo(0x8000);
    assertThat(bits(Float.MIN_VALUE)).isEqualTo(0);
  }

  @Test
  void keepsNaNsAsQuietNaNs() {
    for (int nan : new int[] {0x7fc00000, 0x7f800001, 0xff800001, 0x7fbfffff}) {
      int bits = bits(Float.intBitsToFloat(nan));
      assertThat(Float.isNaN(Float16.toFloat((short) bits))).as("0x%08x", nan).isTrue();
      assertThat(bits & 0x0200).as("quiet bit of 0x%08x", nan).isEqualTo(0x0200);
      assertThat(bits & 0x8000).as("sign of 0x%08x", nan).isEqualTo((nan >>> 16) & 0x8000);
    }
  }

  @Test
  void roundTripsEveryHalf() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      if ((bits & 0x7fff) <= INFINITY) {
        assertThat(bits(Float16.toFloat((short) bits))).as("0x%04x", bits).isEqualTo(bits);
      }
    }
  }

  @Test
  void bulkConversionMatchesScalar() {
    Random random = new Random();
    float[] values = SafetensorsFixtures.randomFloats(random, 20_000);
    ByteBuffer bytes = ByteBuffer.allocate(3 + values.length * 2).order(ByteOrder.BIG_ENDIAN);
    bytes.position(3);
    Float16.encode(values, 0, values.length, bytes);
    assertThat(bytes.position()).isEqualTo(3 + values.length * 2);
    bytes.position(3);
    float[] decoded = new float[values.length + 1];
    Float16.decode(bytes, decoded, 1, values.length);

    assertThat(bytes.remaining()).isZero();
    ByteBuffer little = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < values.length; i++) {
      short half = Float16.fromFloat(values[i]);
      assertThat(little.getShort(3 + 2 * i)).as("little-endian element %d", i).isEqualTo(half);
      assertThat(decoded[i + 1]).as("element %d", i).isEqualTo(Float16.toFloat(half));
    }
  }

  /** sign * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * m/1024, computed in double. */
  private static double reference(int bits) {
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    double magnitude;
    if (exponent == 0x1f) {
      magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exponent == 0) {
      magnitude = Math.scalb(mantissa / 1024.0, -14);
    } else {
      magnitude = Math.scalb(1 + mantissa / 1024.0, exponent - 15);
    }
    return (bits & 0x8000) == 0 ? magnitude : -magnitude;
  }

  /** The value of a non-negative half; infinity counts as 2^16, where rounding puts it. */
  private static double value(int magnitude) {
    return magnitude == INFINITY ? 0x1p16 : Float16.toFloat((short) magnitude);
  }

  private static int bits(float value) {
    return Float16.fromFloat(value) & 0xffff;
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
