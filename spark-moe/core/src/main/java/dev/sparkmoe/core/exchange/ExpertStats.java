package dev.sparkmoe.core.exchange;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What one expert slot did for one layer.
 *
 * @param tokens token-expert pairs computed (after capacity drops)
 * @param bytesIn Arrow bytes of the dispatch batches it received
 * @param bytesOut Arrow bytes of the combine batches it sent
 * @param computeNanos time on expert FFNs
 * @param waitNanos time blocked waiting for the next decoded batch
 * @param loadNanos time blocked waiting for experts to be loaded, decoded and made resident
 * @param tokensPerExpert tokens per layer-local expert id; owned by this value, not copied
 */
@SuppressWarnings("ArrayRecordComponent") // a small report value, built once and not shared
public record ExpertStats(
    long tokens,
    long bytesIn,
    long bytesOut,
    long computeNanos,
    long waitNanos,
    long loadNanos,
    long[] tokensPerExpert)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Both counts added up, as two waves of the same slot and layer. */
  public ExpertStats plus(ExpertStats other) {
    long[] perExpert =
        Arrays.copyOf(
            tokensPerExpert, Math.max(tokensPerExpert.length, other.tokensPerExpert.length));
    for (int e = 0; e < other.tokensPerExpert.length; e++) {
      perExpert[e] += other.tokensPerExpert[e];
    }
    return new ExpertStats(
        tokens + other.tokens,
        bytesIn + other.bytesIn,
        bytesOut + other.bytesOut,
        computeNanos + other.computeNanos,
        waitNanos + other.waitNanos,
        loadNanos + other.loadNanos,
        perExpert);
  }

  /**
   * These counts with {@code nanos} of the compute time counted as load time instead: what the
   * expert source spent making experts resident during the compute.
   */
  public ExpertStats withLoadNanos(long nanos) {
    return new ExpertStats(
        tokens,
        bytesIn,
        bytesOut,
        Math.max(0, computeNanos - nanos),
        waitNanos,
        loadNanos + nanos,
        tokensPerExpert);
  }
}
