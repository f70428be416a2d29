package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.forward.ExpertSum;
import java.util.ArrayList;
import java.util.List;

/**
 * Sums the weighted expert outputs of an owner partition's tokens in {@link ExpertSum}'s fixed
 * order — ascending expert id per token, a tensor-parallel expert's partials next to each other by
 * value — whatever order the batches arrived in: the order the reference forward sums in.
 */
final class Combiner {
  private Combiner() {}

  /** The MoE output [numTokens, hidden] of the partition: zero for a token no expert answered. */
  static float[] sum(OwnerState state, List<CombineBatch> batches, int hidden) {
    List<ExpertSum.Part> parts = new ArrayList<>(batches.size());
    for (CombineBatch batch : batches) {
      int[] tokens = new int[batch.numTokens()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = token(state, batch, i);
      }
      parts.add(new ExpertSum.Part(tokens, batch.experts(), batch.outputs()));
    }
    return ExpertSum.sum(state.numTokens(), hidden, parts);
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
}
