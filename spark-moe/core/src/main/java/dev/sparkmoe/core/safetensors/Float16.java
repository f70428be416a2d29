package dev.sparkmoe.core.safetensors;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Objects;

/**
 * IEEE 754 binary16 ("half", safetensors {@code F16}) conversions. Decoding is exact; encoding
 * rounds to nearest even, produces subnormals, overflows to infinity and keeps NaN a (quiet) NaN.
 */
public final class Float16 {
  // Every half value decoded once: bulk decoding is one table lookup per element.
  private static final float[] DECODED = decodeAll();

  private Float16() {}

  /** The float equal to the half with bits {@code bits}. */
  public static float toFloat(short bits) {
    return DECODED[bits & 0xffff];
  }

  /** The half nearest to {@code value}, ties to even, as its bits. */
  public static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int magnitude = bits & 0x7fffffff;
    if (magnitude >= 0x7f800000) {
      return (short) (sign | infinityOrNaN(magnitude));
    }
    if (magnitude >= 0x477ff000) { // 65520, halfway between the largest half 65504 and 2^16
      return (short) (sign | 0x7c00);
    }
    if (magnitude >= 0x38800000) { // 2^-14, the smallest normal half
      return (short) (sign | normal(magnitude));
    }
    return (short) (sign | subnormal(magnitude));
  }

  /**
   * Decodes {@code count} little-endian halves from {@code src}'s position, which advances past
   * them, into {@code dst[dstOffset, dstOffset + count)}. The byte order of {@code src} is ignored.
   * Vectorized where the Vector API is present, in parallel for large counts ({@link DecodeKernel},
   * {@code BulkDecode}); the same bits as {@link #toFloat} element by element.
   *
   * @throws BufferUnderflowException if {@code src} holds fewer than {@code count} halves
   */
  public static void decode(ByteBuffer src, float[] dst, int dstOffset, int count) {
    BulkDecode.toFloats(DType.F16, src, dst, dstOffset, count, DecodeKernel.best());
  }

  /**
   * Encodes {@code src[srcOffset, srcOffset + count)} as little-endian halves at {@code dst}'s
   * position, which advances past them. The byte order of {@code dst} is ignored.
   */
  public static void encode(float[] src, int srcOffset, int count, ByteBuffer dst) {
    Objects.checkFromIndexSize(srcOffset, count, src.length);
    ShortBuffer halves = dst.slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    for (int i = 0; i < count; i++) {
      halves.put(fromFloat(src[srcOffset + i]));
    }
    dst.position(dst.position() + count * Short.BYTES);
  }

  private static int infinityOrNaN(int magnitude) {
    if (magnitude == 0x7f800000) {
      return 0x7c00;
    }
    // Keep the top payload bits and set the quiet bit, so a NaN never turns into infinity.
    return 0x7c00 | 0x200 | ((magnitude >>> 13) & 0x3ff);
  }

  private static int normal(int magnitude) {
    // Rebias the exponent (127 -> 15) and drop 13 mantissa bits; a mantissa carry moves into the
    // exponent, which is the correctly rounded result.
    int half = (magnitude - (112 << 23)) >>> 13;
    return roundNearestEven(half, magnitude & 0x1fff, 0x1000);
  }

  private static int subnormal(int magnitude) {
    int exponent = magnitude >>> 23;
    if (exponent < 102) { // below 2^-25, half of the smallest subnormal half: rounds to zero
      return 0;
    }
    int significand = (magnitude & 0x7fffff) | 0x800000;
    int shift = 126 - exponent; // the value in units of 2^-24 is significand >> shift
    return roundNearestEven(
        significand >>> shift, significand & ((1 << shift) - 1), 1 << (shift - 1));
  }

  private static int roundNearestEven(int truncated, int remainder, int halfway) {
    boolean up = remainder > halfway || (remainder == halfway && (truncated & 1) != 0);
    return up ? truncated + 1 : truncated;
  }

  private static float[] decodeAll() {
    float[] table = new float[1 << 16];
    for (int bits = 0; bits < table.length; bits++) {
      table[bits] = decode(bits);
    }
    return table;
  }

  private static float decode(int bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float magnitude = mantissa * 0x1p-24f; // exact: mantissa has at most 10 bits
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
}
