package dev.sparkmoe.core.service;

import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.exchange.OwnerStats;
import dev.sparkmoe.core.pipeline.OwnerState;
import java.util.List;

/**
 * Runs one owner's forward as several micro-batches in flight. (Skeleton: implementation follows.)
 */
public final class MicroBatchForward {
  /** One layer of the owner, summed over its micro-batches. */
  public record LayerTiming(int layer, OwnerStats owner, long computeNanos, long waitNanos) {}

  public MicroBatchForward(OwnerSide side, ServiceExchange exchange, int microBatches) {}

  /** Runs every layer over {@code state}'s residual, in place, and returns each layer's timing. */
  public List<LayerTiming> forward(OwnerState state, int layers) {
    throw new UnsupportedOperationException("not yet");
  }
}
