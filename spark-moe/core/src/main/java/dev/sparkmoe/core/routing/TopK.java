package dev.sparkmoe.core.routing;

/**
 * Top-k selection over one row of scores, in descending score order with ties broken by lower
 * index, without allocating.
 *
 * <p>Keeps a sorted run of the best {@code k} so far and inserts into it, so a row of {@code n}
 * scores costs {@code O(n)} comparisons when most scores miss the run and {@code O(n·k)} at worst;
 * routers have {@code k <= 8} and {@code n <= 256}, where this beats a heap.
 */
final class TopK {
  private TopK() {}

  /**
   * Writes the indices (relative to {@code from}) and scores of the {@code k} highest of {@code
   * scores[from, from + length)} to {@code topIndices[at, at + k)} and {@code topScores[at, at +
   * k)}, best first. The scores must not be NaN.
   */
  static void select(
      float[] scores, int from, int length, int k, int[] topIndices, float[] topScores, int at) {
    int size = 0;
    for (int i = 0; i < length; i++) {
      float score = scores[from + i];
      if (size < k) {
        insert(score, i, at + size, at, topIndices, topScores);
        size++;
      } else if (score > topScores[at + k - 1]) {
        insert(score, i, at + k - 1, at, topIndices, topScores);
      }
    }
  }

  /**
   * Inserts at or before {@code slot}, dropping what was in {@code slot}. The strict comparison
   * keeps an earlier index ahead of a later one with an equal score, as indices arrive in order.
   */
  private static void insert(
      float score, int index, int slot, int at, int[] topIndices, float[] topScores) {
    int pos = slot;
    while (pos > at && score > topScores[pos - 1]) {
      topScores[pos] = topScores[pos - 1];
      topIndices[pos] = topIndices[pos - 1];
      pos--;
    }
    topScores[pos] = score;
    topIndices[pos] = index;
  }
}
