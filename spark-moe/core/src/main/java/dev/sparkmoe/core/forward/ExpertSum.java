package dev.sparkmoe.core.forward;

import java.util.Arrays;
import java.util.List;

/**
 * The MoE output of a batch of tokens: per token, the sum of its weighted expert outputs in a fixed
 * order — ascending expert id, starting from 0 — whatever order they were computed or arrived in,
 * so results do not depend on placement, partitioning or arrival. A tensor-parallel expert gives a
 * token one partial output per shard: those are summed next to each other, in ascending order of
 * their values (lexicographic over the vector, a total order on float bits), so their order too is
 * fixed. The in-process forward and the pipeline's combine both sum here. Stateless, thread-safe.
 */
public final class ExpertSum {
  private ExpertSum() {}

  /**
   * One group of weighted expert outputs: entry i is expert {@code experts[i]}'s output for token
   * {@code tokens[i]}, row i of {@code outputs} ([entries, hidden]). Views, never copied.
   */
  @SuppressWarnings("ArrayRecordComponent") // views of the caller's arrays, never copied
  public record Part(int[] tokens, int[] experts, float[] outputs) {}

  /** The sum [numTokens, hidden]: zero for a token with no entry. */
  public static float[] sum(int numTokens, int hidden, List<Part> parts) {
    int[] start = new int[numTokens + 1];
    for (Part part : parts) {
      for (int token : part.tokens()) {
        start[token + 1]++;
      }
    }
    for (int t = 0; t < numTokens; t++) {
      start[t + 1] += start[t];
    }
    Order order = new Order(parts, hidden, start[numTokens]);
    int[] fill = start.clone();
    for (int p = 0; p < parts.size(); p++) {
      Part part = parts.get(p);
      for (int i = 0; i < part.tokens().length; i++) {
        order.set(fill[part.tokens()[i]]++, p, i);
      }
    }
    float[] sum = new float[numTokens * hidden];
    for (int t = 0; t < numTokens; t++) {
      order.sort(start[t], start[t + 1]);
      for (int c = start[t]; c < start[t + 1]; c++) {
        float[] outputs = parts.get(order.partOf[c]).outputs();
        int src = order.entryOf[c] * hidden;
        int dst = t * hidden;
        for (int d = 0; d < hidden; d++) {
          sum[dst + d] += outputs[src + d];
        }
      }
    }
    return sum;
  }

  /** Every entry by token, then (after {@link #sort}) by expert id and output vector. */
  private static final class Order {
    private final List<Part> parts;
    private final int hidden;
    private final int[] partOf;
    private final int[] entryOf;
    private final int[] expertOf;

    Order(List<Part> parts, int hidden, int size) {
      this.parts = parts;
      this.hidden = hidden;
      this.partOf = new int[size];
      this.entryOf = new int[size];
      this.expertOf = new int[size];
    }

    void set(int at, int part, int entry) {
      partOf[at] = part;
      entryOf[at] = entry;
      expertOf[at] = parts.get(part).experts()[entry];
    }

    /** Insertion sort of a token's few entries (top-k, times the shards of TP experts). */
    void sort(int from, int to) {
      for (int i = from + 1; i < to; i++) {
        int p = partOf[i];
        int e = entryOf[i];
        int x = expertOf[i];
        int j = i - 1;
        while (j >= from && (expertOf[j] > x || expertOf[j] == x && compare(j, p, e) > 0)) {
          partOf[j + 1] = partOf[j];
          entryOf[j + 1] = entryOf[j];
          expertOf[j + 1] = expertOf[j];
          j--;
        }
        partOf[j + 1] = p;
        entryOf[j + 1] = e;
        expertOf[j + 1] = x;
      }
    }

    private int compare(int at, int part, int entry) {
      float[] a = parts.get(partOf[at]).outputs();
      float[] b = parts.get(part).outputs();
      int ea = entryOf[at];
      return Arrays.compare(
          a, ea * hidden, (ea + 1) * hidden, b, entry * hidden, (entry + 1) * hidden);
    }
  }
}
