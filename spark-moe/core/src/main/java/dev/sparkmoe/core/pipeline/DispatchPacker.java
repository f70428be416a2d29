package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.routing.Routing;

/**
 * Packs the tokens of one owner partition that are routed to one slot into a {@link DispatchBatch}.
 */
final class DispatchPacker {
  private DispatchPacker() {}

  /**
   * The replica of every routing choice (index token · topK + rank): 0 for an expert without
   * replicas, else the one {@link PlacementPlan#replicaFor} picks from the partition and the
   * choice's ordinal among the partition's choices of that expert, in token order.
   */
  static int[] replicas(OwnerState state, int layer, PlacementPlan placement, Routing routing) {
    int[] experts = routing.experts();
    int[] ordinals = new int[placement.numExperts()];
    int[] replicas = new int[experts.length];
    for (int i = 0; i < experts.length; i++) {
      int expert = experts[i];
      replicas[i] = placement.replicaFor(layer, expert, state.partition(), ordinals[expert]++);
    }
    return replicas;
  }

  /**
   * Which routing choices go to {@code slot}: those whose chosen replica has a shard there (each
   * shard of a tensor-parallel expert receives all the replica's tokens).
   */
  static boolean[] toSlot(
      int layer, int slot, PlacementPlan placement, Routing routing, int[] replicas) {
    boolean[] out = new boolean[replicas.length];
    int shards = placement.tensorParallel();
    for (int i = 0; i < out.length; i++) {
      for (int g = 0; g < shards && !out[i]; g++) {
        out[i] = placement.shardSlot(layer, routing.experts()[i], replicas[i], g) == slot;
      }
    }
    return out;
  }

  /** Entries in token order, then routing rank; one entry per (token, expert on this slot). */
  static DispatchBatch pack(
      OwnerState state, int layer, boolean[] toSlot, Routing routing, float[] x, int hidden) {
    int count = 0;
    for (boolean target : toSlot) {
      if (target) {
        count++;
      }
    }
    long[] rowKeys = new long[count];
    int[] positions = new int[count];
    int[] experts = new int[count];
    float[] weights = new float[count];
    float[] activations = new float[count * hidden];
    int entry = 0;
    int topK = routing.topK();
    for (int row = 0; row < state.numRows(); row++) {
      for (int t = state.rowOffsets()[row]; t < state.rowOffsets()[row + 1]; t++) {
        for (int rank = 0; rank < topK; rank++) {
          if (!toSlot[t * topK + rank]) {
            continue;
          }
          rowKeys[entry] = state.rowKey(row);
          positions[entry] = t - state.rowOffsets()[row];
          experts[entry] = routing.expert(t, rank);
          weights[entry] = routing.weight(t, rank);
          System.arraycopy(x, t * hidden, activations, entry * hidden, hidden);
          entry++;
        }
      }
    }
    return new DispatchBatch(
        layer, state.partition(), hidden, rowKeys, positions, experts, weights, activations);
  }
}
