package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.Capacity;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Expert capacity on the driver: after a layer's owner stage is materialized, one small job reads
 * the routing weights of the dispatch batches and reduces them to each expert's threshold ({@link
 * Capacity.TopWeights}); the expert tasks then drop the tokens at or below it. With waves, each
 * wave is capped on its own tokens, as capacity-based systems cap each batch. Records the capacity
 * (the largest over the waves) and the dropped tokens per layer (summed over the waves) for the
 * report. Not thread-safe: one per run.
 */
final class CapacityPass {
  private final double factor;
  private final int topK;
  private final long[][] dropped;
  private long capacity = -1;

  CapacityPass(double factor, int layers, int topK) {
    this.factor = Capacity.checkFactor(factor);
    this.topK = topK;
    this.dropped = new long[layers][];
  }

  /** The run's capacity pass, or null when it is dropless. */
  static CapacityPass of(LoadBalanceOptions options, ModelConfig config) {
    return options.capacityFactor().isPresent()
        ? new CapacityPass(
            options.capacityFactor().getAsDouble(), config.numLayers(), config.topK())
        : null;
  }

  /**
   * Per expert of {@code layer}, the routing weight a token must exceed to be computed.
   *
   * @param tokens tokens in the whole input
   */
  float[] thresholds(JavaRDD<OwnerStep> steps, int layer, long tokens, PlacementPlan plan) {
    int experts = plan.numExperts();
    long cap = Capacity.of(factor, tokens, topK, experts);
    capacity = Math.max(capacity, cap);
    Capacity.TopWeights top =
        steps.map(step -> weights(step, layer, cap, plan)).treeReduce(Capacity.TopWeights::plus);
    long[] drops = top.dropped();
    if (dropped[layer] == null) {
      dropped[layer] = drops;
    } else {
      for (int e = 0; e < drops.length; e++) {
        dropped[layer][e] += drops[e];
      }
    }
    return top.thresholds();
  }

  /**
   * One owner partition's weights per expert; a tensor-parallel expert's tokens are counted once,
   * from the batches to its shard 0.
   */
  private static Capacity.TopWeights weights(
      OwnerStep step, int layer, long cap, PlacementPlan plan) {
    int experts = plan.numExperts();
    TokenBatchCodec codec = new TokenBatchCodec(ExecutorRuntime.allocator());
    List<DispatchBatch> batches = new ArrayList<>();
    List<Integer> slots = new ArrayList<>();
    int[] counts = new int[experts];
    for (int b = 0; b < step.dispatch().length; b++) {
      DispatchBatch batch = codec.decodeDispatch(step.dispatch()[b].arrowIpc());
      int slot = step.slots()[b];
      batches.add(batch);
      slots.add(slot);
      for (int expert : batch.experts()) {
        counts[expert] += plan.shardOn(layer, expert, slot) == 0 ? 1 : 0;
      }
    }
    float[][] weights = new float[experts][];
    for (int e = 0; e < experts; e++) {
      weights[e] = new float[counts[e]];
    }
    int[] fill = new int[experts];
    for (int b = 0; b < batches.size(); b++) {
      DispatchBatch batch = batches.get(b);
      for (int i = 0; i < batch.numTokens(); i++) {
        int expert = batch.experts()[i];
        if (plan.shardOn(layer, expert, slots.get(b)) == 0) {
          weights[expert][fill[expert]++] = batch.weights()[i];
        }
      }
    }
    return Capacity.TopWeights.of(cap, weights);
  }

  double factor() {
    return factor;
  }

  /** The capacity per expert and layer, the largest over the waves; -1 before the first layer. */
  long capacity() {
    return capacity;
  }

  /** Tokens dropped per layer and expert; an empty array for a layer without experts. */
  long[][] dropped() {
    long[][] out = new long[dropped.length][];
    for (int layer = 0; layer < out.length; layer++) {
      out[layer] = dropped[layer] == null ? new long[0] : dropped[layer].clone();
    }
    return out;
  }
}
