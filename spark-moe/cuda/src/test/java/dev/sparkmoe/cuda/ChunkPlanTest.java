package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkPlanTest {
  @Test
  void chunksCoverTheBatchInOrderAlternatingSlots() {
    ChunkPlan plan = new ChunkPlan(10, 4);
    List<String> chunks = new ArrayList<>();
    for (int i = 0; i < plan.chunks(); i++) {
      chunks.add(plan.start(i) + "+" + plan.tokens(i) + "@" + ChunkPlan.slot(i));
    }
    assertThat(chunks).containsExactly("0+4@0", "4+4@1", "8+2@0");
  }

  @Test
  void exactMultipleAndEmptyBatch() {
    assertThat(new ChunkPlan(8, 4).chunks()).isEqualTo(2);
    assertThat(new ChunkPlan(8, 4).tokens(1)).isEqualTo(4);
    assertThat(new ChunkPlan(0, 4).chunks()).isZero();
    assertThat(new ChunkPlan(Integer.MAX_VALUE, Integer.MAX_VALUE).chunks()).isEqualTo(1);
  }

  @Test
  void invalidSizes() {
    assertThatThrownBy(() -> new ChunkPlan(-1, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid token count: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new ChunkPlan(4, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid chunk tokens: 0 (expected: >= 1)");
  }
}
