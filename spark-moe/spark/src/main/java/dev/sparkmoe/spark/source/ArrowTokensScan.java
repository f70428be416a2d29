package dev.sparkmoe.spark.source;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.types.StructType;

/**
 * A batch scan of a corpus: indexes every file when Spark plans the partitions, then cuts each
 * file's record batches into partitions of at most {@code max-partition-bytes} (a batch larger than
 * that is a partition of its own). Partitions never span files.
 */
final class ArrowTokensScan implements Scan, Batch {
  private final StructType readSchema;
  private final ArrowTokensOptions options;
  private InputPartition[] partitions;

  ArrowTokensScan(StructType readSchema, ArrowTokensOptions options) {
    this.readSchema = readSchema;
    this.options = options;
  }

  @Override
  public StructType readSchema() {
    return readSchema;
  }

  @Override
  public String description() {
    return ArrowTokensSource.NAME + " " + options.path();
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public synchronized InputPartition[] planInputPartitions() {
    if (partitions == null) {
      List<InputPartition> planned = new ArrayList<>();
      long firstRow = 0;
      for (IpcFile file : TokenCorpus.open(options).index()) {
        planned.addAll(ArrowTokensPartition.split(file, firstRow, options.maxPartitionBytes()));
        firstRow += file.rows();
      }
      partitions = planned.toArray(InputPartition[]::new);
    }
    return partitions.clone();
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    return new ArrowTokensReaderFactory(readSchema, options.rowIndexColumn());
  }
}
