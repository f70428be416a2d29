package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.OwnerDispatch;
import dev.sparkmoe.core.pipeline.OwnerState;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import scala.Tuple2;

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

  /** The state and the core's encoded dispatch of one layer, as shuffle records. */
  static OwnerStep of(OwnerState state, OwnerDispatch dispatch) {
    SlotBatch[] batches = new SlotBatch[dispatch.numBatches()];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = new SlotBatch(dispatch.layer(), dispatch.partition(), dispatch.batches()[i]);
    }
    return new OwnerStep(state, dispatch.slots(), batches);
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
  Iterator<Tuple2<Integer, SlotBatch>> dispatchPairs() {
    List<Tuple2<Integer, SlotBatch>> pairs = new ArrayList<>(slots.length);
    for (int i = 0; i < slots.length; i++) {
      pairs.add(new Tuple2<>(slots[i], dispatch[i]));
    }
    return pairs.iterator();
  }
}
