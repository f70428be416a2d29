package dev.sparkmoe.core.batch;

import java.util.Arrays;
import java.util.Objects;

/**
 * The expert outputs one expert slot sends back to one token-owner partition for one layer: one
 * entry per (token, expert of the slot that the token was routed to).
 *
 * <p>Entry {@code i} is expert {@code experts[i]}'s output for token {@code (rowKeys[i],
 * positions[i])}, already multiplied by the routing weight: {@code outputs[i * hidden, (i + 1) *
 * hidden)}. The owner sums a token's entries over its experts.
 *
 * <p>The arrays are owned by the record and are not copied, neither by the constructor nor by the
 * accessors, because a batch holds up to megabytes of outputs per layer. Callers hand them over on
 * construction and must not modify them afterwards. {@link #equals} and {@link #hashCode} compare
 * the arrays' contents. {@link TokenBatchCodec} documents the Arrow form.
 *
 * @param layer the layer index, {@code >= 0}
 * @param sourcePartition the token-owner partition the outputs go back to, {@code >= 0}
 * @param hidden the hidden size, {@code >= 1}
 * @param rowKeys the key of each entry's input row
 * @param positions each entry's position in its row
 * @param experts the layer-local expert that produced each entry, length {@code numTokens()}
 * @param outputs fp32 weighted expert outputs, row-major {@code [numTokens(), hidden]}
 */
@SuppressWarnings("ArrayRecordComponent") // owned, not copied: see above
public record CombineBatch(
    int layer,
    int sourcePartition,
    int hidden,
    long[] rowKeys,
    int[] positions,
    int[] experts,
    float[] outputs) {
  private static final String KIND = "combine";

  public CombineBatch {
    BatchChecks.checkHeader(layer, sourcePartition, hidden);
    BatchChecks.checkNotNull(KIND, "rowKeys", rowKeys);
    BatchChecks.checkNotNull(KIND, "positions", positions);
    BatchChecks.checkNotNull(KIND, "experts", experts);
    BatchChecks.checkNotNull(KIND, "outputs", outputs);
    BatchChecks.checkTokenLength(KIND, "positions", positions.length, rowKeys.length);
    BatchChecks.checkTokenLength(KIND, "experts", experts.length, rowKeys.length);
    BatchChecks.checkHiddenLength(KIND, "outputs", outputs.length, rowKeys.length, hidden);
  }

  /** The number of entries, {@code >= 0}. */
  public int numTokens() {
    return rowKeys.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof CombineBatch that
        && layer == that.layer
        && sourcePartition == that.sourcePartition
        && hidden == that.hidden
        && Arrays.equals(rowKeys, that.rowKeys)
        && Arrays.equals(positions, that.positions)
        && Arrays.equals(experts, that.experts)
        && Arrays.equals(outputs, that.outputs);
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
        Arrays.hashCode(outputs));
  }

  /** A summary without the arrays, which can hold millions of values. */
  @Override
  public String toString() {
    return String.format(
        "CombineBatch[layer=%d, sourcePartition=%d, hidden=%d, numTokens=%d]",
        layer, sourcePartition, hidden, numTokens());
  }
}
