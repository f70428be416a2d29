package dev.sparkmoe.spark.pipeline;

import org.apache.spark.Partitioner;

/**
 * Routes combine batches back to their token-owner partition: the key is the partition index
 * itself.
 */
final class OwnerPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int partitions;

  OwnerPartitioner(int partitions) {
    this.partitions = partitions;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    return (Integer) key;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof OwnerPartitioner that && partitions == that.partitions;
  }

  @Override
  public int hashCode() {
    return partitions;
  }
}
