package dev.sparkmoe.core.service;

/**
 * Names one dispatch batch of the service: the owner partition and its task attempt, the layer, the
 * owner's micro-batch and the slot it goes to. Requests are idempotent by id: a resent request
 * computes the same bits.
 */
record RequestId(int partition, int attempt, int layer, int microBatch, int slot) {
  @Override
  public String toString() {
    return String.format(
        "owner partition %d (attempt %d), layer %d, micro-batch %d, slot %d",
        partition, attempt, layer, microBatch, slot);
  }
}
