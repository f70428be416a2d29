package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.safetensors.BFloat16;
import java.nio.ShortBuffer;
import java.util.Objects;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A weight matrix {@code [rows, cols]} (our [out, in] layout) held in bfloat16 in native memory,
 * two bytes per element, ready for {@link Bf16Gemm}. Built once per expert from bf16 bits as a
 * checkpoint stores them, or from f32 rounded to nearest even.
 *
 * <p>Owns its native memory: {@link #close()} frees it, after which products with it throw.
 * Thread-safe for products (they only read it); {@link #close()} must not race with them.
 */
public final class Bf16Matrix implements AutoCloseable {
  private static final int CHUNK = 1 << 16;

  private final int rows;
  private final int cols;
  private ShortPointer data;
  private memory weights;

  private Bf16Matrix(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid bf16 matrix shape: [%d, %d] (expected: both >= 1)", rows, cols));
    }
    this.rows = rows;
    this.cols = cols;
    this.data = new ShortPointer((long) rows * cols);
    this.weights = Dnnl.bind(Dnnl.transposedWeights(cols, rows), Dnnl.engine(), data);
  }

  /**
   * The matrix with bfloat16 bits {@code bits[offset, offset + rows·cols)}, row-major, as they are.
   *
   * @throws IllegalStateException where bf16 compute is unavailable (the message says why)
   */
  public static Bf16Matrix ofBits(short[] bits, int offset, int rows, int cols) {
    Bf16Matrix matrix = new Bf16Matrix(rows, cols);
    Objects.checkFromIndexSize(offset, (long) rows * cols, bits.length);
    matrix.buffer().put(bits, offset, rows * cols);
    return matrix;
  }

  /**
   * The matrix {@code values[offset, offset + rows·cols)}, row-major, rounded to bfloat16.
   *
   * @throws IllegalStateException where bf16 compute is unavailable (the message says why)
   */
  public static Bf16Matrix ofFloats(float[] values, int offset, int rows, int cols) {
    Bf16Matrix matrix = new Bf16Matrix(rows, cols);
    Objects.checkFromIndexSize(offset, (long) rows * cols, values.length);
    ShortBuffer buffer = matrix.buffer();
    short[] chunk = new short[Math.min(CHUNK, rows * cols)];
    for (int done = 0; done < rows * cols; done += chunk.length) {
      int n = Math.min(chunk.length, rows * cols - done);
      for (int i = 0; i < n; i++) {
        chunk[i] = BFloat16.fromFloat(values[offset + done + i]);
      }
      buffer.put(chunk, 0, n);
    }
    return matrix;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Native bytes this matrix holds. */
  public long sizeBytes() {
    return 2L * rows * cols;
  }

  /** The bf16 value at ({@code row}, {@code col}), as a float (exact). */
  public float value(int row, int col) {
    Objects.checkIndex(row, rows);
    Objects.checkIndex(col, cols);
    return BFloat16.toFloat(open().get((long) row * cols + col));
  }

  /** The oneDNN weights memory: {@code [cols, rows]} in {@code ba} order over this data. */
  memory weights() {
    open();
    return weights;
  }

  private ShortBuffer buffer() {
    return open().asBuffer();
  }

  private ShortPointer open() {
    if (data == null) {
      throw new IllegalStateException(
          String.format("Cannot use bf16 matrix [%d, %d]: it is closed", rows, cols));
    }
    return data;
  }

  @Override
  public synchronized void close() {
    if (data != null) {
      weights.close();
      data.close();
      weights = null;
      data = null;
    }
  }
}
