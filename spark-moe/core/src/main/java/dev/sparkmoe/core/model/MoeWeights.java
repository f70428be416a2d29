package dev.sparkmoe.core.model;

/**
 * The token-side weights of a MoE layer, decoded to f32 and shared read-only: what the token owner
 * needs beside the routed experts, which live on the expert slots.
 *
 * @param router router weight [numExperts, hidden]
 * @param correctionBias DeepSeek-V3's selection bias [numExperts], or null
 * @param sharedExpert the shared expert every token goes through, or null
 * @param sharedExpertGate Qwen2-MoE's gate of the shared expert [1, hidden], or null
 */
public record MoeWeights(
    float[] router, float[] correctionBias, MlpWeights sharedExpert, float[] sharedExpertGate) {}
