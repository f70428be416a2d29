package dev.sparkmoe.core.safetensors;

import java.util.List;
import java.util.Objects;

/**
 * One tensor of a safetensors file as its header describes it.
 *
 * @param name the tensor's name, such as {@code model.layers.0.mlp.gate.weight}
 * @param dtype the element type
 * @param shape the dimensions, outermost first (row-major); empty for a scalar
 * @param beginOffset the first byte, relative to the start of the data section
 * @param endOffset one past the last byte, relative to the start of the data section
 */
public record TensorInfo(
    String name, DType dtype, List<Long> shape, long beginOffset, long endOffset) {

  /**
   * @throws IllegalArgumentException if a dimension is negative, the offsets are negative or out of
   *     order, or they do not span exactly {@link #sizeBytes()} bytes
   * @throws ArithmeticException if the size in bytes does not fit in a long
   */
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = List.copyOf(shape);
    long sizeBytes = Math.multiplyExact(elementCount(shape), dtype.sizeBytes());
    if (beginOffset < 0 || endOffset - beginOffset != sizeBytes) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid offsets [%d, %d] for tensor %s (expected: %d bytes from a non-negative"
                  + " begin)",
              beginOffset, endOffset, name, sizeBytes));
    }
  }

  /** The number of elements: the product of the dimensions, 1 for a scalar. */
  public long numElements() {
    return elementCount(shape);
  }

  /** The number of bytes the tensor's data takes. */
  public long sizeBytes() {
    return numElements() * dtype.sizeBytes();
  }

  /**
   * The product of {@code shape}'s dimensions.
   *
   * @throws IllegalArgumentException if a dimension is negative
   * @throws ArithmeticException if the product does not fit in a long
   */
  static long elementCount(List<Long> shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException(
            "Invalid shape " + shape + " (expected: non-negative dimensions)");
      }
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }
}
