package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.routing.Routing;

/**
 * Packs the tokens of one owner partition that are routed to one slot into a {@link DispatchBatch}.
 */
final class DispatchPacker {
  private DispatchPacker() {}

  /** Entries in token order, then routing rank; one entry per (token, expert on this slot). */
  static DispatchBatch pack(
      OwnerState state,
      int layer,
      int slot,
      PlacementPlan placement,
      Routing routing,
      float[] x,
      int hidden) {
    int count = 0;
    for (int i = 0; i < routing.experts().length; i++) {
      if (placement.slotOf(layer, routing.experts()[i]) == slot) {
        count++;
      }
    }
    long[] rowKeys = new long[count];
    int[] positions = new int[count];
    int[] experts = new int[count];
    float[] weights = new float[count];
    float[] activations = new float[count * hidden];
    int entry = 0;
    for (int row = 0; row < state.numRows(); row++) {
      for (int t = state.rowOffsets()[row]; t < state.rowOffsets()[row + 1]; t++) {
        for (int rank = 0; rank < routing.topK(); rank++) {
          int expert = routing.expert(t, rank);
          if (placement.slotOf(layer, expert) != slot) {
            continue;
          }
          rowKeys[entry] = state.rowKey(row);
          positions[entry] = t - state.rowOffsets()[row];
          experts[entry] = expert;
          weights[entry] = routing.weight(t, rank);
          System.arraycopy(x, t * hidden, activations, entry * hidden, hidden);
          entry++;
        }
      }
    }
    return new DispatchBatch(
        layer, state.partition(), hidden, rowKeys, positions, experts, weights, activations);
  }
}
