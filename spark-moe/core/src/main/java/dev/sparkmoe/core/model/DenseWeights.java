package dev.sparkmoe.core.model;

import java.util.List;

/**
 * Everything but the experts: what a token-owner needs. Decoded to f32; arrays are shared
 * read-only.
 *
 * @param embedding [vocab, hidden]
 * @param layers one entry per decoder layer
 * @param finalNorm the final RMSNorm weight [hidden]
 * @param lmHead [vocab, hidden]; the same array as {@code embedding} when the model ties them
 */
public record DenseWeights(
    float[] embedding, List<LayerWeights> layers, float[] finalNorm, float[] lmHead) {}
