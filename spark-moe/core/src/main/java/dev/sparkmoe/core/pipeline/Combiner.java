package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.batch.CombineBatch;
import java.util.List;

/**
 * Sums the weighted expert outputs of an owner partition's tokens in a fixed order — ascending
 * expert id per token — whatever order the batches arrived in, so results do not depend on
 * placement or partitioning. A tensor-parallel expert sends one partial output per shard: a token's
 * partials of one expert are summed next to each other, in ascending order of their values
 * (lexicographic over the vector, a total order on float bits), so their order too is fixed
 * whatever the arrival order.
 */
final class Combiner {
  private Combiner() {}

  /** The MoE output [numTokens, hidden] of the partition: zero for a token no expert answered. */
  static float[] sum(OwnerState state, List<CombineBatch> batches, int hidden) {
    int total = state.numTokens();
    int[] counts = new int[total];
    for (CombineBatch batch : batches) {
      for (int i = 0; i < batch.numTokens(); i++) {
        counts[token(state, batch, i)]++;
      }
    }
    int[] start = new int[total + 1];
    for (int t = 0; t < total; t++) {
      start[t + 1] = start[t] + counts[t];
    }
    int[] batchOf = new int[start[total]];
    int[] entryOf = new int[start[total]];
    int[] expertOf = new int[start[total]];
    int[] fill = start.clone();
    for (int b = 0; b < batches.size(); b++) {
      CombineBatch batch = batches.get(b);
      for (int i = 0; i < batch.numTokens(); i++) {
        int slot = fill[token(state, batch, i)]++;
        batchOf[slot] = b;
        entryOf[slot] = i;
        expertOf[slot] = batch.experts()[i];
      }
    }
    float[] moe = new float[total * hidden];
    for (int t = 0; t < total; t++) {
      sortByExpert(batches, hidden, batchOf, entryOf, expertOf, start[t], start[t + 1]);
      for (int c = start[t]; c < start[t + 1]; c++) {
        float[] outputs = batches.get(batchOf[c]).outputs();
        int src = entryOf[c] * hidden;
        int dst = t * hidden;
        for (int d = 0; d < hidden; d++) {
          moe[dst + d] += outputs[src + d];
        }
      }
    }
    return moe;
  }

  private static int token(OwnerState state, CombineBatch batch, int entry) {
    int row = state.rowOf(batch.rowKeys()[entry]);
    int position = batch.positions()[entry];
    int length = state.rowOffsets()[row + 1] - state.rowOffsets()[row];
    if (position < 0 || position >= length) {
      throw new IllegalStateException(
          String.format(
              "Cannot combine position %d of row %d in owner partition %d: the row has %d tokens",
              position, row, state.partition(), length));
    }
    return state.rowOffsets()[row] + position;
  }

  /**
   * Insertion sort of a token's few contributions (top-k of them, times the shards of
   * tensor-parallel experts) by expert id, then by output vector.
   */
  private static void sortByExpert(
      List<CombineBatch> batches,
      int hidden,
      int[] batchOf,
      int[] entryOf,
      int[] expertOf,
      int from,
      int to) {
    for (int i = from + 1; i < to; i++) {
      int b = batchOf[i];
      int e = entryOf[i];
      int x = expertOf[i];
      int j = i - 1;
      while (j >= from
          && (expertOf[j] > x
              || expertOf[j] == x
                  && compareOutputs(batches, hidden, batchOf[j], entryOf[j], b, e) > 0)) {
        batchOf[j + 1] = batchOf[j];
        entryOf[j + 1] = entryOf[j];
        expertOf[j + 1] = expertOf[j];
        j--;
      }
      batchOf[j + 1] = b;
      entryOf[j + 1] = e;
      expertOf[j + 1] = x;
    }
  }

  private static int compareOutputs(
      List<CombineBatch> batches, int hidden, int batchA, int entryA, int batchB, int entryB) {
    float[] a = batches.get(batchA).outputs();
    float[] b = batches.get(batchB).outputs();
    return java.util.Arrays.compare(
        a, entryA * hidden, (entryA + 1) * hidden, b, entryB * hidden, (entryB + 1) * hidden);
  }
}
