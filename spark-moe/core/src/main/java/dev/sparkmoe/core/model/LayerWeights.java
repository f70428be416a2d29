package dev.sparkmoe.core.model;

/**
 * The dense (non-expert) weights of one decoder layer, decoded to f32 and shared read-only.
 *
 * @param inputNorm RMSNorm weight before attention, or null for a pure MoE layer
 * @param attention attention projections, or null for a pure MoE layer
 * @param postAttentionNorm RMSNorm weight before the router and experts
 * @param router router weight [numExperts, hidden]
 */
public record LayerWeights(
    float[] inputNorm, AttentionWeights attention, float[] postAttentionNorm, float[] router) {

  /** Whether this layer has attention; a layer without attention tensors is a pure MoE layer. */
  public boolean hasAttention() {
    return attention != null;
  }
}
