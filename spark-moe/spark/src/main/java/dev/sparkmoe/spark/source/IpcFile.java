package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An Arrow IPC file indexed from its message headers only: the schema and where each record batch
 * lies. Reads the stream format (Hugging Face {@code datasets} shards) and the file format (Feather
 * v2), whose stream starts after the 8-byte magic and ends where the footer begins.
 *
 * @param path the file
 * @param streamStart where the schema message starts
 * @param schema the schema
 * @param batches the record batches, in file order
 */
record IpcFile(Path path, long streamStart, Schema schema, List<BatchBlock> batches) {
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  /** Magic, padding to 8 bytes. */
  private static final int FILE_HEADER_BYTES = 8;

  /** Footer length (int32) and magic at the end of a file-format file. */
  private static final int FILE_TRAILER_BYTES = 4 + 6;

  /** Reads the schema only. */
  static Schema readSchema(Path path) {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long start = streamStart(channel, path);
      return readSchema(channel, start, channel.size(), path);
    } catch (IOException e) {
      throw IoErrors.cannot("read " + path, e);
    }
  }

  /** Reads the schema and the batches' places. */
  static IpcFile index(Path path) {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      long start = streamStart(channel, path);
      long limit = start > 0 ? footerStart(channel, size, path) : size;
      IpcMessage first = IpcMessage.read(channel, start, limit, path);
      Schema schema = schemaOf(first, path);
      List<BatchBlock> batches = new ArrayList<>();
      for (IpcMessage m = IpcMessage.read(channel, first.end(), limit, path);
          m != null;
          m = IpcMessage.read(channel, m.end(), limit, path)) {
        batches.add(block(m, batches.size(), path));
      }
      return new IpcFile(path, start, schema, List.copyOf(batches));
    } catch (IOException e) {
      throw IoErrors.cannot("read " + path, e);
    }
  }

  /** 8 for the file format (after the magic), 0 for the stream format. */
  static long streamStart(FileChannel channel, Path path) throws IOException {
    return hasMagic(channel, 0, channel.size(), path) ? FILE_HEADER_BYTES : 0;
  }

  /** The schema message at {@code start}, checked for what this reader supports. */
  static Schema readSchema(FileChannel channel, long start, long limit, Path path) {
    return schemaOf(IpcMessage.read(channel, start, limit, path), path);
  }

  private static Schema schemaOf(IpcMessage first, Path path) {
    if (first == null || first.message().headerType() != MessageHeader.Schema) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: the Arrow IPC stream does not start with a schema (expected: an"
                  + " Arrow IPC stream or file)",
              path));
    }
    Schema schema;
    try {
      schema = MessageSerializer.deserializeSchema(first.message());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          String.format("Cannot read the schema of %s: %s", path, e.getMessage()), e);
    }
    for (Field field : schema.getFields()) {
      if (field.getDictionary() != null) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot read column %s of %s: dictionary-encoded columns are not supported",
                field.getName(), path));
      }
    }
    return schema;
  }

  /** Total rows. */
  long rows() {
    return batches.stream().mapToLong(BatchBlock::rows).sum();
  }

  private static BatchBlock block(IpcMessage message, int index, Path path) {
    if (message.message().headerType() != MessageHeader.RecordBatch) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: the message at offset %d is a %s (expected: record batches only;"
                  + " dictionary batches are not supported)",
              path, message.offset(), MessageHeader.name(message.message().headerType())));
    }
    RecordBatch batch = (RecordBatch) message.message().header(new RecordBatch());
    BodyCompression compression = batch.compression();
    if (compression != null) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: record batch %d is compressed with %s (expected: uncompressed"
                  + " Arrow IPC; write it with compression=None)",
              path, index, CompressionType.name(compression.codec())));
    }
    if (batch.length() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: record batch %d has %d rows (expected: at most %d)",
              path, index, batch.length(), Integer.MAX_VALUE));
    }
    return new BatchBlock(
        message.offset(), message.metadataBytes(), message.bodyBytes(), batch.length());
  }

  private static boolean hasMagic(FileChannel channel, long offset, long size, Path path) {
    if (offset < 0 || offset + MAGIC.length > size) {
      return false;
    }
    ByteBuffer bytes = IpcMessage.readFully(channel, offset, MAGIC.length, path);
    return bytes.equals(ByteBuffer.wrap(MAGIC));
  }

  private static long footerStart(FileChannel channel, long size, Path path) {
    long trailer = size - FILE_TRAILER_BYTES;
    if (trailer < FILE_HEADER_BYTES || !hasMagic(channel, size - MAGIC.length, size, path)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: truncated Arrow IPC file (expected: the magic ARROW1 at both ends)",
              path));
    }
    int footerLength = IpcMessage.readFully(channel, trailer, 4, path).getInt(0);
    long start = trailer - footerLength;
    if (footerLength < 0 || start < FILE_HEADER_BYTES) {
      throw new IllegalArgumentException(
          String.format("Cannot read %s: invalid Arrow IPC footer length %d", path, footerLength));
    }
    return start;
  }
}
