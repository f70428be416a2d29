package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import java.util.Arrays;

/**
 * What the model is run on: a batch of tokens (one decoding step of {@code tokensPerBatch}
 * sequences on a GPU cluster, or a whole table on a CPU cluster), how long the sequences are, the
 * activation width in the exchanges, how many token-owner partitions a Spark run uses, and how
 * unevenly the router spreads tokens. Immutable.
 *
 * @param tokensPerBatch tokens that go through the stack together
 * @param sequenceLength tokens each token attends over (attention cost)
 * @param activationBytes bytes per hidden element in dispatch and combine (2 for FP16, 4 for f32)
 * @param ownerPartitions token-owner partitions of a Spark run; 0 on a GPU cluster, where the
 *     owners are the devices of each layer
 * @param expertLoad per layer, the fraction of token-expert pairs each expert receives (each row
 *     sums to 1), or null for an even router
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; never exposed mutably
public record Workload(
    long tokensPerBatch,
    int sequenceLength,
    int activationBytes,
    int ownerPartitions,
    double[][] expertLoad) {
  /** Bytes of bookkeeping per token-expert pair besides the hidden vector: key, position, ids. */
  public static final int PAIR_OVERHEAD_BYTES = 20;

  public Workload {
    Checks.atLeast("tokens per batch", tokensPerBatch, 1);
    Checks.atLeast("sequence length", sequenceLength, 1);
    Checks.atLeast("activation bytes", activationBytes, 1);
    Checks.atLeast("owner partitions", ownerPartitions, 0);
    expertLoad = expertLoad == null ? null : copy(expertLoad);
  }

  /** A batch on a GPU cluster with an even router and FP16 activations. */
  public static Workload gpuBatch(long tokensPerBatch, int sequenceLength) {
    return new Workload(tokensPerBatch, sequenceLength, 2, 0, null);
  }

  /** A Spark run over {@code tokens} tokens in {@code partitions} owner partitions. */
  public static Workload sparkRun(
      long tokens, int sequenceLength, int activationBytes, int partitions) {
    Checks.atLeast("owner partitions", partitions, 1);
    return new Workload(tokens, sequenceLength, activationBytes, partitions, null);
  }

  /**
   * The same workload with the router's observed load: {@code tokensPerExpert[layer][expert]} (e.g.
   * from a sample run's report), normalized per layer.
   */
  public Workload withObservedLoad(long[][] tokensPerExpert) {
    double[][] load = new double[tokensPerExpert.length][];
    for (int layer = 0; layer < load.length; layer++) {
      long total = Arrays.stream(tokensPerExpert[layer]).sum();
      if (total <= 0) {
        throw new IllegalArgumentException(
            "Invalid observed load of layer " + layer + ": no tokens (expected: a positive total)");
      }
      load[layer] =
          Arrays.stream(tokensPerExpert[layer]).mapToDouble(t -> (double) t / total).toArray();
    }
    return new Workload(tokensPerBatch, sequenceLength, activationBytes, ownerPartitions, load);
  }

  /** The fraction of layer {@code layer}'s token-expert pairs that expert {@code expert} gets. */
  public double loadOf(int layer, int expert, int experts) {
    if (expertLoad == null) {
      return 1.0 / experts;
    }
    double[] row = expertLoad[layer % expertLoad.length];
    if (row.length != experts) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid observed load: %d experts in layer %d (expected: %d)",
              row.length, layer, experts));
    }
    return row[expert];
  }

  /** Bytes one token-expert pair takes in a dispatch or combine batch. */
  public double bytesPerPair(int hidden) {
    return (double) hidden * activationBytes + PAIR_OVERHEAD_BYTES;
  }

  @Override
  public double[][] expertLoad() {
    return expertLoad == null ? null : copy(expertLoad);
  }

  private static double[][] copy(double[][] values) {
    return Arrays.stream(values).map(double[]::clone).toArray(double[][]::new);
  }
}
