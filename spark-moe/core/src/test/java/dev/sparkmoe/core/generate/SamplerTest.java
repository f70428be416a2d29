package dev.sparkmoe.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sampler against the distributions it must draw from, tested statistically: frequencies over
 * many seeded draws against the softmax (chi-square at significance 0.001), and exclusion by top-k,
 * top-p and min-p checked on every draw.
 */
class SamplerTest {
  private static final int DRAWS = 40_000;

  /** The upper 0.001 quantile of the standard normal, for the chi-square critical value. */
  private static final double Z_999 = 3.0902;

  private static float[] logits(long seed, int vocab, double spread) {
    Random random = new Random(seed);
    float[] logits = new float[vocab];
    for (int v = 0; v < vocab; v++) {
      logits[v] = (float) (random.nextGaussian() * spread);
    }
    return logits;
  }

  private static SamplingParams params(double temperature, int topK, double topP, double minP) {
    return new SamplingParams(16, 0, temperature, topK, topP, minP, 1234, new int[0], false);
  }

  private static double[] softmax(float[] logits, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int v = 0; v < p.length; v++) {
      p[v] = Math.exp((logits[v] - max) / temperature);
      sum += p[v];
    }
    for (int v = 0; v < p.length; v++) {
      p[v] /= sum;
    }
    return p;
  }

  /** Counts of {@link #DRAWS} draws, one per row id at step 3 (the generator's key). */
  private static long[] counts(float[] logits, SamplingParams params) {
    long[] counts = new long[logits.length];
    for (int row = 0; row < DRAWS; row++) {
      long stream = Sampler.stream(params.seed(), "row-" + row);
      counts[Sampler.choose(logits, params, new int[0], stream, 3).token()]++;
    }
    return counts;
  }

  /**
   * Pearson's statistic over bins of expected count >= 5 (the rarer tokens pooled into one bin),
   * and its critical value at 0.001 by the Wilson-Hilferty approximation.
   */
  private static void assertChiSquare(long[] counts, double[] expected, String label) {
    double statistic = 0;
    int bins = 0;
    double pooledExpected = 0;
    long pooledObserved = 0;
    for (int v = 0; v < counts.length; v++) {
      double e = expected[v] * DRAWS;
      if (e >= 5) {
        statistic += (counts[v] - e) * (counts[v] - e) / e;
        bins++;
      } else {
        pooledExpected += e;
        pooledObserved += counts[v];
      }
    }
    if (pooledExpected >= 5) {
      statistic +=
          (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
      bins++;
    }
    int df = bins - 1;
    double critical = df * Math.pow(1 - 2.0 / (9 * df) + Z_999 * Math.sqrt(2.0 / (9 * df)), 3);
    assertThat(df).as(label + ": bins").isGreaterThan(5);
    assertThat(statistic)
        .as("%s: chi-square over %d bins, critical value at 0.001: %.1f", label, bins, critical)
        .isLessThan(critical);
  }

  @Test
  void frequenciesAtTemperatureOneMatchTheSoftmax() {
    float[] logits = logits(1, 64, 1.5);
    assertChiSquare(counts(logits, params(1, 0, 1, 0)), softmax(logits, 1), "temperature 1");
  }

  @Test
  void frequenciesAtTemperatureHalfMatchTheSharperSoftmax() {
    float[] logits = logits(2, 64, 1.0);
    assertChiSquare(counts(logits, params(0.5, 0, 1, 0)), softmax(logits, 0.5), "temperature 0.5");
  }

  @Test
  void aWrongDistributionFailsTheSameChiSquare() {
    float[] logits = logits(1, 64, 1.5);
    long[] drawn = counts(logits, params(1, 0, 1, 0));
    assertThatThrownBy(() -> assertChiSquare(drawn, softmax(logits, 1.25), "temperature 1.25"))
        .as("the test can tell temperature 1 from 1.25")
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("chi-square");
  }

  @Test
  void topKNeverEmitsATokenOutsideTheKMostLikely() {
    float[] logits = logits(3, 100, 1.0);
    long[] counts = counts(logits, params(1, 12, 1, 0));
    Integer[] order = byDescendingLogit(logits);
    for (int rank = 0; rank < order.length; rank++) {
      if (rank < 12) {
        assertThat(counts[order[rank]]).as("rank %d drawn", rank).isPositive();
      } else {
        assertThat(counts[order[rank]]).as("rank %d excluded by top-k 12", rank).isZero();
      }
    }
    double[] kept = new double[100];
    double[] p = softmax(logits, 1);
    double sum = 0;
    for (int rank = 0; rank < 12; rank++) {
      sum += p[order[rank]];
    }
    for (int rank = 0; rank < 12; rank++) {
      kept[order[rank]] = p[order[rank]] / sum;
    }
    assertChiSquare(counts, kept, "top-k 12, renormalized");
  }

  @Test
  void topPKeepsTheSmallestSetReachingP() {
    float[] logits = logits(4, 100, 2.0);
    double[] p = softmax(logits, 1);
    Integer[] order = byDescendingLogit(logits);
    int needed = 0;
    double cumulative = 0;
    while (cumulative < 0.8) {
      cumulative += p[order[needed++]];
    }
    long[] counts = counts(logits, params(1, 0, 0.8, 0));
    for (int rank = 0; rank < order.length; rank++) {
      if (rank >= needed) {
        assertThat(counts[order[rank]]).as("rank %d beyond the top-p 0.8 set", rank).isZero();
      }
    }
    assertThat(counts[order[needed - 1]]).as("the last token of the set is drawn").isPositive();
  }

  @Test
  void minPDropsTokensBelowItsShareOfTheMostLikely() {
    float[] logits = logits(5, 100, 0.7);
    double[] p = softmax(logits, 1);
    double max = Arrays.stream(p).max().orElseThrow();
    long[] counts = counts(logits, params(1, 0, 1, 0.1));
    int allowed = 0;
    for (int v = 0; v < p.length; v++) {
      if (p[v] < 0.1 * max) {
        assertThat(counts[v]).as("token %d below min-p 0.1", v).isZero();
      } else {
        allowed++;
      }
    }
    assertThat(allowed).as("min-p leaves a choice").isGreaterThan(3);
  }

  @Test
  void greedyTakesTheArgmaxAndReportsItsUnmodifiedLogprob() {
    float[] logits = logits(6, 50, 1.0);
    Integer[] order = byDescendingLogit(logits);
    Sampler.Choice choice = Sampler.choose(logits, params(0, 0, 1, 0), new int[0], 0, 0);
    assertThat(choice.token()).isEqualTo(order[0]);
    assertThat(choice.logprob()).isCloseTo(Math.log(softmax(logits, 1)[order[0]]), within(1e-6));

    Sampler.Choice masked = Sampler.choose(logits, params(0, 0, 1, 0), new int[] {order[0]}, 0, 0);
    assertThat(masked.token()).as("the best token masked: the second").isEqualTo(order[1]);
    assertThat(masked.logprob())
        .as("from the unmodified distribution")
        .isCloseTo(Math.log(softmax(logits, 1)[order[1]]), within(1e-6));
  }

  @Test
  void aDrawDependsOnlyOnSeedRowAndStep() {
    float[] logits = logits(7, 200, 0.5);
    SamplingParams params = params(1, 0, 1, 0);
    long stream = Sampler.stream(1234, 42L);
    int[] first = new int[20];
    for (int step = 0; step < 20; step++) {
      first[step] = Sampler.choose(logits, params, new int[0], stream, step).token();
    }
    for (int step = 19; step >= 0; step--) {
      assertThat(
              Sampler.choose(logits, params, new int[0], Sampler.stream(1234, 42L), step).token())
          .as("step %d drawn again, in another order", step)
          .isEqualTo(first[step]);
    }
    int differ = 0;
    for (int step = 0; step < 20; step++) {
      differ +=
          Sampler.choose(logits, params, new int[0], Sampler.stream(1235, 42L), step).token()
                  != first[step]
              ? 1
              : 0;
    }
    assertThat(differ).as("another seed draws other tokens").isGreaterThan(10);
  }

  @Test
  void invalidParametersFailNamingTheOption() {
    assertThatThrownBy(() -> params(-1, 0, 1, 0))
        .hasMessage("Invalid temperature: -1.0 (expected: a finite number >= 0; 0 is greedy)");
    assertThatThrownBy(() -> params(1, 0, 0, 0))
        .hasMessage("Invalid top-p: 0.0 (expected: 0 < top-p <= 1; 1 keeps all)");
    assertThatThrownBy(() -> new SamplingParams(4, 5, 0, 0, 1, 0, 0, new int[0], false))
        .hasMessage(
            "Invalid min-new-tokens: 5 (expected: 0 <= min-new-tokens <= max-new-tokens 4)");
  }

  private static Integer[] byDescendingLogit(float[] logits) {
    Integer[] order = new Integer[logits.length];
    for (int v = 0; v < order.length; v++) {
      order[v] = v;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
    return order;
  }
}
