package dev.sparkmoe.core.forward;

/**
 * The final-normalized hidden states of a batch of rows, packed: row {@code r} owns token rows
 * {@code [rowStart(r), rowStart(r + 1))} of the [totalTokens, hidden] matrix {@code states}. Owns
 * its arrays.
 */
public record FinalHidden(float[] states, int[] rowOffsets, int hidden) {
  public int numRows() {
    return rowOffsets.length - 1;
  }

  public int rowStart(int row) {
    return rowOffsets[row];
  }

  public int rowLength(int row) {
    return rowOffsets[row + 1] - rowOffsets[row];
  }
}
