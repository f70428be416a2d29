package dev.sparkmoe.core.routing;

import java.util.Objects;

/**
 * How a model family routes, as its {@code config.json} says: enough to build the {@link Router} of
 * every MoE layer. DeepSeek-V3's selection bias is a per-layer tensor, so it is given when a
 * layer's router is built, not here. Immutable.
 *
 * @param scoring softmax over all experts, or DeepSeek-V3's group-limited sigmoid
 * @param normalization {@code norm_topk_prob}: whether the chosen weights are renormalized
 * @param numGroups {@code n_group} (1 for softmax routers)
 * @param topKGroups {@code topk_group} (1 for softmax routers)
 * @param routedScalingFactor {@code routed_scaling_factor} (1 for softmax routers)
 */
public record RouterSpec(
    Scoring scoring,
    TopKNormalization normalization,
    int numGroups,
    int topKGroups,
    float routedScalingFactor) {

  /** The score a router selects on. */
  public enum Scoring {
    /** Softmax over all experts (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE). */
    SOFTMAX,
    /** Sigmoid, selection bias, group-limited top-k, scaling factor (DeepSeek-V3). */
    GROUP_LIMITED_SIGMOID
  }

  public RouterSpec {
    Objects.requireNonNull(scoring, "Invalid router scoring: null");
    RouterChecks.checkNormalization(normalization);
  }

  /** A softmax router: Mixtral with {@link TopKNormalization#RENORMALIZE}, Qwen and OLMoE. */
  public static RouterSpec softmax(TopKNormalization normalization) {
    return new RouterSpec(Scoring.SOFTMAX, normalization, 1, 1, 1f);
  }

  /** DeepSeek-V3's router. */
  public static RouterSpec groupLimitedSigmoid(
      TopKNormalization normalization, int numGroups, int topKGroups, float routedScalingFactor) {
    return new RouterSpec(
        Scoring.GROUP_LIMITED_SIGMOID, normalization, numGroups, topKGroups, routedScalingFactor);
  }

  /** Whether each MoE layer carries a selection bias ({@code e_score_correction_bias}). */
  public boolean usesCorrectionBias() {
    return scoring == Scoring.GROUP_LIMITED_SIGMOID;
  }

  /**
   * The router of one layer.
   *
   * @param correctionBias the layer's selection bias, one per expert; ignored by softmax routers,
   *     zero when null
   * @throws IllegalArgumentException if the settings do not fit together
   */
  public Router create(int numExperts, int topK, float[] correctionBias) {
    if (scoring == Scoring.SOFTMAX) {
      return new SoftmaxTopKRouter(numExperts, topK, normalization);
    }
    GroupLimitedSigmoidRouter.Builder builder =
        GroupLimitedSigmoidRouter.builder(numExperts, topK)
            .groups(numGroups, topKGroups)
            .routedScalingFactor(routedScalingFactor)
            .normalization(normalization);
    if (correctionBias != null) {
      builder.correctionBias(correctionBias);
    }
    return builder.build();
  }
}
