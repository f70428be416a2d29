package dev.sparkmoe.core.batch;

import java.util.Arrays;
import java.util.Objects;

/**
 * The routed tokens one token-owner partition sends to one expert slot for one layer: one entry per
 * (token, expert chosen for it that lives on the slot), so a token routed to two experts of the
 * slot appears twice.
 *
 * <p>Entry {@code i} is token {@code (rowKeys[i], positions[i])} going to expert {@code experts[i]}
 * with routing weight {@code weights[i]}; its normalized MoE input is {@code activations[i *
 * hidden, (i + 1) * hidden)}.
 *
 * <p>The arrays are owned by the record and are not copied, neither by the constructor nor by the
 * accessors, because a batch holds up to megabytes of activations per layer. Callers hand them over
 * on construction and must not modify them afterwards. {@link #equals} and {@link #hashCode}
 * compare the arrays' contents. {@link TokenBatchCodec} documents the Arrow form.
 *
 * @param layer the layer index, {@code >= 0}
 * @param sourcePartition the token-owner partition the tokens come from, {@code >= 0}
 * @param hidden the hidden size, {@code >= 1}
 * @param rowKeys the key of each entry's input row
 * @param positions each entry's position in its row
 * @param experts the layer-local expert each entry goes to, length {@code numTokens()}
 * @param weights the routing weight of that expert for that token, length {@code numTokens()}
 * @param activations fp32 inputs, row-major {@code [numTokens(), hidden]}
 */
@SuppressWarnings("ArrayRecordComponent") // owned, not copied: see above
public record DispatchBatch(
    int layer,
    int sourcePartition,
    int hidden,
    long[] rowKeys,
    int[] positions,
    int[] experts,
    float[] weights,
    float[] activations) {
  private static final String KIND = "dispatch";

  public DispatchBatch {
    BatchChecks.checkHeader(layer, sourcePartition, hidden);
    BatchChecks.checkNotNull(KIND, "rowKeys", rowKeys);
    BatchChecks.checkNotNull(KIND, "positions", positions);
    BatchChecks.checkNotNull(KIND, "experts", experts);
    BatchChecks.checkNotNull(KIND, "weights", weights);
    BatchChecks.checkNotNull(KIND, "activations", activations);
    BatchChecks.checkTokenLength(KIND, "positions", positions.length, rowKeys.length);
    BatchChecks.checkTokenLength(KIND, "experts", experts.length, rowKeys.length);
    BatchChecks.checkTokenLength(KIND, "weights", weights.length, rowKeys.length);
    BatchChecks.checkHiddenLength(KIND, "activations", activations.length, rowKeys.length, hidden);
  }

  /** The number of entries, {@code >= 0}. */
  public int numTokens() {
    return rowKeys.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DispatchBatch that
        && layer == that.layer
        && sourcePartition == that.sourcePartition
        && hidden == that.hidden
        && Arrays.equals(rowKeys, that.rowKeys)
        && Arrays.equals(positions, that.positions)
        && Arrays.equals(experts, that.experts)
        && Arrays.equals(weights, that.weights)
        && Arrays.equals(activations, that.activations);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        layer,
        sourcePartition,
        hidden,
        Arrays.hashCode(rowKeys),
        Arrays.hashCode(positions),
        Arrays.hashCode(experts),
        Arrays.hashCode(weights),
        Arrays.hashCode(activations));
  }

  /** A summary without the arrays, which can hold millions of values. */
  @Override
  public String toString() {
    return String.format(
        "DispatchBatch[layer=%d, sourcePartition=%d, hidden=%d, numTokens=%d]",
        layer, sourcePartition, hidden, numTokens());
  }
}
