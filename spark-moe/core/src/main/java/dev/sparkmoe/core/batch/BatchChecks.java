package dev.sparkmoe.core.batch;

import java.util.Objects;

/** Argument checks shared by the token batch records, each with the house message form. */
final class BatchChecks {
  private BatchChecks() {}

  static void checkHeader(int layer, int sourcePartition, int hidden) {
    if (layer < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid layer: %d (expected: >= 0)", layer));
    }
    if (sourcePartition < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid source partition: %d (expected: >= 0)", sourcePartition));
    }
    if (hidden < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid hidden size: %d (expected: >= 1)", hidden));
    }
  }

  static void checkNotNull(String kind, String field, Object array) {
    Objects.requireNonNull(array, () -> String.format("Invalid %s batch %s: null", kind, field));
  }

  /** Checks that the per-token array {@code field} has one entry per row key. */
  static void checkTokenLength(String kind, String field, int length, int numTokens) {
    if (length != numTokens) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s batch %s length: %d (expected: %d, the length of rowKeys)",
              kind, field, length, numTokens));
    }
  }

  /** Checks that the row-major {@code [numTokens, hidden]} array {@code field} is complete. */
  static void checkHiddenLength(String kind, String field, int length, int numTokens, int hidden) {
    long expected = (long) numTokens * hidden;
    if (length != expected) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s batch %s length: %d (expected: %d = %d tokens x hidden %d)",
              kind, field, length, expected, numTokens, hidden));
    }
  }
}
