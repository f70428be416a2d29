package dev.sparkmoe.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GroupLimitedSigmoidRouterTest {
  /** Eight experts in four groups of two: {0, 1}, {2, 3}, {4, 5}, {6, 7}. */
  private static final float[] SCORES_WITH_STRONG_GROUP_0 = {
    0.9f, 0.3f, 0.2f, 0.1f, 0.8f, 0.6f, 0.7f, 0.25f
  };

  @Test
  void biasSteersSelectionButNotWeights() {
    // No bias: group scores (sum of both members) are g0 = 1.2, g1 = 0.3, g2 = 1.4, g3 = 0.95;
    // groups 2 and 0 are kept; top-2 of {0.9, 0.3, 0.8, 0.6} are experts 0 and 4.
    // Weights: 0.9 / 1.7 * 2.5 = 1.3235294, 0.8 / 1.7 * 2.5 = 1.1764706.
    // Bias +0.5 on expert 6: its choice score is 1.2 and g3 = 1.2 + 0.25 = 1.45, so groups 3 and 2
    // are kept; top-2 of {0.8, 0.6, 1.2, 0.25} are experts 6 then 4. Weights use the sigmoid
    // scores without bias, 0.7 and 0.8: 0.7 / 1.5 * 2.5 = 1.1666667, 0.8 / 1.5 * 2.5 = 1.3333333.
    float[] logits = logits(SCORES_WITH_STRONG_GROUP_0);
    float[] bias = {0f, 0f, 0f, 0f, 0f, 0f, 0.5f, 0f};

    Routing unbiased = deepSeekEightExperts(new float[8]).route(logits, 1);
    Routing biased = deepSeekEightExperts(bias).route(logits, 1);

    assertThat(unbiased.experts()).as("no bias: groups 2 and 0 kept").containsExactly(0, 4);
    assertThat(unbiased.weights())
        .as("no bias: sigmoid scores 0.9 and 0.8, renormalized, times 2.5")
        .containsExactly(new float[] {1.3235294f, 1.1764706f}, within(1e-6f));
    assertThat(biased.experts())
        .as("bias +0.5 on expert 6: groups 3 and 2 kept, ranked by biased score")
        .containsExactly(6, 4);
    assertThat(biased.weights())
        .as("bias +0.5 on expert 6: sigmoid scores 0.7 and 0.8 without bias, renormalized, x 2.5")
        .containsExactly(new float[] {1.1666667f, 1.3333333f}, within(1e-6f));
  }

  @Test
  void groupLimitExcludesAnExpertScoringHigherThanAChosenOne() {
    // Group scores g0 = 0.9 + 0.1 = 1.0, g1 = 0.6 + 0.7 = 1.3, g2 = 0.8 + 0.75 = 1.55,
    // g3 = 0.2 + 0.3 = 0.5: groups 2 and 1 are kept, so expert 0 (0.9, the best of all) is out
    // and the top-2 are experts 4 (0.8) and 5 (0.75). No normalization, scaling factor 1.
    float[] logits = logits(new float[] {0.9f, 0.1f, 0.6f, 0.7f, 0.8f, 0.75f, 0.2f, 0.3f});
    GroupLimitedSigmoidRouter router =
        GroupLimitedSigmoidRouter.builder(8, 2)
            .groups(/* numGroups= */ 4, /* topKGroups= */ 2)
            .normalization(TopKNormalization.NONE)
            .build();

    Routing routing = router.route(logits, 1);

    assertThat(routing.experts())
        .as("expert 0 scores 0.9 but its group scores 1.0 < 1.3, 1.55")
        .containsExactly(4, 5);
    assertThat(routing.weights())
        .as("raw sigmoid scores 0.8 and 0.75")
        .containsExactly(new float[] {0.8f, 0.75f}, within(1e-6f));
  }

  @Test
  void maskedGroupsAreNeverChosenEvenOverNegativeScores() {
    // Bias -2 puts every choice score in (-2, -1). Group scores g0 = 0.6 + 0.7 - 4 = -2.7,
    // g1 = 0.2 + 0.3 - 4 = -3.5: group 0 is kept and group 1's experts are masked to -inf, as
    // transformers 5's masked_fill(..., float("-inf")) does. Masking to 0.0 (the older remote
    // code) would have chosen experts 2 and 3 instead.
    float[] logits = logits(new float[] {0.6f, 0.7f, 0.2f, 0.3f});
    GroupLimitedSigmoidRouter router =
        GroupLimitedSigmoidRouter.builder(4, 2)
            .groups(/* numGroups= */ 2, /* topKGroups= */ 1)
            .correctionBias(new float[] {-2f, -2f, -2f, -2f})
            .normalization(TopKNormalization.NONE)
            .build();

    Routing routing = router.route(logits, 1);

    assertThat(routing.experts()).as("kept group 0, best first").containsExactly(1, 0);
    assertThat(routing.weights())
        .as("their sigmoid scores 0.7 and 0.6")
        .containsExactly(new float[] {0.7f, 0.6f}, within(1e-6f));
  }

  @Test
  void equalGroupScoresKeepLowerGroupsFirst() {
    // Every score is 0.5: all four groups score 1.0; groups 0 and 1 are kept, experts 0 and 1.
    float[] logits = logits(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});

    Routing routing = deepSeekEightExperts(new float[8]).route(logits, 1);

    assertThat(routing.experts()).as("ties: lower groups, lower experts").containsExactly(0, 1);
    assertThat(routing.weights())
        .as("0.5 / 1.0 * 2.5")
        .containsExactly(new float[] {1.25f, 1.25f}, within(1e-6f));
  }

  @Test
  void matchesDoublePrecisionReference() {
    int numExperts = 64;
    int numTokens = 500;
    Random random = new Random(61L);
    float[] logits = SoftmaxTopKRouterTest.randomLogits(random, numTokens * numExperts);
    float[] bias = new float[numExperts];
    for (int e = 0; e < numExperts; e++) {
      bias[e] = (float) (random.nextGaussian() * 0.1);
    }
    GroupLimitedSigmoidRouter router = deepSeekV3Like(bias);

    Routing routing = router.route(logits, numTokens);
    Routing unbiased = deepSeekV3Like(new float[numExperts]).route(logits, numTokens);

    for (int token = 0; token < numTokens; token++) {
      int from = token * numExperts;
      int[] expectedExperts = referenceExperts(logits, from, numExperts, bias);
      double[] expectedWeights = referenceWeights(logits, from, expectedExperts);
      for (int rank = 0; rank < 8; rank++) {
        assertThat(routing.expert(token, rank))
            .as("token %d, rank %d: double-precision reference", token, rank)
            .isEqualTo(expectedExperts[rank]);
        assertThat((double) routing.weight(token, rank))
            .as("token %d, rank %d: reference weight, at most 2.5", token, rank)
            .isCloseTo(expectedWeights[rank], within(1e-6));
      }
    }
    assertThat(routing)
        .as("the random bias changes some choices, so the comparison covers it")
        .isNotEqualTo(unbiased);
  }

  @Test
  void copiesTheBias() {
    float[] bias = {0.25f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
    GroupLimitedSigmoidRouter router = deepSeekEightExperts(bias);
    bias[0] = 1f;
    router.correctionBias()[1] = 1f;

    assertThat(router.correctionBias())
        .as("neither the caller's array nor the accessor's copy reaches the router")
        .containsExactly(0.25f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
  }

  @Test
  void rejectsInvalidGroups() {
    assertThatThrownBy(() -> GroupLimitedSigmoidRouter.builder(64, 8).groups(3, 2).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid number of expert groups: 3 (expected: a divisor of 64, the number of"
                + " experts)");
    assertThatThrownBy(() -> GroupLimitedSigmoidRouter.builder(64, 8).groups(8, 9).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid top-k groups: 9 (expected: 1 <= top-k groups <= 8, the number of groups)");
    assertThatThrownBy(() -> GroupLimitedSigmoidRouter.builder(8, 1).groups(8, 4).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid expert group size: 1 = 8 experts / 8 groups (expected: >= 2, as a group"
                + " scores by its top 2)");
    assertThatThrownBy(() -> GroupLimitedSigmoidRouter.builder(64, 40).groups(8, 4).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 40 (expected: <= 32 = 4 top-k groups x 8 experts per group)");
    assertThatThrownBy(() -> GroupLimitedSigmoidRouter.builder(64, 65).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 65 (expected: 1 <= top-k <= 64, the number of experts)");
  }

  @Test
  void rejectsInvalidBiasAndScaling() {
    assertThatThrownBy(
            () -> GroupLimitedSigmoidRouter.builder(8, 2).correctionBias(new float[7]).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid correction bias length: 7 (expected: 8, the number of experts)");
    float[] nanBias = new float[8];
    nanBias[2] = Float.NaN;
    assertThatThrownBy(
            () -> GroupLimitedSigmoidRouter.builder(8, 2).correctionBias(nanBias).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid correction bias NaN for expert 2 (expected: a finite number)");
    assertThatThrownBy(
            () -> GroupLimitedSigmoidRouter.builder(8, 2).routedScalingFactor(-1f).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid routed scaling factor: -1.0 (expected: a finite number > 0)");
  }

  @Test
  void rejectsNanLogits() {
    float[] logits = SoftmaxTopKRouterTest.randomLogits(new Random(67L), 4 * 8);
    logits[3 * 8 + 5] = Float.NaN;

    assertThatThrownBy(() -> deepSeekEightExperts(new float[8]).route(logits, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid router logit NaN for token 3, expert 5 (expected: a finite number)");
  }

  /** Eight experts, four groups of two, two groups kept, top-2, renormalized, scaled by 2.5. */
  private static GroupLimitedSigmoidRouter deepSeekEightExperts(float[] bias) {
    return GroupLimitedSigmoidRouter.builder(8, 2)
        .groups(/* numGroups= */ 4, /* topKGroups= */ 2)
        .correctionBias(bias)
        .routedScalingFactor(2.5f)
        .normalization(TopKNormalization.RENORMALIZE)
        .build();
  }

  /** DeepSeek-V3's shape scaled down: 64 experts, 8 groups, 4 kept, top-8, scaled by 2.5. */
  private static GroupLimitedSigmoidRouter deepSeekV3Like(float[] bias) {
    return GroupLimitedSigmoidRouter.builder(64, 8)
        .groups(/* numGroups= */ 8, /* topKGroups= */ 4)
        .correctionBias(bias)
        .routedScalingFactor(2.5f)
        .normalization(TopKNormalization.RENORMALIZE)
        .build();
  }

  /** The logits whose sigmoids are the given scores: ln(p / (1 - p)). */
  private static float[] logits(float[] scores) {
    float[] logits = new float[scores.length];
    for (int e = 0; e < scores.length; e++) {
      logits[e] = (float) Math.log(scores[e] / (1.0 - scores[e]));
    }
    return logits;
  }

  /**
   * The experts of transformers' DeepseekV3TopkRouter written out plainly in double for the {@link
   * #deepSeekV3Like} settings: sort, don't select.
   */
  private static int[] referenceExperts(float[] logits, int from, int numExperts, float[] bias) {
    int numGroups = 8;
    int topKGroups = 4;
    int topK = 8;
    int groupSize = numExperts / numGroups;
    double[] scores = new double[numExperts];
    double[] choice = new double[numExperts];
    for (int e = 0; e < numExperts; e++) {
      scores[e] = 1.0 / (1.0 + Math.exp(-logits[from + e]));
      choice[e] = scores[e] + bias[e];
    }
    double[] groupScores = new double[numGroups];
    for (int g = 0; g < numGroups; g++) {
      double[] members = Arrays.copyOfRange(choice, g * groupSize, (g + 1) * groupSize);
      Arrays.sort(members);
      groupScores[g] = members[groupSize - 1] + members[groupSize - 2];
    }
    Set<Integer> keptGroups =
        Arrays.stream(sortDescending(groupScores))
            .limit(topKGroups)
            .boxed()
            .collect(Collectors.toSet());
    double[] masked = new double[numExperts];
    for (int e = 0; e < numExperts; e++) {
      masked[e] = keptGroups.contains(e / groupSize) ? choice[e] : Double.NEGATIVE_INFINITY;
    }
    return Arrays.copyOf(sortDescending(masked), topK);
  }

  /** The chosen experts' sigmoid scores without bias, renormalized and scaled by 2.5, in double. */
  private static double[] referenceWeights(float[] logits, int from, int[] experts) {
    double[] weights =
        Arrays.stream(experts)
            .mapToDouble(e -> 1.0 / (1.0 + Math.exp(-logits[from + e])))
            .toArray();
    double sum = Arrays.stream(weights).sum();
    for (int rank = 0; rank < weights.length; rank++) {
      weights[rank] = weights[rank] / (sum + 1e-20) * 2.5;
    }
    return weights;
  }

  /** All indices sorted by value, descending, ties by index. */
  private static int[] sortDescending(double[] values) {
    return IntStream.range(0, values.length)
        .boxed()
        .sorted(
            Comparator.comparingDouble((Integer i) -> values[i])
                .reversed()
                .thenComparingInt(i -> i))
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
