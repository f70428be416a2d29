package dev.sparkmoe.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class TokenOffsetsTest {
  @Test
  void rowsReadTheirSpansAndNullRowsReadNothing() {
    TokenOffsets offsets =
        TokenOffsets.of(new int[] {2, 5, 5, 9}, new boolean[] {false, false, true}, 10);
    assertThat(offsets.rows()).isEqualTo(3);
    assertThat(new int[] {offsets.start(0), offsets.length(0)}).containsExactly(2, 3);
    assertThat(offsets.length(1)).as("an empty row").isZero();
    assertThat(offsets.length(2)).as("a NULL row, whatever its offsets").isZero();
    assertThat(offsets.isNull(2)).isTrue();
    assertThat(new int[] {offsets.first(), offsets.span()}).containsExactly(2, 7);
  }

  @Test
  void rowOfFindsTheRowOfEveryIdPastEmptyRows() {
    Random random = new Random(ThreadLocalRandom.current().nextLong());
    int rows = 50;
    int[] offsets = new int[rows + 1];
    offsets[0] = random.nextInt(4);
    for (int row = 0; row < rows; row++) {
      offsets[row + 1] = offsets[row] + (random.nextInt(3) == 0 ? 0 : random.nextInt(20));
    }
    TokenOffsets parsed = TokenOffsets.of(offsets, null, offsets[rows] + 3);
    for (int row = 0; row < rows; row++) {
      for (int index = offsets[row]; index < offsets[row + 1]; index++) {
        assertThat(parsed.rowOf(index)).as("id %d", index).isEqualTo(row);
      }
    }
    assertThatThrownBy(() -> parsed.rowOf(offsets[rows]))
        .hasMessage(
            "Invalid token index: %d (expected: %d <= index < %d)",
            offsets[rows], offsets[0], offsets[rows]);
  }

  @Test
  void aDecreasingOffsetNamesTheRow() {
    assertThatThrownBy(() -> TokenOffsets.of(new int[] {0, 4, 3, 6}, null, 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read the tokens of row 1: its end offset 3 is before its start 4 (the offsets"
                + " must not decrease)");
  }

  @Test
  void anOffsetPastTheValuesNamesTheRow() {
    assertThatThrownBy(() -> TokenOffsets.of(new int[] {0, 4, 8, 12}, null, 10))
        .hasMessage(
            "Cannot read the tokens of row 2: its end offset 12 is past the 10 ids in the batch");
  }

  @Test
  void aNegativeFirstOffsetIsRefused() {
    assertThatThrownBy(() -> TokenOffsets.of(new int[] {-1, 4}, null, 10))
        .hasMessage(
            "Invalid token offset of row 0: -1 (expected: 0 <= offset <= 10, the ids in the batch)");
  }

  @Test
  void nullFlagsMustMatchTheRows() {
    assertThatThrownBy(() -> TokenOffsets.of(new int[] {0, 1, 2}, new boolean[3], 2))
        .hasMessage("Invalid token null flags: 3 (expected: one per row, 2)");
    assertThatThrownBy(() -> TokenOffsets.of(new int[0], null, 2))
        .hasMessage("Invalid token offsets: none (expected: rows + 1 entries, at least 1)");
  }

  @Test
  void aRowOverTheModelLimitIsNamedButNullRowsPass() {
    TokenOffsets offsets =
        TokenOffsets.of(new int[] {0, 3, 20, 24}, new boolean[] {false, true, false}, 24);
    offsets.checkMaxLength(4);
    assertThatThrownBy(() -> offsets.checkMaxLength(3))
        .hasMessage(
            "Invalid sequence length 4 in row 2 (expected: at most 3 tokens, the model's limit)");
  }

  @Test
  void theArraysAreCopied() {
    int[] raw = {0, 2, 4};
    TokenOffsets offsets = TokenOffsets.of(raw, null, 4);
    raw[1] = 0;
    assertThat(offsets.length(0)).isEqualTo(2);
  }
}
