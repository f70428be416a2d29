package dev.sparkmoe.core.batch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/**
 * Encodes token batches as Arrow IPC streams, the bytes that cross Spark's shuffle, and decodes
 * them back.
 *
 * <p>A stream holds one schema and exactly one record batch, one row per batch entry, every column
 * non-nullable. A dispatch batch ({@link DispatchBatch}) has the columns
 *
 * <pre>
 * row_key  int64
 * position int32
 * expert   int32
 * weight   float32
 * hidden   fixed_size_list&lt;hidden&gt;[dtype]
 * </pre>
 *
 * and a combine batch ({@link CombineBatch}) the columns
 *
 * <pre>
 * row_key  int64
 * position int32
 * expert   int32
 * output   fixed_size_list&lt;hidden&gt;[dtype]
 * </pre>
 *
 * <p>Rows are the batch's entries in order. The list's element field is named {@code element}; its
 * type follows the activation dtype: float32 for {@code f32}; for {@code f16} and {@code bf16},
 * int16 holding the raw 16-bit pattern, since Arrow Java 12 has no usable half-float vector. The
 * list field carries the metadata {@code spark.moe.dtype} ({@code f32}, {@code f16} or {@code
 * bf16}) so that a reader can tell the two halves apart. Values are converted from fp32 with round
 * to nearest even; decoding back to fp32 is exact.
 *
 * <p>The schema-level metadata is {@code spark.moe.kind} ({@code dispatch} or {@code combine}),
 * {@code spark.moe.layer}, {@code spark.moe.source-partition}, {@code spark.moe.hidden} (decimal
 * integers) and {@code spark.moe.dtype}. Decoding reads the dtype and the header from there and
 * rejects a stream whose columns do not match them.
 *
 * <p>Memory: each call allocates from its own child of the allocator given to the constructor,
 * named after the call (for example {@code dispatch-encode-layer-3}), and closes it before
 * returning, so a leak fails the call. The results are plain Java arrays that own no Arrow memory.
 * The codec is thread-safe; the caller owns the parent allocator and must keep it open while the
 * codec is in use.
 */
public final class TokenBatchCodec {
  // A byte[] cannot be longer; ByteArrayOutputStream stops a few bytes short of Integer.MAX_VALUE.
  private static final long MAX_STREAM_BYTES = Integer.MAX_VALUE - 8;
  // Schema, metadata and message framing: a few hundred bytes.
  private static final int FRAMING_BYTES = 2048;

  private final BufferAllocator allocator;

  /**
   * @param allocator the parent of the allocators each call uses; the caller keeps ownership
   */
  public TokenBatchCodec(BufferAllocator allocator) {
    this.allocator = Objects.requireNonNull(allocator, "Invalid allocator: null");
  }

  /**
   * The Arrow IPC stream of {@code batch}, activations in {@code dtype}.
   *
   * @throws IllegalArgumentException if the stream would not fit a byte array (2 GiB)
   */
  public byte[] encode(DispatchBatch batch, ActivationDtype dtype) {
    Objects.requireNonNull(batch, "Invalid dispatch batch: null");
    BatchHeader header =
        new BatchHeader(
            BatchKind.DISPATCH, batch.layer(), batch.sourcePartition(), batch.hidden(), dtype);
    return write(header, batch.numTokens(), root -> BatchColumns.fill(root, batch, dtype));
  }

  /**
   * The Arrow IPC stream of {@code batch}, outputs in {@code dtype}.
   *
   * @throws IllegalArgumentException if the stream would not fit a byte array (2 GiB)
   */
  public byte[] encode(CombineBatch batch, ActivationDtype dtype) {
    Objects.requireNonNull(batch, "Invalid combine batch: null");
    BatchHeader header =
        new BatchHeader(
            BatchKind.COMBINE, batch.layer(), batch.sourcePartition(), batch.hidden(), dtype);
    return write(header, batch.numTokens(), root -> BatchColumns.fill(root, batch, dtype));
  }

  /**
   * The dispatch batch {@code bytes} encode, with fp32 activations.
   *
   * @throws IllegalArgumentException if {@code bytes} are not a dispatch stream as documented
   *     above, for example a combine stream
   */
  public DispatchBatch decodeDispatch(byte[] bytes) {
    return read(bytes, BatchKind.DISPATCH, BatchColumns::toDispatch, "");
  }

  /**
   * As {@link #decodeDispatch(byte[])}; a failure names {@code origin}, where the bytes come from.
   *
   * @param origin for error messages: {@code "of layer 2 for slot 5"}
   */
  public DispatchBatch decodeDispatch(byte[] bytes, String origin) {
    return read(bytes, BatchKind.DISPATCH, BatchColumns::toDispatch, " " + origin);
  }

