package dev.sparkmoe.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.batch.DispatchBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CapacityTest {
  private final Random random = new Random();

  @Test
  void capacityIsTheCeilingOfTheFactorTimesTheEvenShare() {
    assertThat(Capacity.of(1.25, 100, 2, 8))
        .as("ceil(1.25 x 100 x 2 / 8) = ceil(31.25)")
        .isEqualTo(32);
    assertThat(Capacity.of(1.0, 64, 2, 8)).as("exactly the even share").isEqualTo(16);
    assertThat(Capacity.of(0.01, 10, 1, 8)).as("never below 1 token of work").isEqualTo(1);
  }

  @Test
  void rejectsFactorsThatAreNotPositive() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Capacity.of(bad, 10, 2, 8))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Invalid capacity factor: "
                  + bad
                  + " (expected: a positive number; unset for dropless)");
    }
  }

  /** Thresholds and drops of parts merged in any order, against sorting all weights at once. */
  @Test
  void mergedPartsGiveTheThresholdsOfTheWholeInput() {
    int experts = 6;
    long capacity = 1 + random.nextInt(40);
    List<float[][]> parts = new ArrayList<>();
    List<List<Float>> all = new ArrayList<>();
    for (int e = 0; e < experts; e++) {
      all.add(new ArrayList<>());
    }
    for (int p = 0; p < 5; p++) {
      float[][] part = new float[experts][];
      for (int e = 0; e < experts; e++) {
        part[e] = new float[random.nextInt(30)];
        for (int i = 0; i < part[e].length; i++) {
          // a coarse grid, so that ties at the threshold happen
          part[e][i] = random.nextInt(20) / 20f;
          all.get(e).add(part[e][i]);
        }
      }
      parts.add(part);
    }
    Collections.shuffle(parts, random);
    Capacity.TopWeights merged = null;
    for (float[][] part : parts) {
      Capacity.TopWeights top = Capacity.TopWeights.of(capacity, part);
      merged = merged == null ? top : top.plus(merged);
    }
    for (int e = 0; e < experts; e++) {
      List<Float> sorted = new ArrayList<>(all.get(e));
      sorted.sort(Collections.reverseOrder());
      float threshold =
          sorted.size() > capacity ? sorted.get((int) capacity) : Float.NEGATIVE_INFINITY;
      long kept = sorted.stream().filter(w -> w > threshold).count();
      assertThat(merged.thresholds()[e])
          .as("expert %d, capacity %d", e, capacity)
          .isEqualTo(threshold);
      assertThat(merged.dropped()[e]).as("expert %d dropped", e).isEqualTo(sorted.size() - kept);
      assertThat(kept).as("never more than the capacity").isLessThanOrEqualTo(capacity);
    }
  }

  @Test
  void tiesAtTheThresholdAreDroppedTogether() {
    Capacity.TopWeights top =
        Capacity.TopWeights.of(2, new float[][] {{0.9f, 0.5f, 0.5f, 0.5f, 0.1f}, {0.3f}});
    assertThat(top.thresholds()).containsExactly(0.5f, Capacity.KEEP_ALL);
    assertThat(top.dropped()).as("0.9 kept; the three 0.5 and 0.1 dropped").containsExactly(4, 0);
  }

  @Test
  void keepRemovesTheEntriesAtOrBelowTheirExpertsThreshold() {
    int hidden = 3;
    float[] activations = new float[4 * hidden];
    for (int i = 0; i < activations.length; i++) {
      activations[i] = random.nextFloat();
    }
    DispatchBatch batch =
        new DispatchBatch(
            1,
            2,
            hidden,
            new long[] {10, 11, 12, 13},
            new int[] {0, 1, 2, 3},
            new int[] {0, 1, 0, 1},
            new float[] {0.2f, 0.7f, 0.6f, 0.5f},
            activations);
    DispatchBatch kept = Capacity.keep(batch, new float[] {0.2f, 0.5f});
    assertThat(kept.rowKeys()).containsExactly(11, 12);
    assertThat(kept.experts()).containsExactly(1, 0);
    assertThat(kept.weights()).containsExactly(0.7f, 0.6f);
    assertThat(kept.activations())
        .containsExactly(Arrays.copyOfRange(activations, hidden, 3 * hidden));
    assertThat(kept.layer()).isEqualTo(1);
    assertThat(kept.sourcePartition()).isEqualTo(2);
    assertThat(Capacity.keep(batch, new float[] {Capacity.KEEP_ALL, Capacity.KEEP_ALL}))
        .as("nothing to drop: the same batch")
        .isSameAs(batch);
  }
}
