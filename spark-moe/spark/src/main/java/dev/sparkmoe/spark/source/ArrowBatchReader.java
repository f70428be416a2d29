package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.batch.Allocators;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Reads one partition's record batches from a memory-mapped region of its file. Each batch is
 * loaded into the same {@link VectorSchemaRoot} without copying (the vectors' buffers are slices of
 * the mapping), checked ({@link ValueVectorUtility#validateFull}: offsets inside their data, so a
 * damaged file fails with a message rather than reading past its buffers), and returned as a {@link
 * ColumnarBatch} of {@link ArrowColumnVector}s. A batch is valid until the next call to {@link
 * #next}. Not thread-safe, as Spark's readers need not be.
 */
final class ArrowBatchReader implements PartitionReader<ColumnarBatch> {
  private final ArrowTokensPartition partition;
  private final StructType output;
  private final String rowIndexColumn;
  private final Path file;
  private final BufferAllocator allocator;
  private final FileChannel channel;
  private final ArrowBuf mapped;
  private final VectorSchemaRoot root;
  private final VectorLoader loader;
  private BigIntVector rowIndex;
  private ColumnarBatch current;
  private int next;
  private long nextRow;
  private boolean closed;

  private ArrowBatchReader(
      ArrowTokensPartition partition,
      StructType output,
      String rowIndexColumn,
      BufferAllocator allocator,
      FileChannel channel) {
    this.partition = partition;
    this.output = output;
    this.rowIndexColumn = rowIndexColumn;
    this.file = Path.of(partition.file());
    this.allocator = allocator;
    this.channel = channel;
    this.nextRow = partition.firstRow();
    Schema schema = IpcFile.readSchema(channel, partition.streamStart(), size(channel, file), file);
    this.root = VectorSchemaRoot.create(schema, allocator); // allocates nothing until a load
    this.loader = new VectorLoader(root);
    long start = partition.regionStart();
    this.mapped = MappedRegion.map(channel, start, partition.regionEnd() - start, allocator, file);
  }

  /** Opens the partition's file and maps its batches; the reader owns and closes both. */
  static ArrowBatchReader open(
      ArrowTokensPartition partition, StructType output, String rowIndexColumn) {
    BufferAllocator allocator =
        Allocators.root(
            String.format(
                "%s %s rows %d+", ArrowTokensSource.NAME, partition.file(), partition.firstRow()));
    FileChannel channel = null;
    try {
      channel = FileChannel.open(Path.of(partition.file()), StandardOpenOption.READ);
      return new ArrowBatchReader(partition, output, rowIndexColumn, allocator, channel);
    } catch (IOException | RuntimeException e) {
      closeAfterFailure(e, channel, allocator);
      if (e instanceof IOException io) {
        throw IoErrors.cannot("open " + partition.file(), io);
      }
      throw (RuntimeException) e;
    }
  }

  @Override
  public boolean next() {
    if (next == partition.batches().size()) {
      return false;
    }
    BatchBlock block = partition.batches().get(next++);
    load(block);
    current = new ColumnarBatch(columns(block), (int) block.rows());
    nextRow += block.rows();
    return true;
  }

  @Override
  public ColumnarBatch get() {
    return current;
  }

  @Override
  public void close() {
    if (closed) {
      return; // Spark may close a reader both when it is exhausted and when the task ends
    }
    closed = true;
    current = null;
    try {
      AutoCloseables.close(rowIndex, root, mapped, channel, allocator);
    } catch (IOException e) {
      throw IoErrors.cannot("close " + file, e);
    } catch (Exception e) {
      throw new IllegalStateException(
          String.format("Cannot close the reader of %s: %s", file, e.getMessage()), e);
    }
  }

  /** Where the mapping starts in memory (for tests). */
  long mappedAddress() {
    return mapped.memoryAddress();
  }

  /** The mapping's length. */
  long mappedBytes() {
    return mapped.capacity();
  }

  private void load(BatchBlock block) {
    IpcMessage message = IpcMessage.read(channel, block.offset(), block.end(), file);
    long bodyStart = block.offset() + block.metadataBytes() - partition.regionStart();
    ArrowBuf body = mapped.slice(bodyStart, block.bodyBytes());
    body.getReferenceManager().retain(); // deserializeRecordBatch takes one reference of the body
    try (ArrowRecordBatch batch =
        MessageSerializer.deserializeRecordBatch(message.message(), body)) {
      loader.load(batch);
      ValueVectorUtility.validateFull(root);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: damaged record batch at offset %d (%s)", file, block.offset(), e),
          e);
    }
  }

  private ColumnVector[] columns(BatchBlock block) {
    ColumnVector[] columns = new ColumnVector[output.size()];
    for (int i = 0; i < columns.length; i++) {
      String name = output.fields()[i].name();
      columns[i] =
          new ArrowColumnVector(
              name.equals(rowIndexColumn) ? rowIndex((int) block.rows()) : root.getVector(name));
    }
    return columns;
  }

  /** The corpus positions of the current batch's rows. */
  private BigIntVector rowIndex(int rows) {
    if (rowIndex == null) {
      rowIndex = new BigIntVector(rowIndexColumn, allocator);
    }
    rowIndex.allocateNew(rows);
    for (int i = 0; i < rows; i++) {
      rowIndex.set(i, nextRow + i);
    }
    rowIndex.setValueCount(rows);
    return rowIndex;
  }

  private static long size(FileChannel channel, Path file) {
    try {
      return channel.size();
    } catch (IOException e) {
      throw IoErrors.cannot("read the size of " + file, e);
    }
  }

  private static void closeAfterFailure(
      Exception failure, FileChannel channel, BufferAllocator allocator) {
    try {
      AutoCloseables.close(channel, allocator);
    } catch (Exception e) {
      failure.addSuppressed(e);
    }
  }
}
