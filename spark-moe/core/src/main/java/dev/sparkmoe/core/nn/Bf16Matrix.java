package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.model.PackedMatrix;
import dev.sparkmoe.core.safetensors.BFloat16;
import java.nio.ShortBuffer;
import java.util.Objects;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A weight matrix {@code [rows, cols]} (our [out, in] layout) held in bfloat16 in native memory,
 * two bytes per element, ready for {@link Bf16Gemm}. Built once per expert from bf16 bits as a
 * checkpoint stores them (copied, not decoded), or from f32 rounded to nearest even; then reordered
 * once into the blocked layout oneDNN's kernel reads ({@link Dnnl#blockedWeights}).
 *
 * <p>Owns its native memory: {@link #close()} frees it, after which products with it throw.
 * Thread-safe for products (they only read it); {@link #close()} must not race with them.
 */
public final class Bf16Matrix implements PackedMatrix {
  private static final int CHUNK = 1 << 16;

  private final int rows;
  private final int cols;
  private memory weights;

  private Bf16Matrix(int rows, int cols, ShortPointer plain) {
    this.rows = rows;
    this.cols = cols;
    engine engine = Dnnl.engine();
    try (memory from = Dnnl.bind(Dnnl.transposedWeights(cols, rows), engine, plain)) {
      weights = new memory(Dnnl.blockedWeights(cols, rows), engine);
      Dnnl.reorder(from, weights);
    } finally {
      plain.close();
    }
  }

  /**
   * The matrix with bfloat16 bits {@code bits[offset, offset + rows·cols)}, row-major, as they are.
   *
   * @throws IllegalStateException where bf16 compute is unavailable (the message says why)
   */
  public static Bf16Matrix ofBits(short[] bits, int offset, int rows, int cols) {
    ShortPointer plain = plain(rows, cols);
    Objects.checkFromIndexSize(offset, (long) rows * cols, bits.length);
    plain.asBuffer().put(bits, offset, rows * cols);
    return new Bf16Matrix(rows, cols, plain);
  }

  /**
   * The matrix {@code values[offset, offset + rows·cols)}, row-major, rounded to bfloat16.
   *
   * @throws IllegalStateException where bf16 compute is unavailable (the message says why)
   */
  public static Bf16Matrix ofFloats(float[] values, int offset, int rows, int cols) {
    ShortPointer plain = plain(rows, cols);
    Objects.checkFromIndexSize(offset, (long) rows * cols, values.length);
    ShortBuffer buffer = plain.asBuffer();
    short[] chunk = new short[Math.min(CHUNK, rows * cols)];
    for (int done = 0; done < rows * cols; done += chunk.length) {
      int n = Math.min(chunk.length, rows * cols - done);
      for (int i = 0; i < n; i++) {
        chunk[i] = BFloat16.fromFloat(values[offset + done + i]);
      }
      buffer.put(chunk, 0, n);
    }
    return new Bf16Matrix(rows, cols, plain);
  }

  private static ShortPointer plain(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid bf16 matrix shape: [%d, %d] (expected: both >= 1)", rows, cols));
    }
    Dnnl.engine();
    return new ShortPointer((long) rows * cols);
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  /** Native bytes this matrix holds: two per element, plus the blocked layout's padding. */
  @Override
  public long sizeBytes() {
    return Dnnl.blockedWeights(cols, rows).get_size();
  }

  /**
   * {@link Bf16Gemm#multiplyTransposed(float[], int, int, int, int, Bf16Matrix, float[], int,
   * int)}.
   */
  @Override
  public void multiplyTransposed(
      float[] a, int aOffset, int lda, int n, float[] c, int cOffset, int ldc) {
    Bf16Gemm.multiplyTransposed(a, aOffset, lda, n, cols, this, c, cOffset, ldc);
  }

  /** The oneDNN weights memory, {@code [cols, rows]} in {@link Dnnl#blockedWeights} layout. */
  memory weights() {
    if (weights == null) {
      throw new IllegalStateException(
          String.format("Cannot use bf16 matrix [%d, %d]: it is closed", rows, cols));
    }
    return weights;
  }

  @Override
  public synchronized void close() {
    if (weights != null) {
      weights.close();
      weights = null;
    }
  }
}
