package dev.sparkmoe.core.pipeline;

import java.io.Serializable;

/**
 * The rows one token-owner partition holds between layers: their tokens and their residual stream.
 * The residual stays here for the whole job: only normalized MoE inputs travel to the experts and
 * only weighted outputs come back.
 *
 * <p>Rows with no tokens (null or empty) keep a slot with length 0 so that outputs stay aligned
 * with inputs. Mutable: the owner stage updates {@link #residual()} in place. Not thread-safe.
 *
 * @param partition the owner partition index
 * @param ids the rows' ids, as the input had them (long, int or string)
 * @param tokens the rows' tokens; an empty array for a row without tokens
 * @param rowOffsets row r owns token rows [rowOffsets[r], rowOffsets[r + 1]) of the residual
 * @param residual [numTokens, hidden], row-major
 */
@SuppressWarnings("ArrayRecordComponent") // owned, mutable state: copying would defeat its purpose
public record OwnerState(
    int partition, Object[] ids, int[][] tokens, int[] rowOffsets, float[] residual)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public int numRows() {
    return ids.length;
  }

  public int numTokens() {
    return rowOffsets[ids.length];
  }

  /** Row key of a row: unique across partitions, so a misrouted output cannot be added silently. */
  public long rowKey(int row) {
    return ((long) partition << 32) | row;
  }

  /** The row index a key names; fails if the key belongs to another partition. */
  public int rowOf(long rowKey) {
    int keyPartition = (int) (rowKey >>> 32);
    int row = (int) rowKey;
    if (keyPartition != partition || row < 0 || row >= ids.length) {
      throw new IllegalStateException(
          String.format(
              "Cannot combine row key %d in owner partition %d: it belongs to partition %d, row %d",
              rowKey, partition, keyPartition, row));
    }
    return row;
  }
}
