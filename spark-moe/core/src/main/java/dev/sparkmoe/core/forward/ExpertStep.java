package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.routing.Routing;

/**
 * The routed experts of a MoE layer as the {@link DecoderLoop} sees them: given the layer, the
 * routing and the normalized input, the weighted MoE output. Where the experts run is the
 * implementation's business — resident in this process ({@link MoeBlock}), or behind an exchange
 * that sends the routed tokens away and waits for the answers. To match the reference bit for bit,
 * an implementation multiplies each expert output by its weight in f32 and sums a token's outputs
 * with {@link ExpertSum}.
 *
 * <p>Thread-safety is the implementation's; {@link DecoderLoop#run} calls it from the caller's
 * thread, one layer at a time.
 */
@FunctionalInterface
public interface ExpertStep {
  /**
   * The MoE output of {@code layer}: {@code Σ_k weight_k · expert_k(x)} for every token.
   *
   * @param x normalized input [routing.numTokens(), hidden]; the implementation must not modify it
   * @return a new [routing.numTokens(), hidden] array
   */
  float[] apply(int layer, Routing routing, float[] x);
}
