package dev.sparkmoe.core.routing;

import java.util.Arrays;
import java.util.Objects;

/**
 * The experts chosen for a batch of tokens and their weights.
 *
 * <p>Token {@code t}'s choices are at {@code [t * topK, (t + 1) * topK)} of {@code experts} and
 * {@code weights}, in descending order of the score the router selected on, lower expert index
 * first on equal scores. The weights need not follow that order: a router may select on one score
 * and weigh by another.
 *
 * <p>The arrays are owned by the record and are not copied, neither by the constructor nor by the
 * accessors, because routing runs for every token of every layer. Callers hand them over on
 * construction and must not modify them afterwards. {@link #equals} and {@link #hashCode} compare
 * the arrays' contents.
 *
 * @param numTokens the number of tokens, {@code >= 0}
 * @param topK the number of experts chosen per token, {@code >= 1}
 * @param experts expert indices, length {@code numTokens * topK}
 * @param weights fp32 weights, one per expert choice, length {@code numTokens * topK}
 */
@SuppressWarnings("ArrayRecordComponent") // owned, not copied: see above
public record Routing(int numTokens, int topK, int[] experts, float[] weights) {
  public Routing {
    RouterChecks.checkNumTokens(numTokens);
    if (topK < 1) {
      throw new IllegalArgumentException(String.format("Invalid top-k: %d (expected: >= 1)", topK));
    }
    Objects.requireNonNull(experts, "Invalid routing experts: null");
    Objects.requireNonNull(weights, "Invalid routing weights: null");
    checkLength("experts", experts.length, numTokens, topK);
    checkLength("weights", weights.length, numTokens, topK);
  }

  /** The expert of token {@code token}'s choice {@code rank}, rank 0 being the best. */
  public int expert(int token, int rank) {
    return experts[index(token, rank)];
  }

  /** The weight of token {@code token}'s choice {@code rank}, rank 0 being the best. */
  public float weight(int token, int rank) {
    return weights[index(token, rank)];
  }

  private int index(int token, int rank) {
    if (token < 0 || token >= numTokens) {
      throw new IndexOutOfBoundsException(
          String.format("Invalid token: %d (expected: 0 <= token < %d)", token, numTokens));
    }
    if (rank < 0 || rank >= topK) {
      throw new IndexOutOfBoundsException(
          String.format("Invalid rank: %d (expected: 0 <= rank < %d, the top-k)", rank, topK));
    }
    return token * topK + rank;
  }

  private static void checkLength(String name, int length, int numTokens, int topK) {
    long expected = (long) numTokens * topK;
    if (length != expected) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid routing %s length: %d (expected: %d = %d tokens x top-k %d)",
              name, length, expected, numTokens, topK));
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Routing that
        && numTokens == that.numTokens
        && topK == that.topK
        && Arrays.equals(experts, that.experts)
        && Arrays.equals(weights, that.weights);
  }

  @Override
  public int hashCode() {
    return Objects.hash(numTokens, topK, Arrays.hashCode(experts), Arrays.hashCode(weights));
  }

  @Override
  public String toString() {
    return String.format(
        "Routing[numTokens=%d, topK=%d, experts=%s, weights=%s]",
        numTokens, topK, Arrays.toString(experts), Arrays.toString(weights));
  }
}
