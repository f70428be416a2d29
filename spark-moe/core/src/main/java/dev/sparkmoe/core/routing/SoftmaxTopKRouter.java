package dev.sparkmoe.core.routing;

/**
 * Softmax over all experts, then top-k, then optional renormalization: the routing of Mixtral,
 * Qwen2-MoE, Qwen3-MoE and OLMoE in Hugging Face {@code transformers}.
 *
 * <p>In fp32 as torch does it: the softmax subtracts the row maximum, takes {@code exp} of each
 * logit in float, sums those in float in expert-index order and divides each by the sum; top-k
 * selects on the probabilities. With {@link TopKNormalization#RENORMALIZE} each chosen probability
 * is divided by their float sum, accumulated in rank order. Torch may sum in another order; the
 * difference is a few ulps, far inside the 1e-4 parity tolerance.
 *
 * <p>Immutable and thread-safe.
 */
public final class SoftmaxTopKRouter implements Router {
  private final int numExperts;
  private final int topK;
  private final TopKNormalization normalization;

  /**
   * A router with the given normalization (OLMoE: {@link TopKNormalization#NONE}).
   *
   * @throws IllegalArgumentException if {@code numExperts < 1} or {@code topK} is not in {@code [1,
   *     numExperts]}
   */
  public SoftmaxTopKRouter(int numExperts, int topK, TopKNormalization normalization) {
    RouterChecks.checkNumExperts(numExperts);
    RouterChecks.checkTopK(topK, numExperts);
    RouterChecks.checkNormalization(normalization);
    this.numExperts = numExperts;
    this.topK = topK;
    this.normalization = normalization;
  }

  /** Mixtral's router: always renormalizes the top-k probabilities. */
  public static SoftmaxTopKRouter mixtral(int numExperts, int topK) {
    return new SoftmaxTopKRouter(numExperts, topK, TopKNormalization.RENORMALIZE);
  }

  /**
   * The Qwen2-MoE and Qwen3-MoE router; {@code norm_topk_prob = true} maps to {@link
   * TopKNormalization#RENORMALIZE}.
   */
  public static SoftmaxTopKRouter qwen(int numExperts, int topK, TopKNormalization normalization) {
    return new SoftmaxTopKRouter(numExperts, topK, normalization);
  }

  @Override
  public int numExperts() {
    return numExperts;
  }

  @Override
  public int topK() {
    return topK;
  }

  public TopKNormalization normalization() {
    return normalization;
  }

  @Override
  public Routing route(float[] logits, int offset, int numTokens) {
    RouterChecks.checkLogitsRange(logits, offset, numTokens, numExperts);
    int[] experts = new int[numTokens * topK];
    float[] weights = new float[numTokens * topK];
    float[] probabilities = new float[numExperts];
    for (int token = 0; token < numTokens; token++) {
      int from = offset + token * numExperts;
      RouterChecks.checkRow(logits, from, token, numExperts);
      softmax(logits, from, probabilities);
      TopK.select(probabilities, 0, numExperts, topK, experts, weights, token * topK);
      if (normalization == TopKNormalization.RENORMALIZE) {
        renormalize(weights, token * topK);
      }
    }
    return new Routing(numTokens, topK, experts, weights);
  }

  private void softmax(float[] logits, int from, float[] probabilities) {
    float max = logits[from];
    for (int expert = 1; expert < numExperts; expert++) {
      max = Math.max(max, logits[from + expert]);
    }
    float sum = 0f;
    for (int expert = 0; expert < numExperts; expert++) {
      float exp = (float) Math.exp(logits[from + expert] - max);
      probabilities[expert] = exp;
      sum += exp;
    }
    for (int expert = 0; expert < numExperts; expert++) {
      probabilities[expert] /= sum;
    }
  }

  private void renormalize(float[] weights, int at) {
    float sum = 0f;
    for (int rank = 0; rank < topK; rank++) {
      sum += weights[at + rank];
    }
    for (int rank = 0; rank < topK; rank++) {
      weights[at + rank] /= sum;
    }
  }

  @Override
  public String toString() {
    return String.format(
        "SoftmaxTopKRouter[numExperts=%d, topK=%d, normalization=%s]",
        numExperts, topK, normalization);
  }
}
