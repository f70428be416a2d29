package dev.sparkmoe.core.routing;

import static dev.sparkmoe.core.Checks.checkArgument;

import java.util.Objects;

/** Argument checks shared by the routers, each with the house message form. */
final class RouterChecks {
  private RouterChecks() {}

  static void checkNumExperts(int numExperts) {
    checkArgument(numExperts >= 1, "Invalid number of experts: %d (expected: >= 1)", numExperts);
  }

  static void checkTopK(int topK, int numExperts) {
    checkArgument(
        topK >= 1 && topK <= numExperts,
        "Invalid top-k: %d (expected: 1 <= top-k <= %d, the number of experts)",
        topK,
        numExperts);
  }

  static void checkNormalization(TopKNormalization normalization) {
    Objects.requireNonNull(normalization, "Invalid top-k normalization: null");
  }

  static void checkNumTokens(int numTokens) {
    checkArgument(numTokens >= 0, "Invalid number of tokens: %d (expected: >= 0)", numTokens);
  }

  static void checkLogitsLength(float[] logits, int numTokens, int numExperts) {
    Objects.requireNonNull(logits, "Invalid router logits: null");
    checkNumTokens(numTokens);
    long expected = (long) numTokens * numExperts;
    checkArgument(
        logits.length == expected,
        "Invalid router logits length: %d (expected: %d = %d tokens x %d experts)",
        logits.length,
        expected,
        numTokens,
        numExperts);
  }

  static void checkLogitsRange(float[] logits, int offset, int numTokens, int numExperts) {
    Objects.requireNonNull(logits, "Invalid router logits: null");
    checkNumTokens(numTokens);
    long maxOffset = logits.length - (long) numTokens * numExperts;
    checkArgument(
        offset >= 0 && offset <= maxOffset,
        "Invalid router logits offset: %d (expected: 0 <= offset <= %d for %d tokens x %d experts"
            + " in %d logits)",
        offset,
        maxOffset,
        numTokens,
        numExperts,
        logits.length);
  }

  /** Checks token {@code token}'s row, which starts at {@code logits[from]}. */
  static void checkRow(float[] logits, int from, int token, int numExperts) {
    for (int expert = 0; expert < numExperts; expert++) {
      float logit = logits[from + expert];
      if (!Float.isFinite(logit)) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid router logit %s for token %d, expert %d (expected: a finite number)",
                logit, token, expert));
      }
    }
  }
}
