package dev.sparkmoe.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.batch.CombineBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The combine's fixed order: per token, ascending expert, and a tensor-parallel expert's partial
 * outputs next to each other in ascending order of their values, whatever the arrival order.
 */
class CombinerTest {
  private static final int HIDDEN = 4;
  private final Random random = new Random();

  @Test
  void sumsInAFixedOrderWhateverTheArrivalOrder() {
    OwnerState state =
        new OwnerState(
            3,
            new Object[] {10L, 11L},
            new int[][] {{1, 2}, {3}},
            new int[] {0, 2, 3},
            new float[3 * HIDDEN]);
    long row0 = state.rowKey(0);
    long row1 = state.rowKey(1);
    // token 0: expert 1 in two tensor-parallel partials, expert 3 whole; token 2: expert 0 whole
    float[] partialA = vector();
    float[] partialB = vector();
    float[] expert3 = vector();
    float[] token2 = vector();
    List<Entry> entries =
        new ArrayList<>(
            List.of(
                new Entry(row0, 0, 1, partialA),
                new Entry(row0, 0, 3, expert3),
                new Entry(row0, 0, 1, partialB),
                new Entry(row1, 0, 0, token2)));
    float[] first = null;
    for (int trial = 0; trial < 24; trial++) {
      Collections.shuffle(entries, random);
      float[] moe = Combiner.sum(state, batches(entries), HIDDEN);
      if (first == null) {
        first = moe;
      }
      assertThat(moe).as("arrival order %s", entries).containsExactly(first);
    }
    boolean aFirst = Arrays.compare(partialA, partialB) <= 0;
    float[] low = aFirst ? partialA : partialB;
    float[] high = aFirst ? partialB : partialA;
    for (int d = 0; d < HIDDEN; d++) {
      float expected = 0f;
      expected += low[d];
      expected += high[d];
      expected += expert3[d];
      assertThat(first[d])
          .as("token 0, dimension %d: expert 1 (low, high), then 3", d)
          .isEqualTo(expected);
      assertThat(first[HIDDEN + d]).as("token 1: nothing arrived").isZero();
      assertThat(first[2 * HIDDEN + d]).isEqualTo(token2[d]);
    }
  }

  private record Entry(long rowKey, int position, int expert, float[] output) {}

  /** The entries in one, two or four batches. */
  private List<CombineBatch> batches(List<Entry> entries) {
    int per = 1 << random.nextInt(3);
    List<CombineBatch> out = new ArrayList<>();
    for (int from = 0; from < entries.size(); from += per) {
      List<Entry> part = entries.subList(from, Math.min(entries.size(), from + per));
      float[] outputs = new float[part.size() * HIDDEN];
      for (int i = 0; i < part.size(); i++) {
        System.arraycopy(part.get(i).output(), 0, outputs, i * HIDDEN, HIDDEN);
      }
      out.add(
          new CombineBatch(
              0,
              3,
              HIDDEN,
              part.stream().mapToLong(Entry::rowKey).toArray(),
              part.stream().mapToInt(Entry::position).toArray(),
              part.stream().mapToInt(Entry::expert).toArray(),
              outputs));
    }
    return out;
  }

  private float[] vector() {
    float[] v = new float[HIDDEN];
    for (int i = 0; i < HIDDEN; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
