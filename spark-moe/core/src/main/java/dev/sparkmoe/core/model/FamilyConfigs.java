package dev.sparkmoe.core.model;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.routing.RouterSpec;
import dev.sparkmoe.core.routing.TopKNormalization;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code config.json} keys of each family with the defaults {@code transformers} 5.18 gives
 * them. Keys that fix a tensor's shape are required; keys that only change behaviour take the
 * library's default.
 */
final class FamilyConfigs {
  private FamilyConfigs() {}

  static ModelConfig read(Architecture architecture, ConfigFields fields) {
    return switch (architecture) {
      case MIXTRAL -> mixtral(fields);
      case QWEN2_MOE -> qwen2Moe(fields);
      case QWEN3_MOE -> qwen3Moe(fields);
      case OLMOE -> olmoe(fields);
      case DEEPSEEK_V3 -> deepSeekV3(fields);
    };
  }

  private static ModelConfig mixtral(ConfigFields fields) {
    ModelConfig.Builder builder = common(Architecture.MIXTRAL, fields, 8, 1e-5, 1e6, 4096 * 32);
    int experts = fields.requiredInt("num_local_experts");
    return builder
        .experts(experts, topK(fields, experts), fields.requiredInt("intermediate_size"))
        .slidingWindow(/* null means full attention */ fields.optionalInt("sliding_window", 0))
        .router(RouterSpec.softmax(TopKNormalization.RENORMALIZE))
        .build();
  }

  private static ModelConfig qwen2Moe(ConfigFields fields) {
    ModelConfig.Builder builder = common(Architecture.QWEN2_MOE, fields, 16, 1e-6, 1e4, 32768);
    int experts = fields.requiredInt("num_experts");
    int layers = fields.requiredInt("num_hidden_layers");
    rejectQwen2SlidingLayers(fields, layers);
    boolean bias = fields.optionalBoolean("qkv_bias", true);
    List<Integer> dense = qwenDenseLayers(fields, layers);
    return builder
        .experts(experts, topK(fields, experts), fields.requiredInt("moe_intermediate_size"))
        .attention(new AttentionSpec(bias, false, AttentionSpec.QkNorm.NONE, 0f))
        .router(RouterSpec.softmax(normalization(fields, false)))
        .feedForward(
            new FeedForwardSpec(
                dense,
                denseWidth(fields, dense),
                fields.optionalNonNegativeInt("shared_expert_intermediate_size", 5632),
                true))
        .build();
  }

  private static ModelConfig qwen3Moe(ConfigFields fields) {
    ModelConfig.Builder builder = common(Architecture.QWEN3_MOE, fields, 4, 1e-6, 1e4, 32768);
    int experts = fields.requiredInt("num_experts", "num_local_experts");
    boolean bias = fields.optionalBoolean("attention_bias", false);
    List<Integer> dense = qwenDenseLayers(fields, fields.requiredInt("num_hidden_layers"));
    boolean sliding = fields.optionalBoolean("use_sliding_window", false);
    return builder
        .experts(experts, topK(fields, experts), fields.requiredInt("moe_intermediate_size"))
        .slidingWindow(sliding ? fields.optionalInt("sliding_window", 4096, 0) : 0)
        .attention(new AttentionSpec(bias, bias, AttentionSpec.QkNorm.PER_HEAD, 0f))
        .router(RouterSpec.softmax(normalization(fields, false)))
        .feedForward(new FeedForwardSpec(dense, denseWidth(fields, dense), 0, false))
        .build();
  }

  private static ModelConfig olmoe(ConfigFields fields) {
    int heads = fields.requiredInt("num_attention_heads");
    ModelConfig.Builder builder = common(Architecture.OLMOE, fields, heads, 1e-5, 1e4, 4096);
    int experts = fields.requiredInt("num_experts", "num_local_experts");
    int hidden = fields.requiredInt("hidden_size");
    int headDim = fields.optionalInt("head_dim", hidden / heads);
    fields.check(
        headDim * heads == hidden,
        "head_dim",
        headDim,
        "hidden_size / num_attention_heads = " + hidden / heads + ": OLMoE's QK norm spans them");
    boolean bias = fields.optionalBoolean("attention_bias", false);
    float clip = (float) fields.optionalDouble("clip_qkv", 0);
    return builder
        .experts(experts, topK(fields, experts), fields.requiredInt("intermediate_size"))
        .attention(new AttentionSpec(bias, bias, AttentionSpec.QkNorm.WHOLE, clip))
        .router(RouterSpec.softmax(normalization(fields, false)))
        .build();
  }

