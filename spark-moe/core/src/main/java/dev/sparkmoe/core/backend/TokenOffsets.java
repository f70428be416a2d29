package dev.sparkmoe.core.backend;

import static dev.sparkmoe.core.Checks.checkArgument;

/**
 * The host copy of a batch's token-list offsets and null flags (the list layout: row {@code r}
 * holds ids {@code [offsets[r], offsets[r + 1])} of the values buffer), checked once so that a GPU
 * kernel that reads the values in place never reads outside them. A NULL row's ids are ignored (its
 * output is NULL). Immutable: the arrays are copied.
 */
public final class TokenOffsets {
  private final int[] offsets;
  private final boolean[] nulls;

  private TokenOffsets(int[] offsets, boolean[] nulls) {
    this.offsets = offsets;
    this.nulls = nulls;
  }

  /**
   * Checks {@code offsets} ({@code rows + 1} entries, non-decreasing, within {@code [0,
   * valueCount]}) and {@code nulls} ({@code rows} entries, or {@code null} for no NULL rows).
   *
   * @throws IllegalArgumentException naming the first offending row
   */
  public static TokenOffsets of(int[] offsets, boolean[] nulls, long valueCount) {
    checkArgument(
        offsets.length >= 1,
        "Invalid token offsets: none (expected: rows + 1 entries, at least 1)");
    int rows = offsets.length - 1;
    checkArgument(
        nulls == null || nulls.length == rows,
        "Invalid token null flags: %d (expected: one per row, %d)",
        nulls == null ? 0 : nulls.length,
        rows);
    checkArgument(
        offsets[0] >= 0 && offsets[0] <= valueCount,
        "Invalid token offset of row 0: %d (expected: 0 <= offset <= %d, the ids in the batch)",
        offsets[0],
        valueCount);
    for (int row = 0; row < rows; row++) {
      checkRow(offsets, row, valueCount);
    }
    return new TokenOffsets(offsets.clone(), nulls == null ? new boolean[rows] : nulls.clone());
  }

  private static void checkRow(int[] offsets, int row, long valueCount) {
    checkArgument(
        offsets[row + 1] >= offsets[row],
        "Cannot read the tokens of row %d: its end offset %d is before its start %d (the offsets"
            + " must not decrease)",
        row,
        offsets[row + 1],
        offsets[row]);
    checkArgument(
        offsets[row + 1] <= valueCount,
        "Cannot read the tokens of row %d: its end offset %d is past the %d ids in the batch",
        row,
        offsets[row + 1],
        valueCount);
  }

  public int rows() {
    return nulls.length;
  }

  /** Index of the row's first id in the values buffer. */
  public int start(int row) {
    return offsets[row];
  }

  /** The number of ids of the row (0 for a NULL row, whatever its offsets say). */
  public int length(int row) {
    return nulls[row] ? 0 : offsets[row + 1] - offsets[row];
  }

  public boolean isNull(int row) {
    return nulls[row];
  }

  /** Index of the batch's first id in the values buffer. */
  public int first() {
    return offsets[0];
  }

  /** Ids from the first row's start to the last row's end, NULL rows' included. */
  public int span() {
    return offsets[offsets.length - 1] - offsets[0];
  }

  /**
   * Checks every non-NULL row's length against the model's limit.
   *
   * @throws IllegalArgumentException naming the first row that is longer
   */
  public void checkMaxLength(int maxTokens) {
    for (int row = 0; row < rows(); row++) {
      checkArgument(
          length(row) <= maxTokens,
          "Invalid sequence length %d in row %d (expected: at most %d tokens, the model's limit)",
          length(row),
          row,
          maxTokens);
    }
  }

  /**
   * The row that holds the id at {@code index} of the values buffer, for naming a row in an error
   * found at a flat position; the last row that starts at or before it.
   */
  public int rowOf(long index) {
    checkArgument(
        index >= first() && index < first() + (long) span(),
        "Invalid token index: %d (expected: %d <= index < %d)",
        index,
        first(),
        first() + (long) span());
    int low = 0;
    int high = rows() - 1;
    while (low < high) {
      int mid = (low + high + 1) >>> 1;
      if (offsets[mid] <= index) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low;
  }
}
