package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;

/**
 * The routed-expert call both the in-process forward ({@link MoeBlock}) and the pipeline's expert
 * side run: gather the entries of one expert, one backend call on all of them, multiply each output
 * by its routing weight. An entry is one (token, expert) choice; the product is rounded to f32
 * before any sum, so every caller that sums the weighted outputs with {@link ExpertSum} adds the
 * same floats in the same order. Stateless and thread-safe if the backend is.
 */
public final class WeightedExperts {
  private WeightedExperts() {}

  /**
   * The entries routed to some experts, and their inputs.
   *
   * @param activations normalized inputs, row-major [rows, hidden]; not copied
   * @param hidden the hidden size
   * @param entriesPerRow entry i reads row {@code i / entriesPerRow} ({@code topK} for a routing,
   *     whose choices of token t are entries {@code [t · topK, (t + 1) · topK)}; 1 for a dispatch
   *     batch, one entry per row)
   * @param weights the routing weight of every entry; not copied
   */
  @SuppressWarnings("ArrayRecordComponent") // views of the caller's arrays, never copied
  public record Entries(float[] activations, int hidden, int entriesPerRow, float[] weights) {}

  /**
   * For each expert id {@code e} up to the highest one present, the entries that chose it, in
   * ascending entry order; empty for an expert no entry chose.
   */
  public static int[][] byExpert(int[] experts) {
    int numExperts = 0;
    for (int expert : experts) {
      numExperts = Math.max(numExperts, expert + 1);
    }
    int[] counts = new int[numExperts];
    for (int expert : experts) {
      counts[expert]++;
    }
    int[][] groups = new int[numExperts][];
    for (int e = 0; e < numExperts; e++) {
      groups[e] = new int[counts[e]];
    }
    int[] fill = new int[numExperts];
    for (int i = 0; i < experts.length; i++) {
      groups[experts[i]][fill[experts[i]]++] = i;
    }
    return groups;
  }

  /**
   * Computes {@code expert} on the inputs of {@code selected} entries in one backend call and
   * writes {@code weight · output} of entry i to row i of {@code out} ([entries, hidden]); other
   * rows are untouched.
   */
  public static void compute(
      ExpertBackend backend, ResidentExpert expert, Entries entries, int[] selected, float[] out) {
    int hidden = entries.hidden();
    int count = selected.length;
    float[] input = new float[count * hidden];
    for (int i = 0; i < count; i++) {
      int row = selected[i] / entries.entriesPerRow();
      System.arraycopy(entries.activations(), row * hidden, input, i * hidden, hidden);
    }
    float[] output = new float[count * hidden];
    backend.compute(expert, input, count, output);
    for (int i = 0; i < count; i++) {
      float weight = entries.weights()[selected[i]];
      int src = i * hidden;
      int dst = selected[i] * hidden;
      for (int d = 0; d < hidden; d++) {
        out[dst + d] = output[src + d] * weight;
      }
    }
  }
}
