package dev.sparkmoe.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a safetensors file, streaming tensor values from {@link ValueSource}s so that a checkpoint
 * of any size is written in constant memory. Tensors are laid out in the order they were added.
 *
 * <p>Not thread-safe. {@link #writeTo} writes a sibling {@code .partial} file and renames it, so
 * the target never holds a half-written checkpoint.
 */
public final class SafetensorsWriter {
  static final int CHUNK_ELEMENTS = 1 << 20;

  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final Map<String, Entry> tensors = new LinkedHashMap<>();

  /** Supplies the values of one tensor, chunk by chunk. */
  @FunctionalInterface
  public interface ValueSource {
    /**
     * Writes elements {@code [startElement, startElement + count)} of the tensor, in row-major
     * order, into {@code dst[0, count)}. The writer calls this with increasing, contiguous ranges
     * of at most 2^20 elements and may reuse {@code dst} between calls.
     */
    void fill(long startElement, float[] dst, int count);
  }

  private record Entry(
      DType dtype, List<Long> shape, long numElements, long sizeBytes, ValueSource values) {}

  private SafetensorsWriter() {}

  /** A writer with no tensors and no metadata. */
  public static SafetensorsWriter create() {
    return new SafetensorsWriter();
  }

  /** Adds a {@code __metadata__} entry, replacing any earlier value of {@code key}. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Adds a tensor whose values {@code values} supplies, converted to {@code dtype} rounding to
   * nearest even.
   *
   * @param shape the dimensions, outermost first; empty for a scalar
   * @throws IllegalArgumentException if the name is empty, reserved or already added, or a
   *     dimension is negative
   * @throws ArithmeticException if the tensor's size in bytes does not fit in a long
   */
  public SafetensorsWriter tensor(String name, DType dtype, List<Long> shape, ValueSource values) {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(values, "values");
    checkName(name);
    List<Long> dims = List.copyOf(shape);
    long numElements = TensorInfo.elementCount(dims);
    long sizeBytes = Math.multiplyExact(numElements, dtype.sizeBytes());
    tensors.put(name, new Entry(dtype, dims, numElements, sizeBytes, values));
    return this;
  }

  /**
   * Writes the checkpoint to {@code file}, replacing it if it exists.
   *
   * @throws UncheckedIOException if writing fails; {@code file} is then left as it was
   */
  public void writeTo(Path file) {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    try {
      try (FileChannel channel =
          FileChannel.open(
              partial,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        writeFully(channel, header());
        writeData(channel);
      }
      Files.move(
          partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteAfterFailure(partial, e);
      throw IoErrors.cannot("write " + file, e);
    } catch (RuntimeException e) {
      deleteAfterFailure(partial, e);
      throw e;
    }
  }

  private void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
      throw new IllegalArgumentException(
          "Invalid tensor name: '" + name + "' (expected: non-empty, not __metadata__)");
    }
    if (tensors.containsKey(name)) {
      throw new IllegalArgumentException("Cannot add tensor " + name + ": it was already added");
    }
  }

  private ByteBuffer header() throws JsonProcessingException {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    if (!metadata.isEmpty()) {
      ObjectNode metadataNode = root.putObject(SafetensorsHeader.METADATA_KEY);
      metadata.forEach(metadataNode::put);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> tensor : tensors.entrySet()) {
      Entry entry = tensor.getValue();
      long end = Math.addExact(offset, entry.sizeBytes());
      ObjectNode node = root.putObject(tensor.getKey());
      node.put("dtype", entry.dtype().safetensorsName());
      entry.shape().forEach(node.putArray("shape")::add);
      node.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    return lengthPrefixed(SafetensorsHeader.STRICT_JSON.writeValueAsBytes(root));
  }

  private static ByteBuffer lengthPrefixed(byte[] json) {
    // Pad with spaces so that the data section starts 8-byte aligned.
    int paddedLength = (json.length + 7) / 8 * 8;
    if (paddedLength > SafetensorsHeader.MAX_HEADER_BYTES) {
      throw new IllegalStateException(
          String.format(
              "Cannot write a header of %d bytes: it exceeds the limit of %d",
              paddedLength, SafetensorsHeader.MAX_HEADER_BYTES));
    }
    byte[] padded = Arrays.copyOf(json, paddedLength);
    Arrays.fill(padded, json.length, paddedLength, (byte) ' ');
    ByteBuffer buffer = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX_BYTES + paddedLength);
    buffer.order(ByteOrder.LITTLE_ENDIAN).putLong(paddedLength).put(padded);
    return buffer.flip();
  }

  private void writeData(FileChannel channel) throws IOException {
    long maxElements = tensors.values().stream().mapToLong(Entry::numElements).max().orElse(0);
    float[] values = new float[(int) Math.min(maxElements, CHUNK_ELEMENTS)];
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
    for (Entry entry : tensors.values()) {
      for (long start = 0; start < entry.numElements(); start += values.length) {
        int count = (int) Math.min(values.length, entry.numElements() - start);
        entry.values().fill(start, values, count);
        bytes.clear();
        entry.dtype().encode(values, 0, count, bytes);
        writeFully(channel, bytes.flip());
      }
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  private static void deleteAfterFailure(Path partial, Exception failure) {
    try {
      Files.deleteIfExists(partial);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }
}
