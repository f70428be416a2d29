package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.routing.Routing;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Tokens routed to every (layer, expert): the measured load that placement follows. Gathered on a
 * sample of the input before a job ({@link RoutingSampler}), and mergeable ({@link #plus}) so that
 * the counts of later waves can be added to it. Immutable and thread-safe: every refinement returns
 * a new instance.
 */
public final class RoutingStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long rows;
  private final long tokens;
  private final long[][] counts;

  private RoutingStats(long rows, long tokens, long[][] counts) {
    this.rows = rows;
    this.tokens = tokens;
    this.counts = counts;
  }

  /** No tokens seen yet. */
  public static RoutingStats empty(int layers, int experts) {
    if (layers < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid layers: %d (expected: at least 0)", layers));
    }
    if (experts < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid experts: %d (expected: at least 1)", experts));
    }
    return new RoutingStats(0, 0, new long[layers][experts]);
  }

  /** These counts plus one layer's routing decisions (every (token, rank) counts once). */
  public RoutingStats withRouting(int layer, Routing routing) {
    long[][] copy = copy();
    for (int expert : routing.experts()) {
      copy[layer][expert]++;
    }
    return new RoutingStats(rows, tokens, copy);
  }

  /**
   * These counts plus {@code counts[e]} (token, rank) pairs routed to expert e of {@code layer}:
   * what the expert tasks of a wave measured.
   */
  public RoutingStats withLoad(int layer, long[] counts) {
    if (counts.length != numExperts()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid load of layer %d: %d experts (expected: %d)",
              layer, counts.length, numExperts()));
    }
    long[][] copy = copy();
    for (int expert = 0; expert < counts.length; expert++) {
      copy[layer][expert] += counts[expert];
    }
    return new RoutingStats(rows, tokens, copy);
  }

  /** These counts with {@code rows} rows of {@code tokens} tokens more counted as seen. */
  public RoutingStats withInput(long moreRows, long moreTokens) {
    return new RoutingStats(rows + moreRows, tokens + moreTokens, copy());
  }

  /**
   * The sum of two sets of counts over the same model shape (a sample and a wave, two waves).
   *
   * @throws IllegalArgumentException when the shapes differ
   */
  public RoutingStats plus(RoutingStats other) {
    if (other.numLayers() != numLayers() || other.numExperts() != numExperts()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot merge routing statistics: shape %d x %d (expected: %d layers x %d experts)",
              other.numLayers(), other.numExperts(), numLayers(), numExperts()));
    }
    long[][] sum = copy();
    for (int layer = 0; layer < sum.length; layer++) {
      for (int expert = 0; expert < sum[layer].length; expert++) {
        sum[layer][expert] += other.counts[layer][expert];
      }
    }
    return new RoutingStats(rows + other.rows, tokens + other.tokens, sum);
  }

  /** Rows counted. */
  public long rows() {
    return rows;
  }

  /** Tokens counted (each routes to top-k experts in every MoE layer). */
  public long tokens() {
    return tokens;
  }

  public int numLayers() {
    return counts.length;
  }

  public int numExperts() {
    return counts.length == 0 ? 0 : counts[0].length;
  }

  /** Tokens routed to each expert of {@code layer} (a copy). */
  public long[] load(int layer) {
    return counts[layer].clone();
  }

  /** Every layer's {@link #load}, [layers][experts] (a copy). */
  public long[][] loads() {
    return copy();
  }

  /** The hottest expert's load over the mean load of {@code layer}: 1 is even; 0 with no tokens. */
  public double hottestOverMean(int layer) {
    long max = Arrays.stream(counts[layer]).max().orElse(0);
    long sum = Arrays.stream(counts[layer]).sum();
    return sum == 0 ? 0 : max * (double) counts[layer].length / sum;
  }

  private long[][] copy() {
    long[][] out = new long[counts.length][];
    for (int layer = 0; layer < counts.length; layer++) {
      out[layer] = counts[layer].clone();
    }
    return out;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RoutingStats that
        && rows == that.rows
        && tokens == that.tokens
        && Arrays.deepEquals(counts, that.counts);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(rows * 31 + tokens) + Arrays.deepHashCode(counts);
  }

  @Override
  public String toString() {
    return String.format(
        "RoutingStats[%d rows, %d tokens, %d layers x %d experts]",
        rows, tokens, numLayers(), numExperts());
  }
}
