package dev.sparkmoe.core.model;

/** Tensor names of {@code DeepseekV3ForCausalLM}: Qwen's, with plural {@code shared_experts}. */
final class DeepSeekV3Layout implements WeightLayout {
  @Override
  public String sharedExpert(int layer) {
    return WeightLayout.layer(layer, "mlp.shared_experts.");
  }
}
