package dev.sparkmoe.core.batch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;

/**
 * Bulk copies between Java arrays and non-nullable fixed-width Arrow vectors. Values go through a
 * little-endian {@link ByteBuffer} view of the vector's data buffer, so each column is one memory
 * copy rather than a call per element.
 */
final class ArrowColumns {
  private ArrowColumns() {}

  static void writeLongs(BigIntVector vector, long[] values) {
    allocate(vector, values.length).asLongBuffer().put(values);
  }

  static void writeInts(IntVector vector, int[] values) {
    allocate(vector, values.length).asIntBuffer().put(values);
  }

  static void writeFloats(Float4Vector vector, float[] values) {
    allocate(vector, values.length).asFloatBuffer().put(values);
  }

  static long[] readLongs(BigIntVector vector) {
    long[] values = new long[vector.getValueCount()];
    data(vector).asLongBuffer().get(values);
    return values;
  }

  static int[] readInts(IntVector vector) {
    int[] values = new int[vector.getValueCount()];
    data(vector).asIntBuffer().get(values);
    return values;
  }

  static float[] readFloats(Float4Vector vector) {
    float[] values = new float[vector.getValueCount()];
    data(vector).asFloatBuffer().get(values);
    return values;
  }

  /** Allocates {@code count} values, all valid, and returns the view to write them through. */
  private static ByteBuffer allocate(BaseFixedWidthVector vector, int count) {
    vector.allocateNew(count);
    return fill(vector, count);
  }

  /**
   * Marks the first {@code count} values of {@code vector}, already allocated for them, valid and
   * returns the view to write them through.
   */
  static ByteBuffer fill(BaseFixedWidthVector vector, int count) {
    setAllValid(vector.getValidityBuffer(), count);
    vector.setValueCount(count);
    return data(vector);
  }

  /** Sets the first {@code count} bits of a zeroed validity buffer. */
  static void setAllValid(ArrowBuf validity, int count) {
    int fullBytes = count / Byte.SIZE;
    validity.setOne(0L, fullBytes);
    if (count % Byte.SIZE != 0) {
      validity.setByte(fullBytes, (1 << (count % Byte.SIZE)) - 1);
    }
  }

  /** A little-endian view of the vector's values, after checking that none is null. */
  static ByteBuffer data(BaseFixedWidthVector vector) {
    checkNoNulls(vector);
    long sizeBytes = (long) vector.getValueCount() * vector.getTypeWidth();
    return vector
        .getDataBuffer()
        .nioBuffer(0L, Math.toIntExact(sizeBytes))
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  static void checkNoNulls(ValueVector vector) {
    int nulls = vector.getNullCount();
    if (nulls != 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid token batch column %s: %d nulls (expected: none)", vector.getName(), nulls));
    }
  }
}
