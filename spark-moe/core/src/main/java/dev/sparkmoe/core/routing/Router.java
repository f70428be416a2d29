package dev.sparkmoe.core.routing;

/**
 * Turns router logits into top-k expert choices with weights.
 *
 * <p>Router logits are fp32, row-major {@code [numTokens, numExperts]}: token {@code t}'s logit for
 * expert {@code e} is at {@code logits[offset + t * numExperts + e]}. They are computed elsewhere
 * as {@code x · W_gate^T}. Every logit must be finite; a router throws {@link
 * IllegalArgumentException} naming the token and expert of the first one that is not.
 *
 * <p>Implementations are immutable and thread-safe. They never modify or keep the logits array.
 */
public interface Router {
  /** The number of experts, the length of one row of logits. */
  int numExperts();

  /** The number of experts chosen per token, in {@code [1, numExperts()]}. */
  int topK();

  /**
   * Routes {@code numTokens} tokens whose logits fill {@code logits} exactly.
   *
   * @param logits row-major {@code [numTokens, numExperts()]}, length {@code numTokens *
   *     numExperts()}
   * @param numTokens the number of rows, {@code >= 0}
   * @throws IllegalArgumentException if the length does not match or a logit is not finite
   */
  default Routing route(float[] logits, int numTokens) {
    RouterChecks.checkLogitsLength(logits, numTokens, numExperts());
    return route(logits, /* offset= */ 0, numTokens);
  }

  /**
   * Routes {@code numTokens} tokens whose logits start at {@code logits[offset]}; the array may
   * hold more after them.
   *
   * @param logits row-major {@code [numTokens, numExperts()]} from {@code offset}
   * @param offset index of token 0's first logit, {@code >= 0}
   * @param numTokens the number of rows, {@code >= 0}
   * @throws IllegalArgumentException if the rows do not fit in the array or a logit is not finite
   */
  Routing route(float[] logits, int offset, int numTokens);
}
