package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.model.ModelConfig;

/**
 * The shape of a MoE model as the cost model sees it: what each layer computes and how many weight
 * bytes it reads. Immutable.
 *
 * @param name for tables ({@code seed-4x16})
 * @param layers MoE decoder layers
 * @param experts routed experts per layer
 * @param topK experts per token
 * @param hidden model width
 * @param ffn one expert's intermediate width
 * @param queryWidth heads × head size; 0 for pure MoE layers (no attention)
 * @param kvWidth key/value heads × head size; 0 for pure MoE layers
 * @param weightBytes bytes per weight element as stored on the device (2 for FP16)
 */
public record ModelShape(
    String name,
    int layers,
    int experts,
    int topK,
    int hidden,
    int ffn,
    int queryWidth,
    int kvWidth,
    int weightBytes) {
  public ModelShape {
    Checks.notBlank("model name", name);
    Checks.atLeast("layers", layers, 1);
    Checks.atLeast("experts", experts, 1);
    Checks.atLeast("top-k", topK, 1);
    Checks.atLeast("hidden", hidden, 1);
    Checks.atLeast("ffn", ffn, 1);
    Checks.atLeast("query width", queryWidth, 0);
    Checks.atLeast("kv width", kvWidth, 0);
    Checks.atLeast("weight bytes", weightBytes, 1);
    if (topK > experts) {
      throw new IllegalArgumentException(
          String.format("Invalid top-k: %d (expected: at most experts %d)", topK, experts));
    }
  }

  /** From a generator spec: weights in the spec's dtype. */
  public static ModelShape of(String name, ModelSpec spec) {
    int headDim = spec.headDim();
    return new ModelShape(
        name,
        spec.layers(),
        spec.experts(),
        spec.topK(),
        spec.hidden(),
        spec.ffn(),
        spec.attention() ? spec.heads() * headDim : 0,
        spec.attention() ? spec.kvHeads() * headDim : 0,
        spec.dtype().sizeBytes());
  }

  /** A generator preset by its CLI name ({@code tiny}, {@code seed-4x16}). */
  public static ModelShape preset(String name) {
    return of(name, ModelSpec.Preset.parse(name).spec());
  }

  /** From a model's config, with attention (the model's tensors say whether it has any). */
  public static ModelShape of(String name, ModelConfig config, int weightBytes) {
    return new ModelShape(
        name,
        config.numLayers(),
        config.numExperts(),
        config.topK(),
        config.hiddenSize(),
        config.intermediateSize(),
        config.queryWidth(),
        config.kvWidth(),
        weightBytes);
  }

  /** The same model with another weight width (f32 on the CPU backend, which decodes to f32). */
  public ModelShape withWeightBytes(int bytes) {
    return new ModelShape(name, layers, experts, topK, hidden, ffn, queryWidth, kvWidth, bytes);
  }

  /** The same model without attention: every layer a pure MoE layer. */
  public ModelShape withoutAttention() {
    return new ModelShape(name, layers, experts, topK, hidden, ffn, 0, 0, weightBytes);
  }

  public boolean hasAttention() {
    return queryWidth > 0;
  }

  /** FLOPs of one token through one expert: gate, up and down projections. */
  public double expertFlopsPerToken() {
    return 2.0 * 3 * hidden * ffn;
  }

  /** Weight bytes of one expert (W1, W3 and W2). */
  public long expertWeightBytes() {
    return 3L * hidden * ffn * weightBytes;
  }

  /**
   * FLOPs of one token on its owner in one layer: attention projections, scores against {@code
   * sequenceLength} keys (computed as the full square, as a GEMM does), and the router.
   */
  public double ownerFlopsPerToken(int sequenceLength) {
    double projections = 2.0 * hidden * (2.0 * queryWidth + 2.0 * kvWidth);
    double scores = 4.0 * sequenceLength * queryWidth;
    return (hasAttention() ? projections + scores : 0) + 2.0 * hidden * experts;
  }

  /** Weight bytes an owner reads per layer: attention projections and the router. */
  public long ownerWeightBytes() {
    return ((long) hidden * (2L * queryWidth + 2L * kvWidth) + (long) hidden * experts)
        * weightBytes;
  }
}
