package dev.sparkmoe.spark.source;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.connector.read.InputPartition;

/**
 * Consecutive record batches of one file.
 *
 * @param file the file's path
 * @param streamStart where the file's schema message starts
 * @param firstRow the corpus row index of the first row
 * @param batches the batches, in file order; at least one
 */
record ArrowTokensPartition(String file, long streamStart, long firstRow, List<BatchBlock> batches)
    implements InputPartition {

  /** {@code file}'s batches in groups of at most {@code maxBytes}, at least one batch each. */
  static List<ArrowTokensPartition> split(IpcFile file, long firstRow, long maxBytes) {
    List<ArrowTokensPartition> partitions = new ArrayList<>();
    List<BatchBlock> group = new ArrayList<>();
    long groupBytes = 0;
    long row = firstRow;
    long groupRow = firstRow;
    for (BatchBlock batch : file.batches()) {
      if (!group.isEmpty() && groupBytes + batch.sizeBytes() > maxBytes) {
        partitions.add(of(file, groupRow, group));
        group = new ArrayList<>();
        groupBytes = 0;
        groupRow = row;
      }
      group.add(batch);
      groupBytes += batch.sizeBytes();
      row += batch.rows();
    }
    if (!group.isEmpty()) {
      partitions.add(of(file, groupRow, group));
    }
    return partitions;
  }

  private static ArrowTokensPartition of(IpcFile file, long firstRow, List<BatchBlock> batches) {
    return new ArrowTokensPartition(
        file.path().toString(), file.streamStart(), firstRow, List.copyOf(batches));
  }

  /** The byte range the batches cover. */
  long regionStart() {
    return batches.get(0).offset();
  }

  long regionEnd() {
    return batches.get(batches.size() - 1).end();
  }
}
