package dev.sparkmoe.core.model;

import java.util.List;

/**
 * The feed-forward side of a decoder beyond its routed experts. Immutable.
 *
 * @param denseLayers layers whose feed-forward is one dense MLP instead of a MoE block, ascending
 *     (Qwen {@code mlp_only_layers} and {@code decoder_sparse_step}; DeepSeek-V3 {@code
 *     first_k_dense_replace})
 * @param denseIntermediateSize width of the dense MLP ({@code intermediate_size}); 0 when no layer
 *     is dense
 * @param sharedExpertSize width of the shared expert that every token of a MoE layer goes through
 *     (Qwen2-MoE {@code shared_expert_intermediate_size}; DeepSeek-V3 {@code moe_intermediate_size
 *     * n_shared_experts}); 0 for none
 * @param sharedExpertGate whether the shared expert's output is scaled by {@code
 *     sigmoid(shared_expert_gate · x)} (Qwen2-MoE)
 */
public record FeedForwardSpec(
    List<Integer> denseLayers,
    int denseIntermediateSize,
    int sharedExpertSize,
    boolean sharedExpertGate) {
  /** Every layer a MoE block with routed experts only (Mixtral, OLMoE, Qwen3-MoE by default). */
  public static final FeedForwardSpec ROUTED_ONLY = new FeedForwardSpec(List.of(), 0, 0, false);

  public FeedForwardSpec {
    denseLayers = List.copyOf(denseLayers);
  }

  /** Whether {@code layer}'s feed-forward is a MoE block (else a dense MLP). */
  public boolean isMoeLayer(int layer) {
    return !denseLayers.contains(layer);
  }

  public boolean hasSharedExpert() {
    return sharedExpertSize > 0;
  }
}
