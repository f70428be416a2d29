package dev.sparkmoe.core.model;

/**
 * One layer's attention weights, row-major [out, in] as stored in the checkpoint, decoded to f32.
 * The arrays are shared, never copied: callers must not modify them. The biases and norms are null
 * where the family's {@link AttentionSpec} has none.
 *
 * @param query [numHeads * headDim, hidden]
 * @param key [numKvHeads * headDim, hidden]
 * @param value [numKvHeads * headDim, hidden]
 * @param output [hidden, numHeads * headDim]
 * @param queryBias [numHeads * headDim], or null
 * @param keyBias [numKvHeads * headDim], or null
 * @param valueBias [numKvHeads * headDim], or null
 * @param outputBias [hidden], or null
 * @param queryNorm [headDim] per head, or [numHeads * headDim] over the whole projection, or null
 * @param keyNorm [headDim] per head, or [numKvHeads * headDim] over the whole projection, or null
 */
public record AttentionWeights(
    float[] query,
    float[] key,
    float[] value,
    float[] output,
    float[] queryBias,
    float[] keyBias,
    float[] valueBias,
    float[] outputBias,
    float[] queryNorm,
    float[] keyNorm) {

  /** Projections only: no biases, no QK norm (Mixtral). */
  public AttentionWeights(float[] query, float[] key, float[] value, float[] output) {
    this(query, key, value, output, null, null, null, null, null, null);
  }
}
