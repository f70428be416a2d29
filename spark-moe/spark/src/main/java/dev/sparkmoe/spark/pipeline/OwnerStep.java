package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.pipeline.OwnerState;
import java.io.Serializable;

/**
 * What a token-owner task produces for one layer: the rows' updated state, which stays in the
 * partition, and the dispatch batches for the slots, which go through the shuffle. Persisted
 * between the two uses.
 */
final class OwnerStep implements Serializable {
  private static final long serialVersionUID = 1L;

  private final OwnerState state;
  private final int[] slots;
  private final SlotBatch[] dispatch;

  OwnerStep(OwnerState state, int[] slots, SlotBatch[] dispatch) {
    this.state = state;
    this.slots = slots;
    this.dispatch = dispatch;
  }

  OwnerState state() {
    return state;
  }

  int[] slots() {
    return slots;
  }

  SlotBatch[] dispatch() {
    return dispatch;
  }

  /** The dispatch batches keyed by their slot, as the dispatch shuffle takes them. */
  java.util.Iterator<scala.Tuple2<Integer, SlotBatch>> dispatchPairs() {
    java.util.List<scala.Tuple2<Integer, SlotBatch>> pairs =
        new java.util.ArrayList<>(slots.length);
    for (int i = 0; i < slots.length; i++) {
      pairs.add(new scala.Tuple2<>(slots[i], dispatch[i]));
    }
    return pairs.iterator();
  }
}
