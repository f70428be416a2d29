package dev.sparkmoe.core.exchange;

/**
 * One owner partition's encoded dispatch of one layer: batch i goes to slot {@code slots[i]}, in
 * ascending slot order; no batch for a slot that receives no token, none at all for a dense layer.
 *
 * @param batches Arrow IPC streams of {@link dev.sparkmoe.core.batch.DispatchBatch}es
 * @param stats what the owner did to produce them
 */
@SuppressWarnings("ArrayRecordComponent") // owned by the exchange that carries them
public record OwnerDispatch(
    int layer, int partition, int[] slots, byte[][] batches, OwnerStats stats) {

  public int numBatches() {
    return slots.length;
  }
}
