package dev.sparkmoe.core.model;

/**
 * One routed expert's FFN, decoded to f32: {@code down(silu(gate x) * up x)}. The gate and up
 * projections are fused into one matrix so that a backend computes both with one GEMM. Arrays are
 * shared read-only.
 *
 * @param layer decoder layer
 * @param expert expert index within the layer
 * @param hidden model width
 * @param ffn expert FFN width
 * @param gateUp [2 * ffn, hidden]: rows [0, ffn) are the gate projection, rows [ffn, 2 ffn) the up
 *     projection
 * @param down [hidden, ffn]
 */
public record ExpertWeights(
    int layer, int expert, int hidden, int ffn, float[] gateUp, float[] down) {

  /** FLOPs of this expert on {@code numTokens} tokens (three matrix products). */
  public long flops(long numTokens) {
    return 6L * numTokens * hidden * ffn;
  }
}
