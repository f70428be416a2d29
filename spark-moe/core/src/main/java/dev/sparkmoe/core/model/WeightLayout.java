package dev.sparkmoe.core.model;

/**
 * Where each weight of a decoder lives in the checkpoint: the names all families share are
 * defaults, each family's layout names its router and experts. Stateless; every method returns a
 * tensor name.
 */
public interface WeightLayout {
  /** {@code model.layers.<layer>.<suffix>}. */
  static String layer(int layer, String suffix) {
    return "model.layers." + layer + "." + suffix;
  }

  /** The bias beside a {@code .weight} tensor. */
  static String bias(String weight) {
    return weight.substring(0, weight.length() - ".weight".length()) + ".bias";
  }

  default String embedTokens() {
    return "model.embed_tokens.weight";
  }

  default String inputNorm(int layer) {
    return layer(layer, "input_layernorm.weight");
  }

  /** The prefix of every attention tensor of a layer. */
  default String attentionPrefix(int layer) {
    return layer(layer, "self_attn.");
  }

  default String queryProj(int layer) {
    return layer(layer, "self_attn.q_proj.weight");
  }

  default String keyProj(int layer) {
    return layer(layer, "self_attn.k_proj.weight");
  }

  default String valueProj(int layer) {
    return layer(layer, "self_attn.v_proj.weight");
  }

  default String outputProj(int layer) {
    return layer(layer, "self_attn.o_proj.weight");
  }

  /** The RMSNorm weight of the queries (Qwen3-MoE per head, OLMoE over the whole projection). */
  default String queryNorm(int layer) {
    return layer(layer, "self_attn.q_norm.weight");
  }

  default String keyNorm(int layer) {
    return layer(layer, "self_attn.k_norm.weight");
  }

  default String postAttentionNorm(int layer) {
    return layer(layer, "post_attention_layernorm.weight");
  }

  /** The router weight, shape [experts, hidden]. */
  default String router(int layer) {
    return layer(layer, "mlp.gate.weight");
  }

  /** DeepSeek-V3's selection bias, shape [experts]. */
  default String routerCorrectionBias(int layer) {
    return layer(layer, "mlp.gate.e_score_correction_bias");
  }

  /** The expert's gate projection (Mixtral {@code w1}), shape [ffn, hidden]. */
  default String expertGate(int layer, int expert) {
    return layer(layer, "mlp.experts." + expert + ".gate_proj.weight");
  }

  /** The expert's up projection (Mixtral {@code w3}), shape [ffn, hidden]. */
  default String expertUp(int layer, int expert) {
    return layer(layer, "mlp.experts." + expert + ".up_proj.weight");
  }

  /** The expert's down projection (Mixtral {@code w2}), shape [hidden, ffn]. */
  default String expertDown(int layer, int expert) {
    return layer(layer, "mlp.experts." + expert + ".down_proj.weight");
  }

  /** The shared expert's module prefix: {@code shared_expert} (Qwen2-MoE). */
  default String sharedExpert(int layer) {
    return layer(layer, "mlp.shared_expert.");
  }

  /** Qwen2-MoE's gate of the shared expert, shape [1, hidden]. */
  default String sharedExpertGate(int layer) {
    return layer(layer, "mlp.shared_expert_gate.weight");
  }

  /** The dense MLP of a layer without experts: module prefix {@code mlp.}. */
  default String denseMlp(int layer) {
    return layer(layer, "mlp.");
  }

  default String finalNorm() {
    return "model.norm.weight";
  }

  default String lmHead() {
    return "lm_head.weight";
  }

  /** The layout of {@code architecture}. */
  static WeightLayout of(Architecture architecture) {
    return switch (architecture) {
      case MIXTRAL -> new MixtralLayout();
      case QWEN2_MOE, QWEN3_MOE, OLMOE -> new WeightLayout() {};
      case DEEPSEEK_V3 -> new DeepSeekV3Layout();
    };
  }
}
