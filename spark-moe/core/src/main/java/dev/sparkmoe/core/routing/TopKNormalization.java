package dev.sparkmoe.core.routing;

/**
 * What a router does with the weights of the experts it chose, matching the {@code norm_topk_prob}
 * setting of Hugging Face configs.
 */
public enum TopKNormalization {
  /**
   * Divide each chosen weight by the sum of the chosen weights, so they sum to 1 ({@code
   * norm_topk_prob = true}; Mixtral always does this).
   */
  RENORMALIZE,

  /** Keep the chosen weights as they are ({@code norm_topk_prob = false}). */
  NONE
}
