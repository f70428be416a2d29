package dev.sparkmoe.core.safetensors;

import dev.sparkmoe.core.InvalidModelException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/** The element types spark-moe reads from and writes to safetensors checkpoints. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2);

  private static final String EXPECTED =
      Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));

  private final int sizeBytes;

  DType(int sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  /** Bytes per element. */
  public int sizeBytes() {
    return sizeBytes;
  }

  /** The name of this type in a safetensors header, such as {@code BF16}. */
  public String safetensorsName() {
    return name();
  }

  /**
   * The type a safetensors header names.
   *
   * @param name the header's {@code dtype} value
   * @param tensorName the tensor the value belongs to, for the error message
   * @param file the checkpoint file, for the error message
   * @throws InvalidModelException if {@code name} is not a supported type
   */
  public static DType fromName(String name, String tensorName, Path file) {
    for (DType type : values()) {
      if (type.safetensorsName().equals(name)) {
        return type;
      }
    }
    throw new InvalidModelException(
        String.format(
            "Invalid dtype %s for tensor %s in %s (expected: one of %s)",
            Printable.of(name), Printable.of(tensorName), file, EXPECTED));
  }

  /**
   * Decodes {@code count} little-endian values of this type from {@code src}'s position, which
   * advances past them, into {@code dst[dstOffset, dstOffset + count)}. The byte order of {@code
   * src} is ignored.
   *
   * @throws BufferUnderflowException if {@code src} holds fewer than {@code count} values
   */
  public void decode(ByteBuffer src, float[] dst, int dstOffset, int count) {
    switch (this) {
      case F32 -> decodeF32(src, dst, dstOffset, count);
      case F16 -> Float16.decode(src, dst, dstOffset, count);
      case BF16 -> BFloat16.decode(src, dst, dstOffset, count);
    }
  }

  /**
   * Encodes {@code src[srcOffset, srcOffset + count)} as little-endian values of this type at
   * {@code dst}'s position, which advances past them, rounding to nearest even. The byte order of
   * {@code dst} is ignored.
   */
  public void encode(float[] src, int srcOffset, int count, ByteBuffer dst) {
    switch (this) {
      case F32 -> encodeF32(src, srcOffset, count, dst);
      case F16 -> Float16.encode(src, srcOffset, count, dst);
      case BF16 -> BFloat16.encode(src, srcOffset, count, dst);
    }
  }

  /**
   * Reads {@code count} little-endian values of this type from {@code src}'s position, which
   * advances past them, as bfloat16 bits into {@code dst[dstOffset, dstOffset + count)}: {@code
   * BF16} bits as they are, {@code F16} and {@code F32} rounded to nearest even.
   *
   * @throws BufferUnderflowException if {@code src} holds fewer than {@code count} values
   */
  public void toBf16Bits(ByteBuffer src, short[] dst, int dstOffset, int count) {
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    if (this == BF16) {
      if (src.remaining() / Short.BYTES < count) {
        throw new BufferUnderflowException();
      }
      src.slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(dst, dstOffset, count);
      src.position(src.position() + count * Short.BYTES);
      return;
    }
    if (this == F16) {
      BulkDecode.halfToBf16(src, dst, dstOffset, count, DecodeKernel.best());
      return;
    }
    float[] values = new float[count];
    decode(src, values, 0, count);
    for (int i = 0; i < count; i++) {
      dst[dstOffset + i] = BFloat16.fromFloat(values[i]);
    }
  }

  private static void decodeF32(ByteBuffer src, float[] dst, int dstOffset, int count) {
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    if (src.remaining() / Float.BYTES < count) {
      throw new BufferUnderflowException();
    }
    src.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, dstOffset, count);
    src.position(src.position() + count * Float.BYTES);
  }

  private static void encodeF32(float[] src, int srcOffset, int count, ByteBuffer dst) {
    Objects.checkFromIndexSize(srcOffset, count, src.length);
    dst.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(src, srcOffset, count);
    dst.position(dst.position() + count * Float.BYTES);
  }
}
