package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.model.MlpWeights;

/**
 * A dense SwiGLU MLP on a batch of tokens, {@code down(silu(gate x) * up x)}, the same two GEMMs as
 * the CPU expert backend: the fused gate-up product, SwiGLU, the down product, each in fixed row
 * blocks ({@link RowBlockGemm}) so that a token's result does not depend on the other tokens of the
 * batch. Stateless and thread-safe.
 */
public final class FeedForward {
  private FeedForward() {}

  /**
   * Writes the MLP of {@code numTokens} rows of {@code x} ([numTokens, hidden]) into {@code out}
   * ([numTokens, hidden], overwritten).
   */
  public static void apply(MlpWeights weights, float[] x, int numTokens, float[] out) {
    int hidden = weights.hidden();
    int ffn = weights.ffn();
    float[] gateUp = new float[numTokens * 2 * ffn];
    RowBlockGemm.multiplyTransposed(x, numTokens, hidden, weights.gateUp(), 2 * ffn, gateUp);
    float[] activated = new float[numTokens * ffn];
    Activations.swiglu(gateUp, numTokens, ffn, activated);
    RowBlockGemm.multiplyTransposed(activated, numTokens, ffn, weights.down(), hidden, out);
  }
}
