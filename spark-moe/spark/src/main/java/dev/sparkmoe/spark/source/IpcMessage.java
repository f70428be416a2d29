package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.apache.arrow.flatbuf.Message;

/**
 * One encapsulated Arrow IPC message at a known offset of a file: the continuation marker ({@code
 * 0xFFFFFFFF}), the metadata length, the flatbuffer {@link Message} (padded to 8 bytes), then the
 * body. Every length is checked against the file before anything is read or allocated, so a damaged
 * file gives a message, never a huge allocation.
 *
 * @param offset where the message starts
 * @param metadataBytes the prefix and the metadata, padding included: the body starts at {@code
 *     offset + metadataBytes}
 * @param message the metadata
 */
record IpcMessage(long offset, int metadataBytes, Message message) {
  private static final int CONTINUATION = 0xFFFFFFFF;
  private static final int PREFIX_BYTES = 8;

  /** The body's length in bytes. */
  long bodyBytes() {
    return message.bodyLength();
  }

  /** Where the next message starts. */
  long end() {
    return offset + metadataBytes + bodyBytes();
  }

  /**
   * The message at {@code offset}, or null at the end of the stream: an end-of-stream marker, or
   * {@code limit} (the end of the file, or where a file-format footer begins).
   */
  static IpcMessage read(FileChannel channel, long offset, long limit, Path file) {
    if (offset + 4 > limit) {
      return null;
    }
    ByteBuffer prefix =
        readFully(channel, offset, (int) Math.min(PREFIX_BYTES, limit - offset), file);
    if (prefix.getInt(0) != CONTINUATION) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: not an Arrow IPC stream at offset %d (expected: the continuation"
                  + " marker 0xFFFFFFFF; Arrow files from before 0.15 are not supported)",
              file, offset));
    }
    if (prefix.limit() < PREFIX_BYTES || prefix.getInt(4) == 0) {
      return null;
    }
    int length = prefix.getInt(4);
    if (length < 0 || offset + PREFIX_BYTES + length > limit) {
      throw truncated(file, offset, "metadata of " + Integer.toUnsignedString(length) + " bytes");
    }
    Message message = parse(readFully(channel, offset + PREFIX_BYTES, length, file), file, offset);
    IpcMessage read = new IpcMessage(offset, PREFIX_BYTES + length, message);
    if (read.bodyBytes() < 0 || read.end() > limit) {
      throw truncated(file, offset, "a body of " + read.bodyBytes() + " bytes");
    }
    return read;
  }

  private static Message parse(ByteBuffer metadata, Path file, long offset) {
    try {
      Message message = Message.getRootAsMessage(metadata);
      message.bodyLength(); // touches the table, so a damaged one fails here
      return message;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: damaged Arrow IPC message metadata at offset %d (%s)",
              file, offset, e),
          e);
    }
  }

  private static IllegalArgumentException truncated(Path file, long offset, String what) {
    return new IllegalArgumentException(
        String.format(
            "Cannot read %s: truncated Arrow IPC message at offset %d (%s runs past the end of"
                + " the stream)",
            file, offset, what));
  }

  /** Reads {@code length} bytes at {@code offset} of {@code file}, open as {@code channel}. */
  static ByteBuffer readFully(FileChannel channel, long offset, int length, Path file) {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (buffer.hasRemaining()) {
        if (channel.read(buffer, offset + buffer.position()) < 0) {
          throw new IllegalArgumentException(
              String.format(
                  "Cannot read %d bytes at offset %d of %s: unexpected end of file after %d"
                      + " (the file is truncated; write it again)",
                  length, offset, file, buffer.position()));
        }
      }
    } catch (IOException e) {
      throw IoErrors.cannot(
          String.format("read %d bytes at offset %d of %s", length, offset, file), e);
    }
    return buffer.flip();
  }
}
