package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.routing.GroupLimitedSigmoidRouter;
import dev.sparkmoe.core.safetensors.DType;
import dev.sparkmoe.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading and validating Qwen2-MoE and DeepSeek-V3 checkpoints written here tensor by tensor: dense
 * layers, shared experts, the selection bias, attention biases, and what is refused. Their numbers
 * are checked against transformers by {@code FamilyParityTest}.
 */
class FamilyModelTest {
  private static final float[] BIAS = {-0.2f, 0.05f, 0.3f, -0.1f};

  private static final String DEEPSEEK =
      """
      {"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 8, "num_hidden_layers": 2,
       "vocab_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_group": 2,
       "topk_group": 1, "moe_intermediate_size": 4, "intermediate_size": 6, "n_shared_experts": 1,
       "first_k_dense_replace": 1, "routed_scaling_factor": 2.5, "num_attention_heads": 2,
       "q_lora_rank": null, "kv_lora_rank": 4, "qk_rope_head_dim": 2}
      """;

  private static final String QWEN2 =
      """
      {"architectures": ["Qwen2MoeForCausalLM"], "hidden_size": 8, "num_hidden_layers": 1,
       "vocab_size": 16, "num_attention_heads": 2, "num_key_value_heads": 1, "num_experts": 4,
       "num_experts_per_tok": 2, "moe_intermediate_size": 4, "shared_expert_intermediate_size": 6}
      """;

  @TempDir Path temp;

  @Test
  void deepSeekLoadsADenseLayerThenAMoeLayerWithItsSelectionBias() throws IOException {
    Path dir = write(DEEPSEEK, deepSeekTensors());
    try (MoeModel model = MoeModel.open(dir)) {
      DenseWeights dense = model.loadDense();
      LayerWeights first = dense.layers().get(0);
      LayerWeights second = dense.layers().get(1);
      assertThat(first.isMoe()).as("first_k_dense_replace 1: layer 0 is dense").isFalse();
      assertThat(first.mlp().ffn()).as("dense MLP width: intermediate_size").isEqualTo(6);
      assertThat(second.hasAttention()).isFalse();
      assertThat(second.moe().correctionBias()).containsExactly(BIAS);
      assertThat(second.moe().sharedExpert().ffn())
          .as("moe_intermediate_size x n_shared_experts")
          .isEqualTo(4);
      assertThat(second.moe().sharedExpertGate())
          .as("DeepSeek's shared expert is ungated")
          .isNull();

      DecoderStage stage = new DecoderStage(model.config(), dense);
      assertThat(stage.router(0)).as("a dense layer has no router").isNull();
      GroupLimitedSigmoidRouter router = (GroupLimitedSigmoidRouter) stage.router(1);
      assertThat(router.correctionBias()).containsExactly(BIAS);
      assertThat(router.numGroups()).isEqualTo(2);
      assertThat(router.routedScalingFactor()).isEqualTo(2.5f);
      assertThat(model.loadExpert(1, 3).ffn()).isEqualTo(4);
      assertThatThrownBy(() -> model.loadExpert(0, 3))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Cannot load expert 3 of layer 0: layer 0 is a dense MLP layer (dense layers: [0])");
    }
  }

  @Test
  void deepSeekAttentionIsRefusedNamingATensor() throws IOException {
    Map<String, long[]> tensors = deepSeekTensors();
    tensors.put("model.layers.1.self_attn.kv_a_proj_with_mqa.weight", new long[] {6, 8});
    tensors.put("model.layers.1.self_attn.o_proj.weight", new long[] {8, 4});
    Path dir = write(DEEPSEEK, tensors);
    assertThatThrownBy(() -> MoeModel.open(dir))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load layer 1 of %s: DeepseekV3ForCausalLM attention (tensor"
                + " model.layers.1.self_attn.kv_a_proj_with_mqa.weight) is not supported (expected:"
                + " no model.layers.1.self_attn.* tensors; spark-moe runs DeepseekV3ForCausalLM"
                + " checkpoints whose layers are pure MoE layers)",
            dir);
  }

