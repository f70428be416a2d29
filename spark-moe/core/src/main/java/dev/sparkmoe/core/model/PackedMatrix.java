package dev.sparkmoe.core.model;

/**
 * A weight matrix {@code [rows, cols]} (our [out, in] layout) held in a compute format rather than
 * as an f32 array — bf16 in native memory ({@code nn.Bf16Matrix}) — together with its product. The
 * model stays free of any kernel library: it hands a {@link Packer} the weight's bits and keeps
 * what the packer returns.
 *
 * <p>Owned by the weights that hold it ({@link DenseWeights#close()}). Thread-safe for products;
 * {@link #close()} must not race with them.
 */
public interface PackedMatrix extends AutoCloseable {
  int rows();

  int cols();

  /** Bytes this matrix holds outside the Java heap. */
  long sizeBytes();

  /**
   * {@code c[n, rows] = a[n, cols] · thisᵀ}, accumulated in f32; {@code a} and {@code c} row-major
   * at an offset with a row stride, {@code c} overwritten.
   */
  void multiplyTransposed(float[] a, int aOffset, int lda, int n, float[] c, int cOffset, int ldc);

  @Override
  void close();

  /** Makes a packed matrix from bfloat16 bits, as {@code nn.Bf16Matrix::ofBits} does. */
  @FunctionalInterface
  interface Packer {
    /** The matrix with bfloat16 bits {@code bits[offset, offset + rows·cols)}, row-major. */
    PackedMatrix pack(short[] bits, int offset, int rows, int cols);
  }
}
