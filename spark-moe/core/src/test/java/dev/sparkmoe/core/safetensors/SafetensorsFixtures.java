package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Random tensor values and hand-assembled safetensors files for the tests of this package. */
final class SafetensorsFixtures {
  private SafetensorsFixtures() {}

  /** {@code count} normally distributed values scaled by up to 2^±8, none of them zero. */
  static float[] randomFloats(Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      float value = 0;
      while (value == 0) {
        value = (float) Math.scalb(random.nextGaussian(), random.nextInt(17) - 8);
      }
      values[i] = value;
    }
    return values;
  }

  /** Asserts equal floats by bits, reporting the first difference; fast on large arrays. */
  static void assertSameFloats(float[] actual, float[] expected) {
    assertThat(actual.length).as("length").isEqualTo(expected.length);
    int mismatch = Arrays.mismatch(actual, expected);
    if (mismatch >= 0) {
      assertThat(actual[mismatch]).as("element %d", mismatch).isEqualTo(expected[mismatch]);
    }
  }

  static byte[] randomBytes(Random random, int count) {
    byte[] bytes = new byte[count];
    random.nextBytes(bytes);
    return bytes;
  }

  static SafetensorsWriter.ValueSource source(float[] values) {
    return (start, dst, count) -> System.arraycopy(values, Math.toIntExact(start), dst, 0, count);
  }

  /** {@code values} as {@code dtype} stores them. */
  static float[] rounded(DType dtype, float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * dtype.sizeBytes());
    dtype.encode(values, 0, values.length, bytes);
    float[] decoded = new float[values.length];
    dtype.decode(bytes.flip(), decoded, 0, decoded.length);
    return decoded;
  }

  /** {@code values} as little-endian F32 bytes. */
  static byte[] f32Bytes(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** Writes a file of the length prefix, {@code header} in UTF-8, and {@code data}. */
  static Path writeRaw(Path file, String header, byte[] data) {
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    return writeRaw(file, headerBytes.length, headerBytes, data);
  }

  /** Writes a file whose length prefix claims {@code headerLength}, whatever follows. */
  static Path writeRaw(Path file, long headerLength, byte[] header, byte[] data) {
    ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length);
    bytes.order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(header).put(data);
    try {
      return Files.write(file, bytes.array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A header entry for one tensor. */
  static String entry(String name, String dtype, String shape, long begin, long end) {
    return String.format(
        "\"%s\": {\"dtype\": \"%s\", \"shape\": %s, \"data_offsets\": [%d, %d]}",
        name, dtype, shape, begin, end);
  }
}
