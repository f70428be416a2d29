package dev.sparkmoe.spark.source;

import java.io.Serializable;

/**
 * Where one record batch lies in its file.
 *
 * @param offset where its message starts
 * @param metadataBytes the message's prefix and metadata; the body follows
 * @param bodyBytes the body's length
 * @param rows the batch's rows
 */
record BatchBlock(long offset, int metadataBytes, long bodyBytes, long rows)
    implements Serializable {
  /** Where the batch ends. */
  long end() {
    return offset + metadataBytes + bodyBytes;
  }

  long sizeBytes() {
    return metadataBytes + bodyBytes;
  }
}