  @Test
  void deepSeekMissingSelectionBiasIsNamed() throws IOException {
    Map<String, long[]> tensors = deepSeekTensors();
    tensors.remove("model.layers.1.mlp.gate.e_score_correction_bias");
    Path dir = write(DEEPSEEK, tensors);
    assertThatThrownBy(() -> MoeModel.open(dir))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load router tensor model.layers.1.mlp.gate.e_score_correction_bias: missing"
                + " from checkpoint %s (expected shape: [4])",
            dir);
  }

  @Test
  void qwen2LoadsAttentionBiasesAndTheGatedSharedExpert() throws IOException {
    Path dir = write(QWEN2, qwen2Tensors());
    try (MoeModel model = MoeModel.open(dir)) {
      LayerWeights layer = model.loadDense().layers().get(0);
      assertThat(layer.attention().queryBias()).hasSize(8);
      assertThat(layer.attention().keyBias()).hasSize(4);
      assertThat(layer.attention().outputBias()).as("Qwen2-MoE: no o_proj bias").isNull();
      assertThat(layer.moe().sharedExpert().ffn()).isEqualTo(6);
      assertThat(layer.moe().sharedExpertGate()).hasSize(8);
      assertThat(layer.moe().correctionBias()).isNull();
    }
  }

  @Test
  void qwen2MissingPiecesAreNamed() throws IOException {
    Map<String, long[]> tensors = qwen2Tensors();
    tensors.remove("model.layers.0.mlp.shared_expert_gate.weight");
    Path noGate = write(QWEN2, tensors);
    assertThatThrownBy(() -> MoeModel.open(noGate))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load shared expert tensor model.layers.0.mlp.shared_expert_gate.weight: missing"
                + " from checkpoint %s (expected shape: [1, 8])",
            noGate);

    tensors = qwen2Tensors();
    tensors.remove("model.layers.0.self_attn.v_proj.bias");
    Path noBias = write(QWEN2, tensors);
    assertThatThrownBy(() -> MoeModel.open(noBias))
        .isInstanceOf(InvalidModelException.class)
        .hasMessageStartingWith(
            "Cannot load layer 0 of "
                + noBias
                + ": attention tensor model.layers.0.self_attn.v_proj.bias is missing while others"
                + " are present");
  }

  private static Map<String, long[]> deepSeekTensors() {
    Map<String, long[]> t = common();
    for (int layer = 0; layer < 2; layer++) {
      t.put("model.layers." + layer + ".post_attention_layernorm.weight", new long[] {8});
    }
    mlp(t, "model.layers.0.mlp.", 6);
    t.put("model.layers.1.mlp.gate.weight", new long[] {4, 8});
    t.put("model.layers.1.mlp.gate.e_score_correction_bias", new long[] {4});
    mlp(t, "model.layers.1.mlp.shared_experts.", 4);
    for (int expert = 0; expert < 4; expert++) {
      mlp(t, "model.layers.1.mlp.experts." + expert + ".", 4);
    }
    return t;
  }

  private static Map<String, long[]> qwen2Tensors() {
    Map<String, long[]> t = common();
    String p = "model.layers.0.";
    t.put(p + "input_layernorm.weight", new long[] {8});
    t.put(p + "post_attention_layernorm.weight", new long[] {8});
    t.put(p + "self_attn.q_proj.weight", new long[] {8, 8});
    t.put(p + "self_attn.k_proj.weight", new long[] {4, 8});
    t.put(p + "self_attn.v_proj.weight", new long[] {4, 8});
    t.put(p + "self_attn.o_proj.weight", new long[] {8, 8});
    t.put(p + "self_attn.q_proj.bias", new long[] {8});
    t.put(p + "self_attn.k_proj.bias", new long[] {4});
    t.put(p + "self_attn.v_proj.bias", new long[] {4});
    t.put(p + "mlp.gate.weight", new long[] {4, 8});
    t.put(p + "mlp.shared_expert_gate.weight", new long[] {1, 8});
    mlp(t, p + "mlp.shared_expert.", 6);
    for (int expert = 0; expert < 4; expert++) {
      mlp(t, p + "mlp.experts." + expert + ".", 4);
    }
    return t;
  }

  private static Map<String, long[]> common() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", new long[] {16, 8});
    t.put("model.norm.weight", new long[] {8});
    t.put("lm_head.weight", new long[] {16, 8});
    return t;
  }

  private static void mlp(Map<String, long[]> t, String prefix, int ffn) {
    t.put(prefix + "gate_proj.weight", new long[] {ffn, 8});
    t.put(prefix + "up_proj.weight", new long[] {ffn, 8});
    t.put(prefix + "down_proj.weight", new long[] {8, ffn});
  }

  /**
   * Writes config.json and an F32 model.safetensors with random values (the bias: {@link #BIAS}).
   */
  private Path write(String config, Map<String, long[]> tensors) throws IOException {
    Path dir = Files.createTempDirectory(temp, "model");
    Files.writeString(dir.resolve("config.json"), config);
    SafetensorsWriter writer = SafetensorsWriter.create();
    Random random = new Random();
    for (Map.Entry<String, long[]> tensor : tensors.entrySet()) {
      boolean bias = tensor.getKey().endsWith("e_score_correction_bias");
      writer.tensor(
          tensor.getKey(),
          DType.F32,
          Arrays.stream(tensor.getValue()).boxed().toList(),
          (start, dst, count) -> {
            for (int i = 0; i < count; i++) {
              dst[i] = bias ? BIAS[(int) start + i] : (float) random.nextGaussian();
            }
          });
    }
    writer.writeTo(dir.resolve("model.safetensors"));
    return dir;
  }
}
