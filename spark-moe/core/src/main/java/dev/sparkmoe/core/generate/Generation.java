package dev.sparkmoe.core.generate;

/**
 * One row's generated tokens. Owns its arrays.
 *
 * @param tokens the new tokens, the stop or end-of-sequence id included when it ended the row
 * @param logprobs each new token's log-probability under the model's unmodified distribution
 * @param finishReason why the row stopped
 * @param numInputTokens the prompt's tokens
 * @param ttftNanos from the start of the batch to the row's first new token
 * @param tpotNanos mean time per new token after the first; NaN for a single new token
 */
public record Generation(
    int[] tokens,
    float[] logprobs,
    FinishReason finishReason,
    int numInputTokens,
    long ttftNanos,
    double tpotNanos) {
  public int numOutputTokens() {
    return tokens.length;
  }
}
