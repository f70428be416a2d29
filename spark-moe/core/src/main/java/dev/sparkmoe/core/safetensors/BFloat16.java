package dev.sparkmoe.core.safetensors;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Objects;

/**
 * bfloat16 (safetensors {@code BF16}) conversions: the top 16 bits of a float. Decoding is exact;
 * encoding rounds to nearest even, overflows to infinity and keeps NaN a (quiet) NaN.
 */
public final class BFloat16 {

  private BFloat16() {}

  /** The float equal to the bfloat16 with bits {@code bits}. */
  public static float toFloat(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  /** The bfloat16 nearest to {@code value}, ties to even, as its bits. */
  public static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      // Setting the quiet bit keeps a NaN whose payload sits in the low 16 bits from truncating
      // to infinity.
      return (short) ((bits >>> 16) | 0x40);
    }
    // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry out of the mantissa
    // correctly bumps the exponent, up to infinity.
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /**
   * Decodes {@code count} little-endian bfloat16 values from {@code src}'s position, which advances
   * past them, into {@code dst[dstOffset, dstOffset + count)}. The byte order of {@code src} is
   * ignored. Vectorized where the Vector API is present, in parallel for large counts ({@link
   * DecodeKernel}).
   *
   * @throws BufferUnderflowException if {@code src} holds fewer than {@code count} values
   */
  public static void decode(ByteBuffer src, float[] dst, int dstOffset, int count) {
    BulkDecode.toFloats(DType.BF16, src, dst, dstOffset, count, DecodeKernel.best());
  }

  /**
   * Encodes {@code src[srcOffset, srcOffset + count)} as little-endian bfloat16 values at {@code
   * dst}'s position, which advances past them. The byte order of {@code dst} is ignored.
   */
  public static void encode(float[] src, int srcOffset, int count, ByteBuffer dst) {
    Objects.checkFromIndexSize(srcOffset, count, src.length);
    ShortBuffer values = dst.slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    for (int i = 0; i < count; i++) {
      values.put(fromFloat(src[srcOffset + i]));
    }
    dst.position(dst.position() + count * Short.BYTES);
  }
}
