package dev.sparkmoe.spark.source;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Columnar readers only: Spark gets {@link ColumnarBatch}es of Arrow vectors over the mapped file.
 *
 * @param output the columns to return, in order
 * @param rowIndexColumn the row-index column's name, or null
 */
record ArrowTokensReaderFactory(StructType output, String rowIndexColumn)
    implements PartitionReaderFactory {

  @Override
  public PartitionReader<InternalRow> createReader(InputPartition partition) {
    throw new UnsupportedOperationException(
        "Cannot read " + ArrowTokensSource.NAME + " by row: it reads columnar batches only");
  }

  @Override
  public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
    return ArrowBatchReader.open((ArrowTokensPartition) partition, output, rowIndexColumn);
  }

  @Override
  public boolean supportColumnarReads(InputPartition partition) {
    return true;
  }
}
