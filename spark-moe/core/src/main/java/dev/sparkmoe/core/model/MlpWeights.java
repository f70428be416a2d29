package dev.sparkmoe.core.model;

/**
 * A dense SwiGLU MLP, {@code down(silu(gate x) * up x)}, decoded to f32: a layer's shared expert or
 * the whole feed-forward of a dense layer. The gate and up projections are fused into one matrix,
 * as in {@link ExpertWeights}. Arrays are shared read-only.
 *
 * @param hidden model width
 * @param ffn the MLP's width
 * @param gateUp [2 * ffn, hidden]: rows [0, ffn) the gate projection, rows [ffn, 2 ffn) the up
 *     projection
 * @param down [hidden, ffn]
 */
public record MlpWeights(int hidden, int ffn, float[] gateUp, float[] down) {}
