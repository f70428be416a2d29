package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.routing.RouterSpec;
import dev.sparkmoe.core.routing.TopKNormalization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config keys of Qwen2-MoE, Qwen3-MoE, OLMoE and DeepSeek-V3 with the defaults of their {@code
 * transformers} 5.18 config classes, and the configs that are refused.
 */
class FamilyConfigsTest {
  private static final String SHAPE =
      "\"hidden_size\": 64, \"num_hidden_layers\": 4, \"num_attention_heads\": 16,"
          + " \"vocab_size\": 512, \"num_experts_per_tok\": 2";

  @TempDir Path dir;

  @Test
  void qwen2MoeDefaults() throws IOException {
    ModelConfig config =
        read(
            "Qwen2MoeForCausalLM",
            "\"num_experts\": 8, \"moe_intermediate_size\": 32,"
                + " \"shared_expert_intermediate_size\": 48");
    assertThat(config.architecture()).isEqualTo(Architecture.QWEN2_MOE);
    assertThat(config.numKvHeads()).as("Qwen2MoeConfig num_key_value_heads").isEqualTo(16);
    assertThat(config.intermediateSize()).as("expert width: moe_intermediate_size").isEqualTo(32);
    assertThat(config.rmsNormEps()).isEqualTo(1e-6f);
    assertThat(config.ropeTheta()).isEqualTo(1e4);
    assertThat(config.maxPositionEmbeddings()).isEqualTo(32768);
    assertThat(config.attention())
        .as("qkv_bias defaults to true; no output bias")
        .isEqualTo(new AttentionSpec(true, false, AttentionSpec.QkNorm.NONE, 0f));
    assertThat(config.router())
        .as("norm_topk_prob defaults to false")
        .isEqualTo(RouterSpec.softmax(TopKNormalization.NONE));
    assertThat(config.feedForward()).isEqualTo(new FeedForwardSpec(List.of(), 0, 48, true));
  }

