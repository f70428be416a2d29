package dev.sparkmoe.core.service;

import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes several dispatch batches of the same layer as one: their entries concatenated, so that
 * each expert runs once on the entries of all of them, then the outputs split back per batch. The
 * expert side multiplies each entry by its own weight and sums nothing, and the f32 CPU backend's
 * rows do not depend on the rows that share the call ({@code CpuExpertBackend}), so every entry
 * gets the bits it would get computed alone ({@code GatheredComputeTest} checks it). A backend
 * whose rows depend on the batch (bf16 through oneDNN, cuBLAS) gives results within its own
 * tolerance.
 */
final class GatheredCompute {
  private GatheredCompute() {}

  /**
   * One combine batch per dispatch batch, in order, each addressed to its batch's owner partition.
   *
   * @param batches at least one, all of the same layer and hidden size
   * @param tokensPerExpert incremented by the entries each expert computed
   */
  static List<CombineBatch> compute(
      ExpertWorker worker, List<DispatchBatch> batches, long[] tokensPerExpert) {
    if (batches.size() == 1) {
      return List.of(worker.compute(batches.get(0), tokensPerExpert));
    }
    CombineBatch all = worker.compute(merge(batches), tokensPerExpert);
    List<CombineBatch> out = new ArrayList<>(batches.size());
    int first = 0;
    for (DispatchBatch batch : batches) {
      int n = batch.numTokens();
      int hidden = batch.hidden();
      out.add(
          new CombineBatch(
              batch.layer(),
              batch.sourcePartition(),
              hidden,
              batch.rowKeys(),
              batch.positions(),
              batch.experts(),
              Arrays.copyOfRange(all.outputs(), first * hidden, (first + n) * hidden)));
      first += n;
    }
    return out;
  }

  private static DispatchBatch merge(List<DispatchBatch> batches) {
    DispatchBatch head = batches.get(0);
    int hidden = head.hidden();
    int total = batches.stream().mapToInt(DispatchBatch::numTokens).sum();
    long[] rowKeys = new long[total];
    int[] positions = new int[total];
    int[] experts = new int[total];
    float[] weights = new float[total];
    float[] activations = new float[total * hidden];
    int at = 0;
    for (DispatchBatch batch : batches) {
      int n = batch.numTokens();
      System.arraycopy(batch.rowKeys(), 0, rowKeys, at, n);
      System.arraycopy(batch.positions(), 0, positions, at, n);
      System.arraycopy(batch.experts(), 0, experts, at, n);
      System.arraycopy(batch.weights(), 0, weights, at, n);
      System.arraycopy(batch.activations(), 0, activations, at * hidden, n * hidden);
      at += n;
    }
    return new DispatchBatch(
        head.layer(),
        head.sourcePartition(),
        hidden,
        rowKeys,
        positions,
        experts,
        weights,
        activations);
  }
}
