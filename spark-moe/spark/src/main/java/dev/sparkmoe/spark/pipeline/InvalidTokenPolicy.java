package dev.sparkmoe.spark.pipeline;

import java.util.Locale;

/**
 * What the pipeline does with a row whose tokens the model cannot take (an id outside the
 * vocabulary, or more tokens than {@code max_position_embeddings}).
 */
public enum InvalidTokenPolicy {
  /** Fail the job with a message naming the row, the position and the value. */
  FAIL,
  /** Leave the row out of the output and count it in the run report. */
  SKIP;

  /** Parses {@code fail} or {@code skip}. */
  public static InvalidTokenPolicy parse(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "fail" -> FAIL;
      case "skip" -> SKIP;
      default ->
          throw new IllegalArgumentException(
              String.format("Invalid invalid-token policy: %s (expected: fail or skip)", name));
    };
  }
}
