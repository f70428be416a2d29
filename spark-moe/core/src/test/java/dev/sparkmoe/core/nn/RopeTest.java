package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RoPE's table grows on demand without changing a value, and rotates at given positions. */
class RopeTest {
  private static final int HEAD_DIM = 16;
  private static final int HEADS = 3;
  private static final int WIDTH = HEAD_DIM * HEADS;
  private static final double THETA = 10_000;
  private final Random random = new Random();

  @Test
  void growingTableGivesTheValuesOfAPresizedOne() {
    float[] x = randomArray(40 * WIDTH);
    float[] grown = x.clone();
    float[] presized = x.clone();
    Rope empty = new Rope(HEAD_DIM, THETA);

    empty.apply(grown, 0, WIDTH, 40, HEADS);
    new Rope(HEAD_DIM, 40, THETA).apply(presized, 0, WIDTH, 40, HEADS);

    assertThat(empty.numPositions()).as("grown to cover 40 positions").isGreaterThanOrEqualTo(40);
    assertThat(grown)
        .as("a position's angles do not depend on the table size")
        .containsExactly(presized);
  }

  @Test
  void tokensFromAFirstPositionRotateAsTheTailOfTheWholeSequence() {
    float[] whole = randomArray(20 * WIDTH);
    float[] tail = Arrays.copyOfRange(whole, 13 * WIDTH, 20 * WIDTH);
    Rope rope = new Rope(HEAD_DIM, 4, THETA);

    rope.apply(whole, 0, WIDTH, 20, HEADS);
    rope.apply(tail, 0, WIDTH, 7, HEADS, /* firstPosition= */ 13);

    assertThat(tail).containsExactly(Arrays.copyOfRange(whole, 13 * WIDTH, 20 * WIDTH));
  }

  private float[] randomArray(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }
}
