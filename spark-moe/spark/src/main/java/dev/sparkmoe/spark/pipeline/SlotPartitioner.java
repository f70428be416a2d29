package dev.sparkmoe.spark.pipeline;

import java.util.Arrays;
import org.apache.spark.Partitioner;

/**
 * One shuffle partition per slot that hosts experts of a layer: slot ids map to partitions by their
 * rank among the layer's slots, so there are no hash collisions and no empty expert tasks.
 */
final class SlotPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int[] slots;

  /** {@code slots}: the layer's slots, ascending. */
  SlotPartitioner(int[] slots) {
    this.slots = slots.clone();
  }

  @Override
  public int numPartitions() {
    return slots.length;
  }

  @Override
  public int getPartition(Object key) {
    int partition = Arrays.binarySearch(slots, (Integer) key);
    if (partition < 0) {
      throw new IllegalStateException(
          "Cannot route to slot " + key + ": not one of " + Arrays.toString(slots));
    }
    return partition;
  }

  int slot(int partition) {
    return slots[partition];
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SlotPartitioner that && Arrays.equals(slots, that.slots);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(slots);
  }
}