  /** DeepSeek-V3 without its attention: RoPE and head keys are read but never used. */
  private static ModelConfig deepSeekV3(ConfigFields fields) {
    checkActivation(fields);
    int hidden = fields.requiredInt("hidden_size");
    int layers = fields.requiredInt("num_hidden_layers");
    int heads = fields.optionalInt("num_attention_heads", 128);
    int experts = fields.requiredInt("n_routed_experts", "num_local_experts");
    int topK = topK(fields, experts);
    int expertWidth = fields.requiredInt("moe_intermediate_size");
    int firstDense = Math.min(layers, fields.optionalNonNegativeInt("first_k_dense_replace", 3));
    List<Integer> dense = new ArrayList<>();
    for (int layer = 0; layer < firstDense; layer++) {
      dense.add(layer);
    }
    RouterSpec router =
        RouterSpec.groupLimitedSigmoid(
            normalization(fields, true),
            fields.optionalInt("n_group", 8),
            fields.optionalInt("topk_group", 4),
            (float) fields.optionalDouble("routed_scaling_factor", 2.5));
    checkRouter(fields, router, experts, topK);
    int shared = fields.optionalNonNegativeInt("n_shared_experts", 1) * expertWidth;
    return ModelConfig.builder(Architecture.DEEPSEEK_V3)
        .shape(hidden, layers, fields.requiredInt("vocab_size"))
        .heads(heads, heads, fields.optionalInt("qk_rope_head_dim", 64))
        .experts(experts, topK, expertWidth)
        .rmsNormEps((float) fields.optionalDouble("rms_norm_eps", 1e-6))
        .ropeTheta(fields.ropeTheta(1e4))
        .tieWordEmbeddings(fields.optionalBoolean("tie_word_embeddings", false))
        .maxPositionEmbeddings(fields.optionalInt("max_position_embeddings", 4096))
        .router(router)
        .feedForward(new FeedForwardSpec(dense, denseWidth(fields, dense), shared, false))
        .build();
  }

  /** Shape, heads, norms, RoPE and LM head of a family with attention. */
  private static ModelConfig.Builder common(
      Architecture architecture,
      ConfigFields fields,
      int defaultKvHeads,
      double defaultEps,
      double defaultTheta,
      int defaultMaxPositions) {
    checkActivation(fields);
    int hidden = fields.requiredInt("hidden_size");
    int heads = fields.requiredInt("num_attention_heads");
    int kvHeads = fields.optionalInt("num_key_value_heads", defaultKvHeads, heads);
    fields.check(
        heads % kvHeads == 0,
        "num_attention_heads",
        heads,
        "a multiple of num_key_value_heads " + kvHeads);
    fields.rejectRopeScaling();
    return ModelConfig.builder(architecture)
        .shape(hidden, fields.requiredInt("num_hidden_layers"), fields.requiredInt("vocab_size"))
        .heads(heads, kvHeads, fields.optionalInt("head_dim", hidden / heads))
        .rmsNormEps((float) fields.optionalDouble("rms_norm_eps", defaultEps))
        .ropeTheta(fields.ropeTheta(defaultTheta))
        .tieWordEmbeddings(fields.optionalBoolean("tie_word_embeddings", false))
        .maxPositionEmbeddings(fields.optionalInt("max_position_embeddings", defaultMaxPositions));
  }

  private static int topK(ConfigFields fields, int experts) {
    int topK = fields.requiredInt("num_experts_per_tok");
    fields.check(
        topK <= experts, "num_experts_per_tok", topK, "at most the number of experts " + experts);
    return topK;
  }

  private static TopKNormalization normalization(ConfigFields fields, boolean defaultValue) {
    return fields.optionalBoolean("norm_topk_prob", defaultValue)
        ? TopKNormalization.RENORMALIZE
        : TopKNormalization.NONE;
  }

  /** Every family computes experts as {@code down(silu(gate x) * up x)}. */
  private static void checkActivation(ConfigFields fields) {
    String activation = fields.optionalString("hidden_act", "silu");
    fields.check(activation.equals("silu"), "hidden_act", activation, "silu");
  }

  /** Qwen's rule: a layer is sparse unless listed in mlp_only_layers or off the sparse step. */
  private static List<Integer> qwenDenseLayers(ConfigFields fields, int layers) {
    List<Integer> mlpOnly = fields.optionalIntList("mlp_only_layers");
    int step = fields.optionalInt("decoder_sparse_step", 1);
    List<Integer> dense = new ArrayList<>();
    for (int layer = 0; layer < layers; layer++) {
      if (mlpOnly.contains(layer) || (layer + 1) % step != 0) {
        dense.add(layer);
      }
    }
    return dense;
  }

  private static int denseWidth(ConfigFields fields, List<Integer> dense) {
    return dense.isEmpty() ? 0 : fields.requiredInt("intermediate_size");
  }

  /**
   * Qwen2-MoE makes every other layer below max_window_layers a sliding-window layer when
   * use_sliding_window is set; spark-moe has one window for all layers, so it refuses such a config
   * rather than compute it wrongly.
   */
  private static void rejectQwen2SlidingLayers(ConfigFields fields, int layers) {
    List<String> types = fields.optionalStringList("layer_types");
    boolean sliding = types.contains("sliding_attention");
    if (types.isEmpty() && fields.optionalBoolean("use_sliding_window", false)) {
      sliding = fields.optionalNonNegativeInt("max_window_layers", 28) > 0 && layers > 0;
    }
    fields.check(
        !sliding,
        "use_sliding_window",
        "sliding-window layers",
        "full attention in every layer: Qwen2-MoE's per-layer sliding windows are not supported");
  }

  private static void checkRouter(ConfigFields fields, RouterSpec router, int experts, int topK) {
    try {
      router.create(experts, topK, null);
    } catch (IllegalArgumentException e) {
      throw new InvalidModelException(
          String.format("Cannot read %s: %s", fields.file(), e.getMessage()), e);
    }
  }
}
