package dev.sparkmoe.core.exchange;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The exchange without an engine: every slot's experts in this process, each dispatch batch
 * computed by an {@link ExpertSide} as it is sent, its combine batch returned at once. Batches
 * still travel encoded, so it runs exactly what a distributed exchange runs. Keeps the statistics
 * of each (layer, slot), summed over the owners.
 *
 * <p>Not thread-safe.
 */
public final class InProcessExchange implements Exchange<OwnerDispatch, List<byte[]>> {
  private final ExpertWorker worker;
  private final TokenBatchCodec codec;
  private final ActivationDtype dtype;
  private final int numExperts;
  private final Map<Long, ExpertStats> stats = new TreeMap<>();

  /**
   * @param worker computes every slot's experts
   */
  public InProcessExchange(
      ExpertWorker worker, TokenBatchCodec codec, ActivationDtype dtype, int numExperts) {
    this.worker = worker;
    this.codec = codec;
    this.dtype = dtype;
    this.numExperts = numExperts;
  }

  @Override
  public List<byte[]> exchange(int layer, OwnerDispatch dispatched) {
    List<byte[]> combined = new ArrayList<>(dispatched.numBatches());
    for (int b = 0; b < dispatched.numBatches(); b++) {
      long key = key(layer, dispatched.slots()[b]);
      ExpertSide slot =
          new ExpertSide(
              layer,
              dispatched.slots()[b],
              worker,
              codec,
              dtype,
              List.of(dispatched.batches()[b]).iterator(),
              numExperts,
              /* thresholds= */ null,
              s -> stats.merge(key, s, ExpertStats::plus));
      slot.forEachRemaining(returned -> combined.add(returned.arrowIpc()));
    }
    return combined;
  }

  /** The statistics of every (layer, slot) that computed a batch, by layer and then slot. */
  public Map<Long, ExpertStats> stats() {
    return Collections.unmodifiableMap(stats);
  }

  /** The key of {@link #stats()} for a layer and slot. */
  public static long key(int layer, int slot) {
    return ((long) layer << 32) | slot;
  }
}
