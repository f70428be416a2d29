package dev.sparkmoe.core.generate;

import dev.sparkmoe.core.nn.Activations;
import java.util.Arrays;

/**
 * Chooses a row's next token from its logits, as {@code transformers} processes them: tokens that
 * may not end the row yet are masked, then greedy takes the first most likely token; sampling
 * divides by the temperature, keeps the top k, the top p and those above min-p times the most
 * likely probability, and draws from what is left with the row's counter-based generator, so the
 * draw depends only on (seed, row id, step). The log-probability reported is the chosen token's
 * under the unmodified distribution. Stateless and thread-safe.
 */
public final class Sampler {
  private Sampler() {}

  /** The chosen token and its log-probability under the unmodified logits. */
  public record Choice(int token, double logprob) {}

  /** The generator stream of row {@code rowId} under {@code seed}. */
  public static long stream(long seed, Object rowId) {
    return CounterRandom.stream(seed, String.valueOf(rowId));
  }

  /**
   * @param logits the row's next-token logits, [vocab]; not modified
   * @param masked token ids that may not be chosen (end-of-sequence and stop ids before
   *     min-new-tokens); empty for none
   * @param stream the row's stream ({@link #stream})
   * @param step the index of the new token, from 0
   */
  public static Choice choose(
      float[] logits, SamplingParams params, int[] masked, long stream, int step) {
    double logSumExp = Activations.logSumExp(logits, 0, logits.length);
    double[] scores = new double[logits.length];
    for (int v = 0; v < logits.length; v++) {
      scores[v] = logits[v];
    }
    for (int id : masked) {
      if (id >= 0 && id < scores.length) {
        scores[id] = Double.NEGATIVE_INFINITY;
      }
    }
    int token =
        params.isGreedy()
            ? argmax(scores)
            : draw(filtered(scores, params), CounterRandom.unit(stream, step));
    return new Choice(token, logits[token] - logSumExp);
  }

  /**
   * The sampling distribution after temperature, top-k, top-p and min-p: probabilities over the
   * vocabulary, zero for excluded tokens, summing to 1.
   */
  public static double[] distribution(float[] logits, SamplingParams params) {
    double[] scores = new double[logits.length];
    for (int v = 0; v < logits.length; v++) {
      scores[v] = logits[v];
    }
    return filtered(scores, params);
  }

  private static double[] filtered(double[] scores, SamplingParams params) {
    double[] probs = softmax(scores, params.temperature());
    int vocab = probs.length;
    Integer[] order = new Integer[vocab];
    for (int v = 0; v < vocab; v++) {
      order[v] = v;
    }
    // Most likely first; equal probabilities by ascending id, so the cut is deterministic.
    Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : a - b);
    boolean[] keep = new boolean[vocab];
    Arrays.fill(keep, true);
    if (params.topK() > 0 && params.topK() < vocab) {
      double kth = probs[order[params.topK() - 1]];
      for (int v = 0; v < vocab; v++) {
        keep[v] = probs[v] >= kth; // ties with the k-th are kept, as transformers keeps them
      }
    }
    if (params.topP() < 1) {
      double kept = 0;
      for (int v : order) {
        if (keep[v]) {
          kept += probs[v];
        }
      }
      double before = 0;
      for (int v : order) {
        if (!keep[v]) {
          continue;
        }
        if (before >= params.topP() * kept) {
          keep[v] = false;
        }
        before += probs[v];
      }
    }
    if (params.minP() > 0) {
      double floor = params.minP() * probs[order[0]];
      for (int v = 0; v < vocab; v++) {
        keep[v] &= probs[v] >= floor;
      }
    }
    keep[order[0]] = true; // at least one token stays
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += keep[v] ? probs[v] : 0;
    }
    double[] out = new double[vocab];
    for (int v = 0; v < vocab; v++) {
      out[v] = keep[v] ? probs[v] / sum : 0;
    }
    return out;
  }

  private static double[] softmax(double[] scores, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (double s : scores) {
      max = Math.max(max, s);
    }
    double[] probs = new double[scores.length];
    double sum = 0;
    for (int v = 0; v < scores.length; v++) {
      probs[v] = Math.exp((scores[v] - max) / temperature);
      sum += probs[v];
    }
    for (int v = 0; v < scores.length; v++) {
      probs[v] /= sum;
    }
    return probs;
  }

  /** The first token whose cumulative probability passes {@code u}, in id order. */
  private static int draw(double[] probs, double u) {
    double cumulative = 0;
    int last = 0;
    for (int v = 0; v < probs.length; v++) {
      if (probs[v] > 0) {
        cumulative += probs[v];
        last = v;
        if (u < cumulative) {
          return v;
        }
      }
    }
    return last; // u within rounding of 1
  }

  private static int argmax(double[] scores) {
    int best = 0;
    for (int v = 1; v < scores.length; v++) {
      if (scores[v] > scores[best]) {
        best = v;
      }
    }
    return best;
  }
}
