package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.batch.DispatchBatch;
import java.util.Arrays;

/**
 * Expert capacity, as capacity-based MoE systems define it: in a layer, expert e computes at most
 * {@code capacity = ceil(C × T × k ÷ E)} of its tokens, for capacity factor C, T tokens in the
 * whole input, top-k k and E experts; its output for the others is zero.
 *
 * <p>Which tokens are dropped depends on nothing but the routing, so results do not depend on
 * partitioning or placement: an expert keeps the tokens whose routing weight is strictly greater
 * than its threshold, the weight of its {@code (capacity + 1)}-th highest-weighted token. It keeps
 * at most {@code capacity} tokens; tokens tied with the threshold are dropped together (identical
 * rows give identical weights, and no order among them would be independent of partitioning).
 * Stateless and thread-safe.
 */
public final class Capacity {
  /** The threshold of an expert that keeps every token. */
  public static final float KEEP_ALL = Float.NEGATIVE_INFINITY;

  private Capacity() {}

  /**
   * {@code ceil(factor × tokens × topK ÷ experts)}.
   *
   * @throws IllegalArgumentException for a factor that is not a positive finite number
   */
  public static long of(double factor, long tokens, int topK, int experts) {
    checkFactor(factor);
    return (long) Math.ceil(factor * tokens * topK / experts);
  }

  /** Fails for a capacity factor that is not a positive finite number. */
  public static double checkFactor(double factor) {
    if (!(factor > 0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid capacity factor: %s (expected: a positive number; unset for dropless)",
              factor));
    }
    return factor;
  }

  /**
   * The entries of {@code batch} whose weight is above their expert's threshold, in their order.
   * Returns the batch itself when it drops nothing.
   */
  public static DispatchBatch keep(DispatchBatch batch, float[] thresholds) {
    int n = batch.numTokens();
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if (batch.weights()[i] > thresholds[batch.experts()[i]]) {
        kept++;
      }
    }
    if (kept == n) {
      return batch;
    }
    int hidden = batch.hidden();
    long[] rowKeys = new long[kept];
    int[] positions = new int[kept];
    int[] experts = new int[kept];
    float[] weights = new float[kept];
    float[] activations = new float[kept * hidden];
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (batch.weights()[i] > thresholds[batch.experts()[i]]) {
        rowKeys[out] = batch.rowKeys()[i];
        positions[out] = batch.positions()[i];
        experts[out] = batch.experts()[i];
        weights[out] = batch.weights()[i];
        System.arraycopy(batch.activations(), i * hidden, activations, out * hidden, hidden);
        out++;
      }
    }
    return new DispatchBatch(
        batch.layer(),
        batch.sourcePartition(),
        hidden,
        rowKeys,
        positions,
        experts,
        weights,
        activations);
  }

  /**
   * The routing weights of one layer, per expert, as far as capacity needs them: every expert's
   * token count and its {@code capacity + 1} highest weights. Immutable; {@link #plus} merges the
   * weights of two parts of the input (partitions), so it aggregates in any order.
   */
  public static final class TopWeights implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final long capacity;
    private final long[] counts;
    private final float[][] top;

    private TopWeights(long capacity, long[] counts, float[][] top) {
      this.capacity = capacity;
      this.counts = counts;
      this.top = top;
    }

    /** The weights of one part of the input: {@code weights[e]} those of expert e's tokens. */
    public static TopWeights of(long capacity, float[][] weights) {
      long[] counts = new long[weights.length];
      float[][] top = new float[weights.length][];
      for (int e = 0; e < weights.length; e++) {
        counts[e] = weights[e].length;
        top[e] = highest(weights[e], capacity + 1);
      }
      return new TopWeights(capacity, counts, top);
    }

    /** Both parts' counts and highest weights. */
    public TopWeights plus(TopWeights other) {
      long[] counts = this.counts.clone();
      float[][] top = new float[counts.length][];
      for (int e = 0; e < counts.length; e++) {
        counts[e] += other.counts[e];
        float[] both = Arrays.copyOf(this.top[e], this.top[e].length + other.top[e].length);
        System.arraycopy(other.top[e], 0, both, this.top[e].length, other.top[e].length);
        top[e] = highest(both, capacity + 1);
      }
      return new TopWeights(capacity, counts, top);
    }

    /** Per expert, the weight a token must exceed to be kept ({@link #KEEP_ALL} under capacity). */
    public float[] thresholds() {
      float[] out = new float[counts.length];
      for (int e = 0; e < out.length; e++) {
        out[e] = counts[e] > capacity ? top[e][(int) capacity] : KEEP_ALL;
      }
      return out;
    }

    /** Per expert, the tokens its threshold drops. */
    public long[] dropped() {
      float[] thresholds = thresholds();
      long[] out = new long[counts.length];
      for (int e = 0; e < out.length; e++) {
        long kept = 0;
        for (float w : top[e]) {
          if (w > thresholds[e]) {
            kept++;
          }
        }
        out[e] = counts[e] > capacity ? counts[e] - kept : 0;
      }
      return out;
    }

    /** Tokens routed to each expert. */
    public long[] counts() {
      return counts.clone();
    }

    private static float[] highest(float[] weights, long limit) {
      float[] sorted = weights.clone();
      Arrays.sort(sorted);
      int keep = (int) Math.min(limit, sorted.length);
      float[] out = new float[keep];
      for (int i = 0; i < keep; i++) {
        out[i] = sorted[sorted.length - 1 - i];
      }
      return out;
    }
  }
}
