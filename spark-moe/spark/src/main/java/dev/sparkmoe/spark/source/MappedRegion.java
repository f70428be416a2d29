package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * A read-only memory mapping of part of a file, as an {@link ArrowBuf}: vectors loaded from it
 * point into the page cache, with no copy. The allocator accounts for the mapped size until the
 * last buffer over it is released; the mapping itself goes when the garbage collector collects it,
 * as with any {@link MappedByteBuffer}.
 *
 * <p>Nothing may write through these buffers (the pages are read-only): Arrow's loaders and Spark's
 * {@code ArrowColumnVector} only read.
 */
final class MappedRegion extends ForeignAllocation {
  /** Keeps the mapping alive while Arrow buffers point into it. */
  @SuppressWarnings({"unused", "FieldCanBeLocal"})
  private final MappedByteBuffer mapping;

  private MappedRegion(MappedByteBuffer mapping) {
    super(mapping.capacity(), MemoryUtil.getByteBufferAddress(mapping));
    this.mapping = mapping;
  }

  /** Maps {@code length} bytes of {@code channel} from {@code start}, owned by the caller. */
  static ArrowBuf map(
      FileChannel channel, long start, long length, BufferAllocator allocator, Path file) {
    if (length > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot map %s: %d bytes of record batches in one partition (expected: at most %d;"
                  + " lower max-partition-bytes, or write smaller record batches)",
              file, length, Integer.MAX_VALUE));
    }
    try {
      MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
      return allocator.wrapForeignAllocation(new MappedRegion(mapping));
    } catch (IOException e) {
      throw IoErrors.cannot("map " + file, e);
    }
  }

  @Override
  protected void release0() {
    // Unmapping is left to the garbage collector: no buffer refers to the pages any more.
  }
}
