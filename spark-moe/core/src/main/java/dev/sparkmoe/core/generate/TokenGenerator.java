package dev.sparkmoe.core.generate;

import java.io.Serializable;

/**
 * Deterministic synthetic token rows: row {@code id} has a length uniform in [minLength, maxLength]
 * and token ids uniform in [0, vocab), depending only on (seed, id), so a table generated in
 * parallel is the same for any partitioning. Immutable; serializable so Spark tasks can carry it.
 */
public record TokenGenerator(long seed, int minLength, int maxLength, int vocab)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public TokenGenerator {
    if (minLength < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid min-len: %d (expected: at least 1)", minLength));
    }
    if (maxLength < minLength) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid max-len: %d (expected: at least min-len %d)", maxLength, minLength));
    }
    if (vocab < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid vocab: %d (expected: a positive integer)", vocab));
    }
  }

  /** The tokens of row {@code id}. */
  public int[] tokens(long id) {
    long stream = CounterRandom.stream(seed, "row/" + id);
    int length = minLength + CounterRandom.below(stream, 0, maxLength - minLength + 1);
    int[] tokens = new int[length];
    for (int i = 0; i < length; i++) {
      tokens[i] = CounterRandom.below(stream, i + 1, vocab);
    }
    return tokens;
  }
}
