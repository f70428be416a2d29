package dev.sparkmoe.core.batch;

import static dev.sparkmoe.core.Checks.checkArgument;

import java.util.Objects;

/** Argument checks shared by the token batch records, each with the house message form. */
final class BatchChecks {
  private BatchChecks() {}

  static void checkHeader(int layer, int sourcePartition, int hidden) {
    checkArgument(layer >= 0, "Invalid layer: %d (expected: >= 0)", layer);
    checkArgument(
        sourcePartition >= 0, "Invalid source partition: %d (expected: >= 0)", sourcePartition);
    checkArgument(hidden >= 1, "Invalid hidden size: %d (expected: >= 1)", hidden);
  }

  static void checkNotNull(String kind, String field, Object array) {
    Objects.requireNonNull(array, () -> String.format("Invalid %s batch %s: null", kind, field));
  }

  /** Checks that the per-token array {@code field} has one entry per row key. */
  static void checkTokenLength(String kind, String field, int length, int numTokens) {
    checkArgument(
        length == numTokens,
        "Invalid %s batch %s length: %d (expected: %d, the length of rowKeys)",
        kind,
        field,
        length,
        numTokens);
  }

  /** Checks that the row-major {@code [numTokens, hidden]} array {@code field} is complete. */
  static void checkHiddenLength(String kind, String field, int length, int numTokens, int hidden) {
    long expected = (long) numTokens * hidden;
    checkArgument(
        length == expected,
        "Invalid %s batch %s length: %d (expected: %d = %d tokens x hidden %d)",
        kind,
        field,
        length,
        expected,
        numTokens,
        hidden);
  }
}
