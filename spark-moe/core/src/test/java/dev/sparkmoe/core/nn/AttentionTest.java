package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.ModelConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Batched attention ({@link Attention#applyRows}) against a naive double-precision causal GQA
 * attention written here from the formulas, sequence by sequence.
 */
class AttentionTest {
  private static final int HIDDEN = 96;
  private static final int HEADS = 6;
  private static final int KV_HEADS = 2;
  private static final int HEAD_DIM = 16;
  private static final double THETA = 10_000;

  private final Random random = new Random();
  private final ModelConfig config =
      ModelConfig.builder(Architecture.MIXTRAL)
          .shape(HIDDEN, 1, 64)
          .heads(HEADS, KV_HEADS, HEAD_DIM)
          .experts(4, 2, 32)
          .ropeTheta(THETA)
          .maxPositionEmbeddings(256)
          .build();

  @Test
  void batchOfSequencesMatchesEachSequenceAlone() {
    int[] rowOffsets = {0, 7, 7, 40, 41, 96}; // one empty sequence, one of a single token
    int total = rowOffsets[rowOffsets.length - 1];
    AttentionWeights weights = randomWeights();
    float[] x = randomArray(total * HIDDEN, 1f);
    float[] out = new float[total * HIDDEN];

    new Attention(config, new Rope(HEAD_DIM, 55, THETA)).applyRows(weights, x, rowOffsets, out);

    // Tolerance: f32 GEMMs and softmax over at most 55 keys against double, values of order 1.
    for (int r = 0; r + 1 < rowOffsets.length; r++) {
      int first = rowOffsets[r];
      int n = rowOffsets[r + 1] - first;
      double[] expected = naive(weights, x, first, n);
      for (int i = 0; i < n * HIDDEN; i++) {
        assertThat((double) out[first * HIDDEN + i])
            .as("sequence %d, element %d", r, i)
            .isCloseTo(
                expected[i],
                org.assertj.core.data.Offset.offset(2e-5 + 2e-5 * Math.abs(expected[i])));
      }
    }
  }

  @Test
  void oneSequenceAtAnOffsetWritesOnlyItsRows() {
    AttentionWeights weights = randomWeights();
    float[] x = randomArray(30 * HIDDEN, 1f);
    float[] out = new float[30 * HIDDEN];
    java.util.Arrays.fill(out, 7f);

    new Attention(config, new Rope(HEAD_DIM, 12, THETA)).apply(weights, x, 10, 12, out);

    double[] expected = naive(weights, x, 10, 12);
    for (int i = 0; i < 30 * HIDDEN; i++) {
      int row = i / HIDDEN;
      if (row < 10 || row >= 22) {
        assertThat(out[i]).as("untouched element %d", i).isEqualTo(7f);
      } else {
        double want = expected[i - 10 * HIDDEN];
        assertThat((double) out[i])
            .isCloseTo(want, org.assertj.core.data.Offset.offset(2e-5 + 2e-5 * Math.abs(want)));
      }
    }
  }

  @Test
  void rejectsFirstPositionsThatAreNotOnePerSequence() {
    Attention attention = new Attention(config, new Rope(HEAD_DIM, THETA));
    float[] x = randomArray(5 * HIDDEN, 1f);

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                attention.applyRows(
                    randomWeights(), x, new int[] {0, 2, 5}, new int[1], new float[x.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid first positions: 1 of them (expected: one per sequence, 2)");
  }

  private AttentionWeights randomWeights() {
    float scale = 1f / (float) Math.sqrt(HIDDEN);
    return new AttentionWeights(
        randomArray(HEADS * HEAD_DIM * HIDDEN, scale),
        randomArray(KV_HEADS * HEAD_DIM * HIDDEN, scale),
        randomArray(KV_HEADS * HEAD_DIM * HIDDEN, scale),
        randomArray(HIDDEN * HEADS * HEAD_DIM, scale));
  }

  private float[] randomArray(int size, float scale) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }

  /**
   * Causal GQA attention of rows [first, first + n) in double, RoPE rotate-half from position 0.
   */
  private static double[] naive(AttentionWeights w, float[] x, int first, int n) {
    double[][] q = project(w.query(), x, first, n, HEADS * HEAD_DIM);
    double[][] k = project(w.key(), x, first, n, KV_HEADS * HEAD_DIM);
    double[][] v = project(w.value(), x, first, n, KV_HEADS * HEAD_DIM);
    rotate(q, HEADS);
    rotate(k, KV_HEADS);
    double[][] context = new double[n][HEADS * HEAD_DIM];
    for (int h = 0; h < HEADS; h++) {
      int kv = h / (HEADS / KV_HEADS);
      for (int i = 0; i < n; i++) {
        double[] p = new double[i + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= i; j++) {
          double dot = 0;
          for (int d = 0; d < HEAD_DIM; d++) {
            dot += q[i][h * HEAD_DIM + d] * k[j][kv * HEAD_DIM + d];
          }
          p[j] = dot / Math.sqrt(HEAD_DIM);
          max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; j++) {
          p[j] = Math.exp(p[j] - max);
          sum += p[j];
        }
        for (int j = 0; j <= i; j++) {
          for (int d = 0; d < HEAD_DIM; d++) {
            context[i][h * HEAD_DIM + d] += p[j] / sum * v[j][kv * HEAD_DIM + d];
          }
        }
      }
    }
    double[] out = new double[n * HIDDEN];
    for (int t = 0; t < n; t++) {
      for (int o = 0; o < HIDDEN; o++) {
        double s = 0;
        for (int c = 0; c < HEADS * HEAD_DIM; c++) {
          s += context[t][c] * w.output()[o * HEADS * HEAD_DIM + c];
        }
        out[t * HIDDEN + o] = s;
      }
    }
    return out;
  }

  private static double[][] project(float[] weight, float[] x, int first, int n, int width) {
    double[][] y = new double[n][width];
    for (int t = 0; t < n; t++) {
      for (int o = 0; o < width; o++) {
        double s = 0;
        for (int i = 0; i < HIDDEN; i++) {
          s += (double) x[(first + t) * HIDDEN + i] * weight[o * HIDDEN + i];
        }
        y[t][o] = s;
      }
    }
    return y;
  }

  private static void rotate(double[][] x, int heads) {
    int half = HEAD_DIM / 2;
    for (int t = 0; t < x.length; t++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < half; i++) {
          double angle = t * Math.pow(THETA, -2.0 * i / HEAD_DIM);
          double x1 = x[t][h * HEAD_DIM + i];
          double x2 = x[t][h * HEAD_DIM + half + i];
          x[t][h * HEAD_DIM + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
          x[t][h * HEAD_DIM + half + i] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
        }
      }
    }
  }
}
