package dev.sparkmoe.core.model;

/**
 * One layer's attention projections, row-major [out, in] as stored in the checkpoint, decoded to
 * f32. The arrays are shared, never copied: callers must not modify them.
 *
 * @param query [numHeads * headDim, hidden]
 * @param key [numKvHeads * headDim, hidden]
 * @param value [numKvHeads * headDim, hidden]
 * @param output [hidden, numHeads * headDim]
 */
public record AttentionWeights(float[] query, float[] key, float[] value, float[] output) {}