  @Test
  void qwenDenseLayersFollowSparseStepAndMlpOnlyLayers() throws IOException {
    ModelConfig config =
        read(
            "Qwen2MoeForCausalLM",
            "\"num_experts\": 8, \"moe_intermediate_size\": 32, \"intermediate_size\": 80,"
                + " \"shared_expert_intermediate_size\": 48, \"decoder_sparse_step\": 2,"
                + " \"mlp_only_layers\": [3], \"qkv_bias\": false, \"norm_topk_prob\": true");
    assertThat(config.feedForward().denseLayers())
        .as("(layer + 1) %% 2 != 0 is dense: 0 and 2; layer 3 by mlp_only_layers")
        .containsExactly(0, 2, 3);
    assertThat(config.isMoeLayer(1)).isTrue();
    assertThat(config.feedForward().denseIntermediateSize()).isEqualTo(80);
    assertThat(config.attention().qkvBias()).isFalse();
    assertThat(config.router().normalization()).isEqualTo(TopKNormalization.RENORMALIZE);

    assertThatThrownBy(
            () ->
                read(
                    "Qwen3MoeForCausalLM",
                    "\"num_experts\": 8, \"moe_intermediate_size\": 32, \"mlp_only_layers\": [0]"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: missing key intermediate_size (expected: a positive integer)",
            dir.resolve("config.json"));
  }

  @Test
  void qwen2SlidingWindowLayersAreRefused() {
    assertThatThrownBy(
            () ->
                read(
                    "Qwen2MoeForCausalLM",
                    "\"num_experts\": 8, \"moe_intermediate_size\": 32,"
                        + " \"shared_expert_intermediate_size\": 48, \"use_sliding_window\": true"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Invalid use_sliding_window in %s: sliding-window layers (expected: full attention in"
                + " every layer: Qwen2-MoE's per-layer sliding windows are not supported)",
            dir.resolve("config.json"));
  }

  @Test
  void qwen3MoeKeys() throws IOException {
    ModelConfig config =
        read(
            "Qwen3MoeForCausalLM",
            "\"num_local_experts\": 8, \"moe_intermediate_size\": 32, \"head_dim\": 8,"
                + " \"attention_bias\": true, \"use_sliding_window\": true");
    assertThat(config.numExperts())
        .as("num_local_experts, as save_pretrained writes it")
        .isEqualTo(8);
    assertThat(config.numKvHeads()).as("Qwen3MoeConfig num_key_value_heads").isEqualTo(4);
    assertThat(config.headDim()).isEqualTo(8);
    assertThat(config.attention())
        .as("attention_bias: q, k, v and o; per-head QK norm")
        .isEqualTo(new AttentionSpec(true, true, AttentionSpec.QkNorm.PER_HEAD, 0f));
    assertThat(config.slidingWindow())
        .as("use_sliding_window with the default 4096")
        .isEqualTo(4096);
    assertThat(config.feedForward()).isEqualTo(FeedForwardSpec.ROUTED_ONLY);
    assertThat(
            read(
                    "Qwen3MoeForCausalLM",
                    "\"num_experts\": 8, \"moe_intermediate_size\": 32, \"sliding_window\": 6")
                .slidingWindow())
        .as("sliding_window without use_sliding_window: full attention")
        .isZero();
  }

  @Test
  void olmoeKeys() throws IOException {
    ModelConfig config =
        read(
            "OlmoeForCausalLM",
            "\"num_experts\": 8, \"intermediate_size\": 32, \"clip_qkv\": 8.0,"
                + " \"norm_topk_prob\": true");
    assertThat(config.numKvHeads()).as("OlmoeConfig: num_attention_heads").isEqualTo(16);
    assertThat(config.intermediateSize()).as("expert width: intermediate_size").isEqualTo(32);
    assertThat(config.rmsNormEps()).isEqualTo(1e-5f);
    assertThat(config.maxPositionEmbeddings()).isEqualTo(4096);
    assertThat(config.attention())
        .isEqualTo(new AttentionSpec(false, false, AttentionSpec.QkNorm.WHOLE, 8f));
    assertThat(config.router().normalization()).isEqualTo(TopKNormalization.RENORMALIZE);

    assertThatThrownBy(
            () ->
                read(
                    "OlmoeForCausalLM",
                    "\"num_experts\": 8, \"intermediate_size\": 32, \"head_dim\": 8"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Invalid head_dim in %s: 8 (expected: hidden_size / num_attention_heads = 4: OLMoE's"
                + " QK norm spans them)",
            dir.resolve("config.json"));
  }

  @Test
  void deepSeekV3DefaultsAndIgnoredAttentionKeys() throws IOException {
    ModelConfig config =
        read(
            "DeepseekV3ForCausalLM",
            "\"n_routed_experts\": 16, \"moe_intermediate_size\": 32, \"intermediate_size\": 96,"
                + " \"n_group\": 4, \"topk_group\": 2,"
                + " \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 40}");
    assertThat(config.numExperts()).isEqualTo(16);
    assertThat(config.router())
        .as("norm_topk_prob true, routed_scaling_factor 2.5")
        .isEqualTo(RouterSpec.groupLimitedSigmoid(TopKNormalization.RENORMALIZE, 4, 2, 2.5f));
    assertThat(config.feedForward())
        .as("first_k_dense_replace 3 dense layers; one shared expert of moe_intermediate_size")
        .isEqualTo(new FeedForwardSpec(List.of(0, 1, 2), 96, 32, false));
    assertThat(config.rmsNormEps()).isEqualTo(1e-6f);
  }

  @Test
  void deepSeekV3RouterSettingsAreCheckedAtLoad() {
    assertThatThrownBy(
            () ->
                read(
                    "DeepseekV3ForCausalLM",
                    "\"n_routed_experts\": 6, \"moe_intermediate_size\": 32,"
                        + " \"first_k_dense_replace\": 0"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: Invalid number of expert groups: 8 (expected: a divisor of 6, the"
                + " number of experts)",
            dir.resolve("config.json"));
  }

  @Test
  void onlySiluExpertsAreSupported() {
    assertThatThrownBy(
            () ->
                read(
                    "OlmoeForCausalLM",
                    "\"num_experts\": 8, \"intermediate_size\": 32, \"hidden_act\": \"gelu\""))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Invalid hidden_act in %s: gelu (expected: silu)", dir.resolve("config.json"));
  }

  private ModelConfig read(String architecture, String keys) throws IOException {
    String json = String.format("{\"architectures\": [\"%s\"], %s, %s}", architecture, SHAPE, keys);
    Files.writeString(dir.resolve("config.json"), json);
    return ModelConfigReader.read(dir);
  }
}
