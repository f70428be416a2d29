package dev.sparkmoe.core.safetensors;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.IoErrors;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One safetensors file, its header validated on {@link #open}: the header length, the JSON, every
 * tensor entry, and that the tensors cover the data section exactly, without holes or overlaps.
 *
 * <p>Reads touch only the bytes of the tensor, or the part of it, they ask for. The file is mapped
 * range by range, never as a whole.
 *
 * <p>Thread-safe: after {@link #open} returns, any number of threads may read concurrently. {@link
 * #close} must not race with reads; buffers from {@link #bytes} stay valid after it.
 */
public final class SafetensorsFile implements Closeable {
  private static final long MAX_MAP_BYTES = 1L << 30;

  private final Path path;
  private final FileChannel channel;
  private final SafetensorsHeader header;
  private final Map<String, TensorInfo> tensorsByName;

  private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
    this.path = path;
    this.channel = channel;
    this.header = header;
    this.tensorsByName = new LinkedHashMap<>();
    header.tensors().forEach(tensor -> tensorsByName.put(tensor.name(), tensor));
  }

  /**
   * Opens {@code file} and validates its header, reading the header's bytes only.
   *
   * @throws InvalidModelException if the file does not exist or is not a valid safetensors file
   *     with tensors of a supported {@link DType}
   * @throws UncheckedIOException if reading fails
   */
  public static SafetensorsFile open(Path file) {
    Objects.requireNonNull(file, "file");
    FileChannel channel = openChannel(file);
    try {
      return new SafetensorsFile(file, channel, SafetensorsHeader.read(channel, file));
    } catch (IOException e) {
      closeAfterFailure(channel, e);
      throw IoErrors.cannot("read " + file, e);
    } catch (RuntimeException e) {
      closeAfterFailure(channel, e);
      throw e;
    }
  }

  /** The file, as given to {@link #open}. */
  public Path path() {
    return path;
  }

  /** The {@code __metadata__} entries in header order; empty when the header has none. */
  public Map<String, String> metadata() {
    return header.metadata();
  }

  /** The tensors in the order of their data in the file. */
  public List<TensorInfo> tensors() {
    return header.tensors();
  }

  /** The tensor named {@code name}, if the file has one. */
  public Optional<TensorInfo> find(String name) {
    return Optional.ofNullable(tensorsByName.get(name));
  }

  /**
   * The tensor named {@code name}.
   *
   * @throws InvalidModelException if the file has no such tensor
   */
  public TensorInfo tensor(String name) {
    TensorInfo tensor = tensorsByName.get(name);
    if (tensor == null) {
      throw new InvalidModelException(
          "Cannot find tensor " + name + " in " + path + ": its header does not list it");
    }
    return tensor;
  }

  /**
   * A read-only, little-endian buffer over exactly the bytes of tensor {@code name}, mapped from
   * the file; its capacity is {@link TensorInfo#sizeBytes()}.
   *
   * @throws InvalidModelException if there is no such tensor, or it is larger than 2 GiB, the limit
   *     of one buffer (read it in slices with {@link #readFloats(String, long, float[], int, int)})
   */
  public ByteBuffer bytes(String name) {
    TensorInfo tensor = tensor(name);
    if (tensor.sizeBytes() > Integer.MAX_VALUE) {
      throw new InvalidModelException(
          String.format(
              "Cannot map tensor %s in %s: its %d bytes exceed the %d-byte limit of one buffer;"
                  + " read it in slices instead",
              name, path, tensor.sizeBytes(), Integer.MAX_VALUE));
    }
    return map(tensor.beginOffset(), tensor.sizeBytes());
  }

  /**
   * All elements of tensor {@code name}, converted to float, in row-major order.
   *
   * @throws InvalidModelException if there is no such tensor or it has more elements than a Java
   *     array holds
   */
  public float[] readFloats(String name) {
    TensorInfo tensor = tensor(name);
    if (tensor.numElements() > Integer.MAX_VALUE - 8) {
      throw new InvalidModelException(
          String.format(
              "Cannot read tensor %s in %s: its %d elements exceed the capacity of one array;"
                  + " read it in slices instead",
              name, path, tensor.numElements()));
    }
    float[] values = new float[(int) tensor.numElements()];
    readFloats(name, 0, values, 0, values.length);
    return values;
  }

  /**
   * Reads elements {@code [startElement, startElement + count)} of tensor {@code name}, in
   * row-major order and converted to float, into {@code dst[dstOffset, dstOffset + count)}.
   *
   * @throws InvalidModelException if there is no such tensor
   * @throws IndexOutOfBoundsException if the element range is not within the tensor or the
   *     destination range not within {@code dst}
   */
  public void readFloats(String name, long startElement, float[] dst, int dstOffset, int count) {
    TensorInfo tensor = tensor(name);
    checkSlice(tensor, startElement, count);
    checkDestination(dst, dstOffset, count);
    int elementBytes = tensor.dtype().sizeBytes();
    int elementsPerMap = (int) (MAX_MAP_BYTES / elementBytes);
    long position = tensor.beginOffset() + startElement * elementBytes;
    for (int done = 0; done < count; done += elementsPerMap) {
      int n = Math.min(elementsPerMap, count - done);
      ByteBuffer bytes = map(position + (long) done * elementBytes, (long) n * elementBytes);
      tensor.dtype().decode(bytes, dst, dstOffset + done, n);
    }
  }

  /** Closes the file. Buffers returned by {@link #bytes} stay readable. */
  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw IoErrors.cannot("close " + path, e);
    }
  }

  private void checkSlice(TensorInfo tensor, long startElement, int count) {
    long numElements = tensor.numElements();
    if (startElement < 0 || count < 0 || startElement > numElements - count) {
      throw new IndexOutOfBoundsException(
          String.format(
              "Cannot read elements [%d, %d) of tensor %s in %s: out of bounds (expected: within"
                  + " [0, %d))",
              startElement, startElement + count, tensor.name(), path, numElements));
    }
  }

  private static void checkDestination(float[] dst, int dstOffset, int count) {
    if (dstOffset < 0 || dstOffset > dst.length - count) {
      throw new IndexOutOfBoundsException(
          String.format(
              "Invalid destination range [%d, %d) (expected: within [0, %d))",
              dstOffset, (long) dstOffset + count, dst.length));
    }
  }

  private ByteBuffer map(long dataOffset, long sizeBytes) {
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, header.dataStart() + dataOffset, sizeBytes)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw IoErrors.cannot("map " + sizeBytes + " bytes of " + path, e);
    }
  }

  private static FileChannel openChannel(Path file) {
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      // A directory fails on the first read; a FIFO or a device would block or never end.
      throw new InvalidModelException(
          "Cannot open " + file + ": not a regular file (expected: a safetensors file)");
    }
    try {
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new InvalidModelException("Cannot open " + file + ": file does not exist", e);
    } catch (IOException e) {
      throw IoErrors.cannot("open " + file, e);
    }
  }

  private static void closeAfterFailure(FileChannel channel, Exception failure) {
    try {
      channel.close();
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }
}
