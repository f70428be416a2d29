package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.Activations;
import dev.sparkmoe.core.nn.Gemm;

/**
 * Turns final hidden states into the per-row outputs of each {@link OutputKind}. Log-probabilities
 * are taken from f32 logits with a double-precision log-sum-exp. Thread-safe.
 */
public final class OutputHead {
  /** Positions whose logits are computed at once when scoring, to bound memory for long rows. */
  private static final int SCORE_BLOCK = 64;

  private final int hidden;
  private final int vocab;
  private final float[] lmHead;

  public OutputHead(ModelConfig config, float[] lmHead) {
    this.hidden = config.hiddenSize();
    this.vocab = config.vocabSize();
    this.lmHead = lmHead;
  }

  /** The most likely next token and its log-probability. */
  public record NextToken(int token, double logprob) {}

  /** Causal log-likelihood of a row and its token count. */
  public record Score(double logLikelihood, int numTokens) {}

  public float[] embedding(FinalHidden states, int row) {
    int start = states.rowStart(row);
    int n = states.rowLength(row);
    double[] sum = new double[hidden];
    for (int t = 0; t < n; t++) {
      int base = (start + t) * hidden;
      for (int i = 0; i < hidden; i++) {
        sum[i] += states.states()[base + i];
      }
    }
    float[] mean = new float[hidden];
    for (int i = 0; i < hidden; i++) {
      mean[i] = (float) (sum[i] / n);
    }
    return mean;
  }

  /** The logits at the row's last position: its next-token distribution, [vocab]. */
  public float[] lastLogits(FinalHidden states, int row) {
    return logits(states.states(), states.rowStart(row) + states.rowLength(row) - 1, 1);
  }

  /**
   * The logits at every row's last position in one product (the LM head read once, not once per
   * row): [numRows, vocab]; rows must not be empty.
   */
  public float[] lastLogits(FinalHidden states) {
    int rows = states.numRows();
    float[] last = new float[rows * hidden];
    for (int r = 0; r < rows; r++) {
      int at = (states.rowStart(r) + states.rowLength(r) - 1) * hidden;
      System.arraycopy(states.states(), at, last, r * hidden, hidden);
    }
    return logits(last, 0, rows);
  }

  public NextToken nextToken(FinalHidden states, int row) {
    float[] logits = lastLogits(states, row);
    int best = 0;
    for (int v = 1; v < vocab; v++) {
      if (logits[v] > logits[best]) {
        best = v;
      }
    }
    return new NextToken(best, logits[best] - Activations.logSumExp(logits, 0, vocab));
  }

  /** Needs the row's tokens: position t's logits score token t + 1. */
  public Score score(FinalHidden states, int row, int[] tokens) {
    int start = states.rowStart(row);
    int n = states.rowLength(row);
    double total = 0;
    for (int from = 0; from < n - 1; from += SCORE_BLOCK) {
      int count = Math.min(SCORE_BLOCK, n - 1 - from);
      float[] logits = logits(states.states(), start + from, count);
      for (int i = 0; i < count; i++) {
        int target = tokens[from + i + 1];
        total += logits[i * vocab + target] - Activations.logSumExp(logits, i * vocab, vocab);
      }
    }
    return new Score(total, n);
  }

  public float[][] hidden(FinalHidden states, int row) {
    int start = states.rowStart(row);
    float[][] out = new float[states.rowLength(row)][];
    for (int t = 0; t < out.length; t++) {
      int base = (start + t) * hidden;
      out[t] = java.util.Arrays.copyOfRange(states.states(), base, base + hidden);
    }
    return out;
  }

  private float[] logits(float[] states, int firstToken, int count) {
    float[] logits = new float[count * vocab];
    Gemm.multiplyTransposed(
        states,
        firstToken * hidden,
        hidden,
        count,
        hidden,
        lmHead,
        0,
        hidden,
        vocab,
        logits,
        0,
        vocab);
    return logits;
  }
}
