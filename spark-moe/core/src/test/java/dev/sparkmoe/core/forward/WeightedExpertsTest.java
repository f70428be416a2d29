package dev.sparkmoe.core.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shared gather → backend → weight call and the fixed-order sum. */
class WeightedExpertsTest {
  private static final int HIDDEN = 8;
  private static final int FFN = 12;
  private final Random random = new Random();

  @Test
  void groupsEntriesByExpertInEntryOrder() {
    int[][] groups = WeightedExperts.byExpert(new int[] {2, 0, 2, 3, 0});

    assertThat(groups.length).as("experts 0 to 3, the highest present").isEqualTo(4);
    assertThat(groups[0]).containsExactly(1, 4);
    assertThat(groups[1]).isEmpty();
    assertThat(groups[2]).containsExactly(0, 2);
    assertThat(groups[3]).containsExactly(3);
  }

  @Test
  void writesWeightTimesOutputOfTheEntrysRowAndLeavesOtherRows() {
    try (CpuExpertBackend backend = new CpuExpertBackend()) {
      ResidentExpert expert = backend.upload(randomExpert());
      int topK = 2;
      float[] x = randomArray(3 * HIDDEN);
      float[] weights = randomArray(3 * topK);
      float[] out = new float[3 * topK * HIDDEN];
      out[HIDDEN] = 42f; // entry 1 is not selected
      WeightedExperts.compute(
          backend,
          expert,
          new WeightedExperts.Entries(x, HIDDEN, topK, weights),
          new int[] {0, 5},
          out);

      float[] alone = new float[2 * HIDDEN];
      float[] input = new float[2 * HIDDEN];
      System.arraycopy(x, 0, input, 0, HIDDEN); // entry 0 reads token 0
      System.arraycopy(x, 2 * HIDDEN, input, HIDDEN, HIDDEN); // entry 5 reads token 2
      backend.compute(expert, input, 2, alone);
      for (int d = 0; d < HIDDEN; d++) {
        assertThat(out[d]).isEqualTo(alone[d] * weights[0]);
        assertThat(out[5 * HIDDEN + d]).isEqualTo(alone[HIDDEN + d] * weights[5]);
      }
      assertThat(out[HIDDEN]).as("an entry not selected is untouched").isEqualTo(42f);
    }
  }

  @Test
  void sumsEachTokenInAscendingExpertIdWhateverThePartOrder() {
    float[] a = randomArray(HIDDEN);
    float[] b = randomArray(HIDDEN);
    float[] c = randomArray(HIDDEN);
    ExpertSum.Part first = new ExpertSum.Part(new int[] {1, 0}, new int[] {5, 2}, concat(a, b));
    ExpertSum.Part second = new ExpertSum.Part(new int[] {1}, new int[] {3}, c);

    float[] sum = ExpertSum.sum(3, HIDDEN, List.of(first, second));
    float[] swapped = ExpertSum.sum(3, HIDDEN, List.of(second, first));

    assertThat(swapped).containsExactly(sum);
    for (int d = 0; d < HIDDEN; d++) {
      assertThat(sum[d]).as("token 0: expert 2 alone").isEqualTo(0f + b[d]);
      assertThat(sum[HIDDEN + d]).as("token 1: expert 3, then 5").isEqualTo(0f + c[d] + a[d]);
      assertThat(sum[2 * HIDDEN + d]).as("token 2: no expert").isEqualTo(0f);
    }
  }

  private ExpertWeights randomExpert() {
    return new ExpertWeights(
        0, 0, HIDDEN, FFN, randomArray(2 * FFN * HIDDEN), randomArray(HIDDEN * FFN));
  }

  private float[] randomArray(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
