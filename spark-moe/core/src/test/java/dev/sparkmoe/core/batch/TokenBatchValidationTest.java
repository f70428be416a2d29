package dev.sparkmoe.core.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenBatchValidationTest {
  private static final long[] KEYS = {7L, 8L, 9L};
  private static final int[] THREE = {1, 2, 3};
  private static final float[] WEIGHTS = {0.5f, 0.25f, 0.125f};
  private static final float[] VECTORS = {1f, 2f, 3f, 4f, 5f, 6f};

  @Test
  void dispatchChecksEachArrayAgainstTheRowKeys() {
    assertThatThrownBy(() -> new DispatchBatch(0, 0, 2, KEYS, new int[2], THREE, WEIGHTS, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid dispatch batch positions length: 2 (expected: 3, the length of rowKeys)");
    assertThatThrownBy(() -> new DispatchBatch(0, 0, 2, KEYS, THREE, new int[4], WEIGHTS, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid dispatch batch experts length: 4 (expected: 3, the length of rowKeys)");
    assertThatThrownBy(() -> new DispatchBatch(0, 0, 2, KEYS, THREE, THREE, new float[1], VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid dispatch batch weights length: 1 (expected: 3, the length of rowKeys)");
    assertThatThrownBy(() -> new DispatchBatch(0, 0, 3, KEYS, THREE, THREE, WEIGHTS, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid dispatch batch activations length: 6 (expected: 9 = 3 tokens x hidden 3)");
  }

  @Test
  void combineChecksEachArrayAgainstTheRowKeys() {
    assertThatThrownBy(() -> new CombineBatch(0, 0, 2, KEYS, new int[0], THREE, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid combine batch positions length: 0 (expected: 3, the length of rowKeys)");
    assertThatThrownBy(() -> new CombineBatch(0, 0, 2, KEYS, THREE, new int[5], VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid combine batch experts length: 5 (expected: 3, the length of rowKeys)");
    assertThatThrownBy(() -> new CombineBatch(0, 0, 1, KEYS, THREE, THREE, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid combine batch outputs length: 6 (expected: 3 = 3 tokens x hidden 1)");
  }

  @Test
  void rejectsNullArrays() {
    assertThatThrownBy(() -> new DispatchBatch(0, 0, 2, KEYS, THREE, THREE, WEIGHTS, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("Invalid dispatch batch activations: null");
    assertThatThrownBy(() -> new CombineBatch(0, 0, 2, null, THREE, THREE, VECTORS))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("Invalid combine batch rowKeys: null");
  }

  @Test
  void rejectsInvalidHeaders() {
    assertThatThrownBy(() -> new DispatchBatch(-1, 0, 2, KEYS, THREE, THREE, WEIGHTS, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid layer: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new CombineBatch(0, -2, 2, KEYS, THREE, THREE, VECTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid source partition: -2 (expected: >= 0)");
    assertThatThrownBy(
            () -> new CombineBatch(0, 0, 0, new long[0], new int[0], new int[0], new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid hidden size: 0 (expected: >= 1)");
  }

  @Test
  void comparesContentsAndSummarizes() {
    DispatchBatch batch = new DispatchBatch(3, 1, 2, KEYS, THREE, THREE, WEIGHTS, VECTORS);
    DispatchBatch copy =
        new DispatchBatch(
            3, 1, 2, KEYS.clone(), THREE.clone(), THREE.clone(), WEIGHTS.clone(), VECTORS.clone());
    assertThat(copy).isEqualTo(batch).hasSameHashCodeAs(batch);
    assertThat(batch.numTokens()).isEqualTo(3);
    assertThat(batch)
        .hasToString("DispatchBatch[layer=3, sourcePartition=1, hidden=2, numTokens=3]");
    assertThat(new CombineBatch(3, 1, 2, KEYS, THREE, THREE, VECTORS))
        .hasToString("CombineBatch[layer=3, sourcePartition=1, hidden=2, numTokens=3]");
  }
}
