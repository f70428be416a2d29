package dev.sparkmoe.core.safetensors;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Decodes runs of little-endian 16-bit floats from a buffer with a {@link DecodeKernel}: through a
 * small scratch array, and for a large run in parallel over contiguous parts on the common ForkJoin
 * pool (its parallelism, {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism}, bounds the
 * threads; 1 keeps every decode on the caller's thread). Every element lands where the sequential
 * decode puts it, with the same bits. Thread-safe.
 */
final class BulkDecode {
  /** Elements per scratch array: 16 KiB, within the L1 cache with its output. */
  private static final int SCRATCH = 8192;

  /** Runs below this many elements (1 MiB of halves) decode on the caller's thread. */
  static final int PARALLEL_MIN = 1 << 19;

  private BulkDecode() {}

  /** The conversion of one part, from a short array to the destination. */
  @FunctionalInterface
  interface Conversion {
    void convert(short[] src, int count, int dstOffset);
  }

  /**
   * Reads {@code count} 16-bit values at {@code src}'s position, which advances past them, and
   * hands them to {@code conversion} in pieces, each with its offset from the first element.
   *
   * @throws BufferUnderflowException if {@code src} holds fewer than {@code count} values
   */
  static void run(ByteBuffer src, int count, Conversion conversion) {
    if (src.remaining() / Short.BYTES < count) {
      throw new BufferUnderflowException();
    }
    int parts = parts(count);
    int start = src.position();
    if (parts == 1) {
      decodePart(src, start, 0, count, conversion);
    } else {
      IntStream.range(0, parts)
          .parallel()
          .forEach(
              p -> {
                int from = (int) ((long) p * count / parts);
                int to = (int) ((long) (p + 1) * count / parts);
                decodePart(src, start, from, to - from, conversion);
              });
    }
    src.position(start + count * Short.BYTES);
  }

  /** F16 (or BF16) to f32 into {@code dst[dstOffset, dstOffset + count)}. */
  static void toFloats(
      DType type, ByteBuffer src, float[] dst, int dstOffset, int count, DecodeKernel kernel) {
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    run(
        src,
        count,
        type == DType.F16
            ? (part, n, at) -> kernel.halfToFloat(part, 0, dst, dstOffset + at, n)
            : (part, n, at) -> kernel.bf16ToFloat(part, 0, dst, dstOffset + at, n));
  }

  /** F16 rounded to bfloat16 bits into {@code dst[dstOffset, dstOffset + count)}, no f32 array. */
  static void halfToBf16(
      ByteBuffer src, short[] dst, int dstOffset, int count, DecodeKernel kernel) {
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    run(src, count, (part, n, at) -> kernel.halfToBf16(part, 0, dst, dstOffset + at, n));
  }

  private static int parts(int count) {
    if (count < PARALLEL_MIN) {
      return 1;
    }
    int threads = ForkJoinPool.getCommonPoolParallelism() + 1; // the caller works too
    return Math.max(1, Math.min(threads, count / (PARALLEL_MIN / 2)));
  }

  /** Elements {@code [from, from + n)} of the run that starts at byte {@code start} of src. */
  private static void decodePart(
      ByteBuffer src, int start, int from, int n, Conversion conversion) {
    ShortBuffer values =
        src.slice(start + from * Short.BYTES, n * Short.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN)
            .asShortBuffer();
    short[] scratch = new short[Math.min(n, SCRATCH)];
    for (int done = 0; done < n; done += scratch.length) {
      int m = Math.min(scratch.length, n - done);
      values.get(scratch, 0, m);
      conversion.convert(scratch, m, from + done);
    }
  }
}
