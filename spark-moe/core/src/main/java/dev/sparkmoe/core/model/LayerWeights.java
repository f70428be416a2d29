package dev.sparkmoe.core.model;

/**
 * The dense (non-expert) weights of one decoder layer, decoded to f32 and shared read-only. Exactly
 * one of {@code moe} and {@code mlp} is set.
 *
 * @param inputNorm RMSNorm weight before attention, or null for a pure MoE layer
 * @param attention attention weights, or null for a pure MoE layer
 * @param postAttentionNorm RMSNorm weight before the feed-forward
 * @param moe router and shared expert of a MoE layer, or null for a dense layer
 * @param mlp the MLP of a dense layer, or null for a MoE layer
 */
public record LayerWeights(
    float[] inputNorm,
    AttentionWeights attention,
    float[] postAttentionNorm,
    MoeWeights moe,
    MlpWeights mlp) {

  /** Whether this layer has attention; a layer without attention tensors is a pure MoE layer. */
  public boolean hasAttention() {
    return attention != null;
  }

  /** Whether this layer's feed-forward is a MoE block (else a dense MLP). */
  public boolean isMoe() {
    return moe != null;
  }
}
