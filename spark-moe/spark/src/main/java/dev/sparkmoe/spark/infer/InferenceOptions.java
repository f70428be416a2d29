package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.forward.OutputKind;
import java.io.Serializable;

/**
 * What a row-inference job needs on the executors: a small manifest, never weights.
 *
 * @param modelPath model directory, readable from every executor
 * @param idColumn name of the id column (long, int or string)
 * @param tokensColumn name of the token column (array of integers)
 * @param kind what to compute per row
 * @param backend expert backend name ({@code cpu}, {@code auto}, …)
 * @param batchTokens rows are grouped into forward batches of about this many tokens
 */
public record InferenceOptions(
    String modelPath,
    String idColumn,
    String tokensColumn,
    OutputKind kind,
    String backend,
    int batchTokens)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int DEFAULT_BATCH_TOKENS = 4096;

  public InferenceOptions {
    if (batchTokens < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid batch tokens: %d (expected: a positive integer)", batchTokens));
    }
  }

  /** Defaults: columns {@code id} and {@code tokens}, CPU backend. */
  public static InferenceOptions of(String modelPath, OutputKind kind) {
    return new InferenceOptions(modelPath, "id", "tokens", kind, "cpu", DEFAULT_BATCH_TOKENS);
  }
}
