package dev.sparkmoe.core.exchange;

import java.io.Serializable;

/**
 * What one owner partition did for one layer.
 *
 * @param tokens tokens routed
 * @param bytesIn Arrow bytes of the combine batches it received (of the layer before)
 * @param bytesOut Arrow bytes of the dispatch batches it sent
 * @param computeNanos time on attention and routing
 * @param skippedRows rows left out because their tokens were invalid (first layer only)
 */
public record OwnerStats(
    long tokens, long bytesIn, long bytesOut, long computeNanos, long skippedRows)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Both counts added up, as two waves of the same partition and layer. */
  public OwnerStats plus(OwnerStats other) {
    return new OwnerStats(
        tokens + other.tokens,
        bytesIn + other.bytesIn,
        bytesOut + other.bytesOut,
        computeNanos + other.computeNanos,
        skippedRows + other.skippedRows);
  }
}