  /**
   * The combine batch {@code bytes} encode, with fp32 outputs.
   *
   * @throws IllegalArgumentException if {@code bytes} are not a combine stream as documented above,
   *     for example a dispatch stream
   */
  public CombineBatch decodeCombine(byte[] bytes) {
    return read(bytes, BatchKind.COMBINE, BatchColumns::toCombine, "");
  }

  /**
   * As {@link #decodeCombine(byte[])}; a failure names {@code origin}, where the bytes come from.
   *
   * @param origin for error messages: {@code "of layer 2 for partition 7"}
   */
  public CombineBatch decodeCombine(byte[] bytes, String origin) {
    return read(bytes, BatchKind.COMBINE, BatchColumns::toCombine, " " + origin);
  }

  private byte[] write(BatchHeader header, int numTokens, Consumer<VectorSchemaRoot> fill) {
    int sizeHint = checkedStreamSize(header, numTokens);
    String name = header.kind().metadataName() + "-encode-layer-" + header.layer();
    try (BufferAllocator child = allocator.newChildAllocator(name, 0, Long.MAX_VALUE);
        VectorSchemaRoot root = VectorSchemaRoot.create(TokenBatchSchema.schema(header), child)) {
      fill.accept(root);
      ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
      try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        writer.start();
        writer.writeBatch();
        writer.end();
      } catch (IOException e) {
        throw new UncheckedIOException(
            String.format(
                "Cannot encode %s batch of layer %d: %s",
                header.kind().metadataName(), header.layer(), e.getMessage()),
            e);
      }
      return out.toByteArray();
    }
  }

  private <T> T read(
      byte[] bytes,
      BatchKind kind,
      BiFunction<BatchHeader, VectorSchemaRoot, T> extract,
      String origin) {
    String name = kind.metadataName();
    String batchName = name + " batch" + origin;
    Objects.requireNonNull(bytes, () -> "Invalid " + name + " stream" + origin + ": null");
    try (BufferAllocator child = allocator.newChildAllocator(name + "-decode", 0, Long.MAX_VALUE);
        ArrowStreamReader reader =
            new ArrowStreamReader(new ByteArrayReadableSeekableByteChannel(bytes), child)) {
      VectorSchemaRoot root = readSchema(reader, batchName);
      BatchHeader header = TokenBatchSchema.read(root.getSchema(), kind);
      checkBatchCount(loadNextBatch(reader, batchName), name + origin, "no record batch");
      T batch = extract.apply(header, root);
      checkBatchCount(
          !loadNextBatch(reader, batchName), name + origin, "more than one record batch");
      return batch;
    } catch (IOException e) {
      throw cannotDecode(batchName, e);
    }
  }

  // Arrow reports malformed input with assorted runtime exceptions; for bytes in memory, so does
  // an IOException.
  private static VectorSchemaRoot readSchema(ArrowStreamReader reader, String batchName) {
    try {
      return reader.getVectorSchemaRoot();
    } catch (IOException | RuntimeException e) {
      throw cannotDecode(batchName, e);
    }
  }

  private static boolean loadNextBatch(ArrowStreamReader reader, String batchName) {
    try {
      return reader.loadNextBatch();
    } catch (IOException | RuntimeException e) {
      throw cannotDecode(batchName, e);
    }
  }

  private static IllegalArgumentException cannotDecode(String batchName, Exception cause) {
    String reason =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new IllegalArgumentException(
        String.format("Cannot decode %s: %s", batchName, reason), cause);
  }

  private static void checkBatchCount(boolean expected, String kind, String found) {
    if (!expected) {
      throw new IllegalArgumentException(
          String.format("Invalid %s stream: %s (expected: exactly one)", kind, found));
    }
  }

  /** The stream size, a little over, as an initial buffer size. */
  private static int checkedStreamSize(BatchHeader header, int numTokens) {
    long perToken =
        Long.BYTES + 3L * Integer.BYTES + (long) header.hidden() * header.dtype().sizeBytes();
    long sizeBytes = numTokens * perToken + FRAMING_BYTES;
    if (sizeBytes > MAX_STREAM_BYTES) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot encode %s batch of %d tokens x hidden %d in %s: about %d bytes (expected: <="
                  + " %d, a byte array; split the batch)",
              header.kind().metadataName(),
              numTokens,
              header.hidden(),
              header.dtype().cliName(),
              sizeBytes,
              MAX_STREAM_BYTES));
    }
    return (int) sizeBytes;
  }
}
