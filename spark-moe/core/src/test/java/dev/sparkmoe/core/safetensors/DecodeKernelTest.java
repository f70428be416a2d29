package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector decode kernel and the parallel bulk decode against the scalar decode, bit for bit:
 * every one of the 65,536 16-bit patterns (zeros, subnormals, normals, infinities, NaN payloads of
 * either sign), at an offset and a length that leave a scalar tail, and a large random tensor that
 * takes the parallel path.
 */
class DecodeKernelTest {
  private static final int OFFSET = 3;

  private final Random random = new Random();

  @Test
  void vectorHalfToFloatMatchesScalarForEveryPattern() {
    assumeTrue(DecodeKernel.VECTOR.isAvailable(), "jdk.incubator.vector not resolved");
    short[] all = everyPattern();
    float[] expected = new float[all.length + OFFSET];
    float[] actual = new float[all.length + OFFSET];
    DecodeKernel.SCALAR.halfToFloat(all, 0, expected, OFFSET, all.length);
    DecodeKernel.VECTOR.halfToFloat(all, 0, actual, OFFSET, all.length);
    assertSameBits(actual, expected, "F16 -> f32");
    assertThat(Float.floatToRawIntBits(actual[OFFSET + 0x0001]))
        .as("smallest subnormal half, 2^-24")
        .isEqualTo(Float.floatToRawIntBits(0x1p-24f));
    assertThat(Float.floatToRawIntBits(actual[OFFSET + 0xfc00]))
        .as("negative infinity")
        .isEqualTo(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY));
    assertThat(Float.floatToRawIntBits(actual[OFFSET + 0x7e01]))
        .as("a NaN keeps its payload")
        .isEqualTo(0x7fc02000);
  }

  @Test
  void vectorBf16ToFloatMatchesScalarForEveryPattern() {
    assumeTrue(DecodeKernel.VECTOR.isAvailable(), "jdk.incubator.vector not resolved");
    short[] all = everyPattern();
    float[] expected = new float[all.length];
    float[] actual = new float[all.length];
    DecodeKernel.SCALAR.bf16ToFloat(all, OFFSET, expected, 0, all.length - OFFSET - 2);
    DecodeKernel.VECTOR.bf16ToFloat(all, OFFSET, actual, 0, all.length - OFFSET - 2);
    assertSameBits(actual, expected, "BF16 -> f32");
    assertThat(Float.floatToRawIntBits(actual[0x8000 - OFFSET])).isEqualTo(0x80000000);
  }

  @Test
  void vectorHalfToBf16MatchesScalarForEveryPattern() {
    assumeTrue(DecodeKernel.VECTOR.isAvailable(), "jdk.incubator.vector not resolved");
    short[] all = everyPattern();
    short[] expected = new short[all.length];
    short[] actual = new short[all.length];
    DecodeKernel.SCALAR.halfToBf16(all, 0, expected, 0, all.length);
    DecodeKernel.VECTOR.halfToBf16(all, 0, actual, 0, all.length);
    assertSameBits(actual, expected, "F16 -> bf16 bits");
    assertThat(actual[0x3c01])
        .as("1 + 2^-10 rounds to 1 in bf16 (7 mantissa bits)")
        .isEqualTo((short) 0x3f80);
  }

  @Test
  void largeTensorsDecodeInParallelToTheSequentialBits() {
    int count = 3 * BulkDecode.PARALLEL_MIN + 5;
    ByteBuffer bytes = ByteBuffer.allocate(2 * count + 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putShort((short) 0x1234); // a leading element the decode must skip
    short[] halves = new short[count];
    for (int i = 0; i < count; i++) {
      halves[i] = (short) random.nextInt(1 << 16);
      bytes.putShort(2 + 2 * i, halves[i]);
    }
    bytes.position(2);
    float[] decoded = new float[count];
    Float16.decode(bytes, decoded, 0, count);
    assertThat(bytes.position()).as("position advanced past the run").isEqualTo(2 + 2 * count);
    float[] expected = new float[count];
    DecodeKernel.SCALAR.halfToFloat(halves, 0, expected, 0, count);
    assertSameBits(decoded, expected, "F16 decode, parallel path");

    bytes.position(2);
    short[] bf16 = new short[count];
    DType.F16.toBf16Bits(bytes, bf16, 0, count);
    short[] expectedBits = new short[count];
    DecodeKernel.SCALAR.halfToBf16(halves, 0, expectedBits, 0, count);
    assertSameBits(bf16, expectedBits, "F16 -> bf16, parallel path");

    bytes.position(2);
    BFloat16.decode(bytes, decoded, 0, count);
    DecodeKernel.SCALAR.bf16ToFloat(halves, 0, expected, 0, count);
    assertSameBits(decoded, expected, "BF16 decode, parallel path");
  }

  private static short[] everyPattern() {
    short[] all = new short[1 << 16];
    for (int bits = 0; bits < all.length; bits++) {
      all[bits] = (short) bits;
    }
    return all;
  }

  /** The first mismatch, with its index; AssertJ's diff of whole arrays is quadratic. */
  private static void assertSameBits(short[] actual, short[] expected, String what) {
    int first = java.util.Arrays.mismatch(actual, expected);
    assertThat(first < 0 ? "none" : Integer.toHexString(actual[first] & 0xffff))
        .as("%s, first mismatch at %d", what, first)
        .isEqualTo(first < 0 ? "none" : Integer.toHexString(expected[first] & 0xffff));
  }

  private static void assertSameBits(float[] actual, float[] expected, String what) {
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
        assertThat(Integer.toHexString(Float.floatToRawIntBits(actual[i])))
            .as("%s, element %d", what, i)
            .isEqualTo(Integer.toHexString(Float.floatToRawIntBits(expected[i])));
      }
    }
  }
}
