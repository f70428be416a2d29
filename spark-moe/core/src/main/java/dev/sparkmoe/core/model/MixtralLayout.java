package dev.sparkmoe.core.model;

/** Tensor names of {@code MixtralForCausalLM} checkpoints: {@code block_sparse_moe}, w1/w2/w3. */
final class MixtralLayout implements WeightLayout {
  private static String expert(int layer, int expert, String matrix) {
    return WeightLayout.layer(
        layer, "block_sparse_moe.experts." + expert + "." + matrix + ".weight");
  }

  @Override
  public String router(int layer) {
    return WeightLayout.layer(layer, "block_sparse_moe.gate.weight");
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
}
