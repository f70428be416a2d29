package dev.sparkmoe.core.model;

/** Tensor names of {@code MixtralForCausalLM} checkpoints. */
final class MixtralLayout implements WeightLayout {
  private static String layer(int layer, String suffix) {
    return "model.layers." + layer + "." + suffix;
  }

  private static String expert(int layer, int expert, String matrix) {
    return layer(layer, "block_sparse_moe.experts." + expert + "." + matrix + ".weight");
  }

  @Override
  public String embedTokens() {
    return "model.embed_tokens.weight";
  }

  @Override
  public String inputNorm(int layer) {
    return layer(layer, "input_layernorm.weight");
  }

  @Override
  public String queryProj(int layer) {
    return layer(layer, "self_attn.q_proj.weight");
  }

  @Override
  public String keyProj(int layer) {
    return layer(layer, "self_attn.k_proj.weight");
  }

  @Override
  public String valueProj(int layer) {
    return layer(layer, "self_attn.v_proj.weight");
  }

  @Override
  public String outputProj(int layer) {
    return layer(layer, "self_attn.o_proj.weight");
  }

  @Override
  public String postAttentionNorm(int layer) {
    return layer(layer, "post_attention_layernorm.weight");
  }

  @Override
  public String router(int layer) {
    return layer(layer, "block_sparse_moe.gate.weight");
  }

  @Override
  public String expertGate(int layer, int expert) {
    return expert(layer, expert, "w1");
  }

  @Override
  public String expertUp(int layer, int expert) {
    return expert(layer, expert, "w3");
  }

  @Override
  public String expertDown(int layer, int expert) {
    return expert(layer, expert, "w2");
  }

  @Override
  public String finalNorm() {
    return "model.norm.weight";
  }

  @Override
  public String lmHead() {
    return "lm_head.weight";
  }
}
