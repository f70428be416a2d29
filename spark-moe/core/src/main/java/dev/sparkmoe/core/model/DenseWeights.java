package dev.sparkmoe.core.model;

import java.util.List;

/**
 * Everything but the experts: what a token-owner needs. Decoded to f32 (the attention projections
 * may be packed instead, see {@link AttentionWeights#packed()}); arrays are shared read-only.
 *
 * <p>Owns the packed projections: {@link #close()} frees them, after which attention with these
 * weights throws. Closing f32 weights does nothing.
 *
 * @param embedding [vocab, hidden]
 * @param layers one entry per decoder layer
 * @param finalNorm the final RMSNorm weight [hidden]
 * @param lmHead [vocab, hidden]; the same array as {@code embedding} when the model ties them
 */
public record DenseWeights(
    float[] embedding, List<LayerWeights> layers, float[] finalNorm, float[] lmHead)
    implements AutoCloseable {

  /** Bytes the packed projections hold outside the Java heap; 0 for f32 weights. */
  public long packedBytes() {
    long total = 0;
    for (LayerWeights layer : layers) {
      if (layer.hasAttention() && layer.attention().isPacked()) {
        total += layer.attention().packed().sizeBytes();
      }
    }
    return total;
  }

  @Override
  public void close() {
    for (LayerWeights layer : layers) {
      if (layer.hasAttention() && layer.attention().isPacked()) {
        layer.attention().packed().close();
      }
    }
  }
}
