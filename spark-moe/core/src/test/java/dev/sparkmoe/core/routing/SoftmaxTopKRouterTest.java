package dev.sparkmoe.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SoftmaxTopKRouterTest {
  private static final int RANDOM_TOKENS = 1000;

  @Test
  void mixtralRenormalizesHandComputedCase() {
    // Token 0: max 3; exp(l - 3) = [e^-2, 1, e^-1, e^-2.5]. Top-2 are experts 1 and 2, whose
    // renormalized weights are 1 / (1 + e^-1) = 0.7310586 and e^-1 / (1 + e^-1) = 0.2689414.
    // Token 1: top-2 are experts 3 (2.5) and 1 (0.5): 1 / (1 + e^-2) = 0.8807971, 0.1192029.
    float[] logits = {1.0f, 3.0f, 2.0f, 0.5f, -0.5f, 0.5f, -2.0f, 2.5f};

    Routing routing = SoftmaxTopKRouter.mixtral(4, 2).route(logits, 2);

    assertThat(routing.experts())
        .as("Mixtral, 4 experts, top-2, by hand")
        .containsExactly(1, 2, 3, 1);
    assertThat(routing.weights())
        .as("Mixtral, 4 experts, top-2, renormalized: sigmoid of the logit difference")
        .containsExactly(
            new float[] {0.7310586f, 0.2689414f, 0.8807971f, 0.1192029f}, within(1e-6f));
  }

  @Test
  void qwenWithoutNormalizationKeepsSoftmaxProbabilities() {
    // exp(l - 3) = [0.1353353, 1, 0.3678794, 0.0820850], sum 1.5852997; p = exp / sum.
    float[] logits = {1.0f, 3.0f, 2.0f, 0.5f};

    Routing routing = SoftmaxTopKRouter.qwen(4, 2, TopKNormalization.NONE).route(logits, 1);

    assertThat(routing.experts()).as("Qwen, 4 experts, top-2, by hand").containsExactly(1, 2);
    assertThat(routing.weights())
        .as("Qwen, norm_topk_prob = false: raw softmax p1 = 1 / 1.5852997, p2 = e^-1 / 1.5852997")
        .containsExactly(new float[] {0.6307955f, 0.2320567f}, within(1e-6f));
  }

  @ParameterizedTest(name = "{0} experts, top-{1}")
  @CsvSource({"8, 2", "16, 4", "64, 8"})
  void mixtralMatchesBruteForce(int numExperts, int topK) {
    float[] logits = randomLogits(new Random(17L * numExperts), RANDOM_TOKENS * numExperts);

    Routing routing = SoftmaxTopKRouter.mixtral(numExperts, topK).route(logits, RANDOM_TOKENS);

    for (int token = 0; token < RANDOM_TOKENS; token++) {
      double[] probabilities = softmax(logits, token * numExperts, numExperts);
      int[] expected = bruteForceTopK(probabilities, topK);
      double topSum = Arrays.stream(expected).mapToDouble(e -> probabilities[e]).sum();
      float weightSum = 0f;
      for (int rank = 0; rank < topK; rank++) {
        assertThat(routing.expert(token, rank))
            .as("token %d, rank %d: brute-force sort by probability", token, rank)
            .isEqualTo(expected[rank]);
        assertThat((double) routing.weight(token, rank))
            .as("token %d, rank %d: p_i / sum of top-k p, in double", token, rank)
            .isCloseTo(probabilities[expected[rank]] / topSum, within(1e-6));
        weightSum += routing.weight(token, rank);
      }
      assertThat(weightSum)
          .as("token %d: renormalized weights sum", token)
          .isCloseTo(1f, within(1e-6f));
    }
  }

  @Test
  void qwenWithoutNormalizationMatchesDoubleSoftmax() {
    int numExperts = 64;
    int topK = 8;
    float[] logits = randomLogits(new Random(29L), RANDOM_TOKENS * numExperts);

    Routing routing =
        SoftmaxTopKRouter.qwen(numExperts, topK, TopKNormalization.NONE)
            .route(logits, RANDOM_TOKENS);

    for (int token = 0; token < RANDOM_TOKENS; token++) {
      double[] probabilities = softmax(logits, token * numExperts, numExperts);
      int[] expected = bruteForceTopK(probabilities, topK);
      for (int rank = 0; rank < topK; rank++) {
        assertThat(routing.expert(token, rank)).isEqualTo(expected[rank]);
        assertThat((double) routing.weight(token, rank))
            .as("token %d, rank %d: raw softmax probability, in double", token, rank)
            .isCloseTo(probabilities[expected[rank]], within(1e-6));
      }
    }
  }

  @Test
  void equalLogitsChooseLowerIndicesFirst() {
    float[] allEqual = {1.25f, 1.25f, 1.25f, 1.25f};
    float[] threeEqual = {0.5f, 2.0f, 2.0f, 2.0f, 0.5f};

    Routing renormalized = SoftmaxTopKRouter.mixtral(4, 2).route(allEqual, 1);
    Routing raw = SoftmaxTopKRouter.qwen(5, 2, TopKNormalization.NONE).route(threeEqual, 1);

    assertThat(renormalized.experts()).as("four-way tie").containsExactly(0, 1);
    assertThat(renormalized.weights()).as("equal halves").containsExactly(0.5f, 0.5f);
    assertThat(raw.experts()).as("three-way tie at the top").containsExactly(1, 2);
  }

  @Test
  void routesFromAnOffset() {
    float[] logits = randomLogits(new Random(41L), 5 * 8);
    float[] tail = Arrays.copyOfRange(logits, 2 * 8, 5 * 8);
    SoftmaxTopKRouter router = SoftmaxTopKRouter.mixtral(8, 2);

    assertThat(router.route(logits, /* offset= */ 2 * 8, /* numTokens= */ 3))
        .as("tokens 2..4 of 5 routed in place equal the same rows copied out")
        .isEqualTo(router.route(tail, 3));
  }

  @Test
  void routesNoTokens() {
    Routing routing = SoftmaxTopKRouter.mixtral(8, 2).route(new float[0], 0);

    assertThat(routing.numTokens()).isZero();
    assertThat(routing.experts()).isEmpty();
  }

  @Test
  void rejectsInvalidSettings() {
    assertThatThrownBy(() -> SoftmaxTopKRouter.mixtral(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid number of experts: 0 (expected: >= 1)");
    assertThatThrownBy(() -> SoftmaxTopKRouter.mixtral(8, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 0 (expected: 1 <= top-k <= 8, the number of experts)");
    assertThatThrownBy(() -> SoftmaxTopKRouter.qwen(8, 9, TopKNormalization.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 9 (expected: 1 <= top-k <= 8, the number of experts)");
    assertThatThrownBy(() -> SoftmaxTopKRouter.qwen(8, 2, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("Invalid top-k normalization: null");
  }

  @Test
  void rejectsInvalidLogits() {
    SoftmaxTopKRouter router = SoftmaxTopKRouter.mixtral(8, 2);
    float[] logits = randomLogits(new Random(53L), 4 * 8);
    logits[3 * 8 + 5] = Float.NaN;

    assertThatThrownBy(() -> router.route(logits, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid router logit NaN for token 3, expert 5 (expected: a finite number)");
    float[] infinite = randomLogits(new Random(59L), 8);
    infinite[2] = Float.NEGATIVE_INFINITY;
    assertThatThrownBy(() -> router.route(infinite, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid router logit -Infinity for token 0, expert 2 (expected: a finite number)");
  }

  @Test
  void rejectsLogitsOfTheWrongShape() {
    SoftmaxTopKRouter router = SoftmaxTopKRouter.mixtral(8, 2);

    assertThatThrownBy(() -> router.route(new float[15], 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid router logits length: 15 (expected: 16 = 2 tokens x 8 experts)");
    assertThatThrownBy(() -> router.route(new float[16], -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid number of tokens: -1 (expected: >= 0)");
    assertThatThrownBy(() -> router.route(new float[20], 5, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid router logits offset: 5 (expected: 0 <= offset <= 4 for 2 tokens x 8 experts"
                + " in 20 logits)");
    assertThatThrownBy(() -> router.route(null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("Invalid router logits: null");
  }

  static float[] randomLogits(Random random, int length) {
    float[] logits = new float[length];
    for (int i = 0; i < length; i++) {
      logits[i] = (float) (random.nextGaussian() * 2.0);
    }
    return logits;
  }

  private static double[] softmax(float[] logits, int from, int numExperts) {
    double max = Double.NEGATIVE_INFINITY;
    for (int e = 0; e < numExperts; e++) {
      max = Math.max(max, logits[from + e]);
    }
    double[] exps = new double[numExperts];
    double sum = 0;
    for (int e = 0; e < numExperts; e++) {
      exps[e] = Math.exp(logits[from + e] - max);
      sum += exps[e];
    }
    for (int e = 0; e < numExperts; e++) {
      exps[e] /= sum;
    }
    return exps;
  }

  /** Sorts all expert indices by probability, descending, ties by index, and keeps the first k. */
  private static int[] bruteForceTopK(double[] probabilities, int topK) {
    return IntStream.range(0, probabilities.length)
        .boxed()
        .sorted(
            Comparator.comparingDouble((Integer e) -> probabilities[e])
                .reversed()
                .thenComparingInt(e -> e))
        .limit(topK)
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
