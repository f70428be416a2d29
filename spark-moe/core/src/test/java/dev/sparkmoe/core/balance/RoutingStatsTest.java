package dev.sparkmoe.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.routing.Routing;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RoutingStatsTest {
  private final Random random = new Random();

  @Test
  void countsEveryChoiceAndMergesWaves() {
    Routing first = routing(50);
    Routing second = routing(30);
    RoutingStats a = RoutingStats.empty(2, 4).withInput(5, 50).withRouting(1, first);
    RoutingStats b = RoutingStats.empty(2, 4).withInput(3, 30).withRouting(1, second);
    RoutingStats both = a.plus(b);
    long[] expected = new long[4];
    for (int e : first.experts()) {
      expected[e]++;
    }
    for (int e : second.experts()) {
      expected[e]++;
    }
    assertThat(both.load(1)).containsExactly(expected);
    assertThat(both.load(0)).containsOnly(0L);
    assertThat(both.rows()).isEqualTo(8);
    assertThat(both.tokens()).isEqualTo(80);
    assertThat(both).isEqualTo(b.plus(a)).hasSameHashCodeAs(b.plus(a));
    assertThat(Arrays.stream(a.load(1)).sum()).as("a is unchanged by the merge").isEqualTo(100);
  }

  @Test
  void hottestOverMean() {
    RoutingStats stats =
        RoutingStats.empty(1, 4)
            .withRouting(0, new Routing(4, 1, new int[] {0, 0, 0, 1}, new float[] {1, 1, 1, 1}));
    assertThat(stats.hottestOverMean(0)).as("3 of 4 tokens on expert 0: 3 / 1").isEqualTo(3.0);
    assertThat(RoutingStats.empty(1, 4).hottestOverMean(0)).isZero();
  }

  @Test
  void measuredLoadsAddToTheirLayer() {
    Random random = new Random();
    long[] measured = random.longs(4, 0, 1000).toArray();
    RoutingStats stats = RoutingStats.empty(2, 4).withLoad(1, measured).withLoad(1, measured);

    assertThat(stats.load(0)).containsOnly(0L);
    assertThat(stats.load(1)).containsExactly(Arrays.stream(measured).map(v -> 2 * v).toArray());
    assertThatThrownBy(() -> stats.withLoad(0, new long[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid load of layer 0: 3 experts (expected: 4)");
  }

  @Test
  void refusesToMergeAnotherShape() {
    assertThatThrownBy(() -> RoutingStats.empty(2, 4).plus(RoutingStats.empty(2, 8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot merge routing statistics: shape 2 x 8 (expected: 2 layers x 4 experts)");
  }

  private Routing routing(int tokens) {
    int[] experts = new int[tokens * 2];
    float[] weights = new float[tokens * 2];
    for (int t = 0; t < tokens; t++) {
      experts[2 * t] = random.nextInt(2);
      experts[2 * t + 1] = 2 + random.nextInt(2);
      weights[2 * t] = 0.6f;
      weights[2 * t + 1] = 0.4f;
    }
    return new Routing(tokens, 2, experts, weights);
  }
}
