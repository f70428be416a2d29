package dev.sparkmoe.core.model;

/**
 * The shape and constants of a Mixture-of-Experts decoder, as read from {@code config.json} with
 * Hugging Face defaults applied. Immutable.
 *
 * @param architecture the model family
 * @param hiddenSize model width
 * @param intermediateSize each expert's FFN width ({@code intermediate_size})
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention: {@code numHeads} is a multiple)
 * @param headDim width of one head
 * @param numExperts routed experts per layer
 * @param topK experts per token
 * @param vocabSize vocabulary size; valid token ids are {@code 0 <= id < vocabSize}
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param maxPositionEmbeddings the longest sequence the model accepts
 * @param slidingWindow attention window in tokens, or 0 for full causal attention
 */
public record ModelConfig(
    Architecture architecture,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int numExperts,
    int topK,
    int vocabSize,
    float rmsNormEps,
    double ropeTheta,
    boolean tieWordEmbeddings,
    int maxPositionEmbeddings,
    int slidingWindow) {

  /** Width of the concatenated query heads. */
  public int queryWidth() {
    return numHeads * headDim;
  }

  /** Width of the concatenated key (or value) heads. */
  public int kvWidth() {
    return numKvHeads * headDim;
  }
}
