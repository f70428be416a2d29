package dev.sparkmoe.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RoutingTest {
  private static final Routing TWO_TOKENS_TOP_2 =
      new Routing(2, 2, new int[] {3, 1, 0, 2}, new float[] {0.75f, 0.25f, 0.625f, 0.375f});

  @Test
  void readsChoicesByTokenAndRank() {
    assertThat(TWO_TOKENS_TOP_2.expert(1, 0)).as("token 1, rank 0 at index 1 * 2 + 0").isEqualTo(0);
    assertThat(TWO_TOKENS_TOP_2.weight(1, 1))
        .as("token 1, rank 1 at index 1 * 2 + 1")
        .isEqualTo(0.375f);
    assertThat(TWO_TOKENS_TOP_2.expert(0, 1)).as("token 0, rank 1 at index 1").isEqualTo(1);
  }

  @Test
  void comparesArrayContents() {
    Routing same =
        new Routing(2, 2, new int[] {3, 1, 0, 2}, new float[] {0.75f, 0.25f, 0.625f, 0.375f});
    assertThat(same).isEqualTo(TWO_TOKENS_TOP_2).hasSameHashCodeAs(TWO_TOKENS_TOP_2);
    assertThat(same.toString())
        .isEqualTo(
            "Routing[numTokens=2, topK=2, experts=[3, 1, 0, 2], weights=[0.75, 0.25, 0.625,"
                + " 0.375]]");
  }

  @Test
  void rejectsLengthsThatDoNotMatch() {
    assertThatThrownBy(() -> new Routing(3, 2, new int[5], new float[6]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid routing experts length: 5 (expected: 6 = 3 tokens x top-k 2)");
    assertThatThrownBy(() -> new Routing(3, 2, new int[6], new float[7]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid routing weights length: 7 (expected: 6 = 3 tokens x top-k 2)");
  }

  @Test
  void rejectsInvalidCounts() {
    assertThatThrownBy(() -> new Routing(-1, 2, new int[0], new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid number of tokens: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new Routing(1, 0, new int[0], new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new Routing(1, 1, null, new float[1]))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("Invalid routing experts: null");
  }

  @Test
  void rejectsIndicesOutOfRange() {
    assertThatThrownBy(() -> TWO_TOKENS_TOP_2.expert(2, 0))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("Invalid token: 2 (expected: 0 <= token < 2)");
    assertThatThrownBy(() -> TWO_TOKENS_TOP_2.weight(0, 2))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("Invalid rank: 2 (expected: 0 <= rank < 2, the top-k)");
  }
}
