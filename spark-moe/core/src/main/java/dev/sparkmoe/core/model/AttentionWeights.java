package dev.sparkmoe.core.model;

/**
 * One layer's attention weights, row-major [out, in] as stored in the checkpoint, decoded to f32.
 * The arrays are shared, never copied: callers must not modify them. The biases and norms are null
 * where the family's {@link AttentionSpec} has none.
 *
 * <p>For bf16 compute the four projections are {@code packed} instead, and their f32 arrays null;
 * biases and norms stay f32.
 *
 * @param query [numHeads * headDim, hidden], or null when packed
 * @param key [numKvHeads * headDim, hidden], or null when packed
 * @param value [numKvHeads * headDim, hidden], or null when packed
 * @param output [hidden, numHeads * headDim], or null when packed
 * @param queryBias [numHeads * headDim], or null
 * @param keyBias [numKvHeads * headDim], or null
 * @param valueBias [numKvHeads * headDim], or null
 * @param outputBias [hidden], or null
 * @param queryNorm [headDim] per head, or [numHeads * headDim] over the whole projection, or null
 * @param keyNorm [headDim] per head, or [numKvHeads * headDim] over the whole projection, or null
 * @param packed the four projections in a compute format, or null where they are the f32 arrays
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
    float[] keyNorm,
    PackedProjections packed) {

  /** Projections only: no biases, no QK norm (Mixtral). */
  public AttentionWeights(float[] query, float[] key, float[] value, float[] output) {
    this(query, key, value, output, null, null, null, null, null, null, null);
  }

  /** f32 projections with the family's biases and norms. */
  public AttentionWeights(
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
    this(
        query,
        key,
        value,
        output,
        queryBias,
        keyBias,
        valueBias,
        outputBias,
        queryNorm,
        keyNorm,
        null);
  }

  /** The same biases and norms with the projections packed, and no f32 projections. */
  public AttentionWeights withPacked(PackedProjections projections) {
    return new AttentionWeights(
        null,
        null,
        null,
        null,
        queryBias,
        keyBias,
        valueBias,
        outputBias,
        queryNorm,
        keyNorm,
        projections);
  }

  /** Whether the projections are {@link #packed()} rather than f32 arrays. */
  public boolean isPacked() {
    return packed != null;
  }
}
