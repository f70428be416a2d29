package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.safetensors.BFloat16;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * One thread's oneDNN state: a stream, the matmul primitives it has created (one per shape, reused
 * for the thread's lifetime: creation takes tens of milliseconds) and two pairs of native buffers,
 * a bf16 source and an f32 result, that grow to the largest call. Not thread-safe: {@link
 * #current()} gives each thread its own; native memory is freed when the thread's workspace is
 * collected.
 *
 * <p>Row counts are padded to a multiple of {@value #GRANULE} so that at most {@code MAX_ROWS /
 * GRANULE} shapes exist per weight shape (oneDNN's fast kernels need the row count fixed at
 * creation; with a runtime row count it falls back to a kernel at half the rate).
 */
final class Bf16Workspace {
  /** Rows per product are padded to a multiple of this. */
  static final int GRANULE = 64;

  /** Rows per product at most; larger batches run in chunks (the rate is flat from here on). */
  static final int MAX_ROWS = 1024;

  private static final ThreadLocal<Bf16Workspace> CURRENT =
      ThreadLocal.withInitial(Bf16Workspace::new);

  private final engine engine = Dnnl.engine();
  private final stream stream = new stream(engine);
  private final Map<List<Integer>, Bound> primitives = new HashMap<>();
  private final ShortPointer[] sources = new ShortPointer[2];
  private final FloatPointer[] results = new FloatPointer[2];

  private Bf16Workspace() {}

  static Bf16Workspace current() {
    return CURRENT.get();
  }

  static int padded(int rows) {
    return (rows + GRANULE - 1) / GRANULE * GRANULE;
  }

  /**
   * Rounds {@code rows} rows of {@code a} (row stride {@code lda}, {@code k} columns) to bf16 into
   * source {@code slot}, zeroing the padding rows.
   */
  void load(int slot, float[] a, int aOffset, int lda, int rows, int k) {
    ShortBuffer source = source(slot, rows, k);
    short[] row = new short[k];
    for (int r = 0; r < rows; r++) {
      int base = aOffset + r * lda;
      for (int i = 0; i < k; i++) {
        row[i] = BFloat16.fromFloat(a[base + i]);
      }
      source.put(r * k, row, 0, k);
    }
    zeroPadding(source, rows, k);
  }

  /**
   * Source {@code slot} for {@code rows} rows of {@code k}, grown as needed; padding not zeroed.
   */
  ShortBuffer source(int slot, int rows, int k) {
    long size = (long) padded(rows) * k;
    if (sources[slot] == null || sources[slot].capacity() < size) {
      if (sources[slot] != null) {
        sources[slot].close();
      }
      sources[slot] = new ShortPointer(size);
    }
    return sources[slot].asBuffer();
  }

  /** Zeroes the rows from {@code rows} to the padded count of source {@code buffer}. */
  static void zeroPadding(ShortBuffer buffer, int rows, int k) {
    int padding = (padded(rows) - rows) * k;
    if (padding > 0) {
      buffer.put(rows * k, new short[padding], 0, padding);
    }
  }

  /**
   * Multiplies source {@code slot}'s {@code rows} rows by {@code w}ᵀ into result {@code slot}
   * ({@code [padded rows, w.rows()]} row-major f32), which it returns.
   */
  FloatBuffer multiply(int slot, int rows, Bf16Matrix w) {
    int padded = padded(rows);
    long size = (long) padded * w.rows();
    if (results[slot] == null || results[slot].capacity() < size) {
      if (results[slot] != null) {
        results[slot].close();
      }
      results[slot] = new FloatPointer(size);
    }
    Bound bound = primitives.computeIfAbsent(List.of(padded, w.cols(), w.rows()), this::create);
    // A closed matrix throws here, before oneDNN could read freed memory.
    memory weights = w.weights();
    bound.src().set_data_handle(sources[slot]);
    bound.dst().set_data_handle(results[slot]);
    bound.primitive().execute(stream, bound.src(), weights, bound.dst());
    return results[slot].asBuffer();
  }

  private Bound create(List<Integer> shape) {
    int rows = shape.get(0);
    int k = shape.get(1);
    int m = shape.get(2);
    return new Bound(
        Dnnl.matmul(engine, rows, k, m, Dnnl.blockedWeights(k, m)),
        new memory(Dnnl.rowMajor(rows, k, memory.data_type.bf16), engine, null),
        new memory(Dnnl.rowMajor(rows, m, memory.data_type.f32), engine, null));
  }

  /** A primitive with its source and result memories, rebound to the buffers at each call. */
  private record Bound(Dnnl.Primitive primitive, memory src, memory dst) {}
}
