package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigReaderTest {
  private static final String MINIMAL =
      """
      {"architectures": ["MixtralForCausalLM"], "hidden_size": 64, "intermediate_size": 96,
       "num_hidden_layers": 2, "num_attention_heads": 16, "num_local_experts": 8,
       "num_experts_per_tok": 2, "vocab_size": 512%s}
      """;

  @TempDir Path dir;

  @Test
  void appliesTransformersDefaults() throws IOException {
    ModelConfig config = read(String.format(MINIMAL, ""));
    assertThat(config.numKvHeads())
        .as("a missing num_key_value_heads is MixtralConfig's 8")
        .isEqualTo(8);
    assertThat(read(String.format(MINIMAL, ", \"num_key_value_heads\": null")).numKvHeads())
        .as("num_key_value_heads null means num_attention_heads")
        .isEqualTo(16);
    assertThat(config.headDim()).as("head_dim defaults to hidden / heads").isEqualTo(4);
    assertThat(config.rmsNormEps()).as("MixtralConfig rms_norm_eps").isEqualTo(1e-5f);
    assertThat(config.ropeTheta()).as("MixtralConfig rope_theta").isEqualTo(1e6);
    assertThat(config.maxPositionEmbeddings())
        .as("MixtralConfig max_position_embeddings")
        .isEqualTo(131072);
    assertThat(config.tieWordEmbeddings()).isFalse();
    assertThat(config.slidingWindow()).as("null sliding_window: full attention").isZero();
  }

  @Test
  void readsRopeParametersOfTransformers5() throws IOException {
    ModelConfig config =
        read(
            String.format(
                MINIMAL,
                ", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}"));
    assertThat(config.ropeTheta()).isEqualTo(10000.0);
  }

  @Test
  void unknownArchitectureListsSupported() throws IOException {
    String json = String.format(MINIMAL, "").replace("MixtralForCausalLM", "LlamaForCausalLM");
    assertThatThrownBy(() -> read(json))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Invalid architecture LlamaForCausalLM in %s (expected: one of MixtralForCausalLM,"
                + " Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, OlmoeForCausalLM,"
                + " DeepseekV3ForCausalLM)",
            dir.resolve("config.json"));
  }

  @Test
  void missingKeyIsNamed() throws IOException {
    String json = String.format(MINIMAL, "").replace("\"vocab_size\": 512", "\"other\": 1");
    assertThatThrownBy(() -> read(json))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: missing key vocab_size (expected: a positive integer)",
            dir.resolve("config.json"));
  }

  @Test
  void badValuesAreNamed() throws IOException {
    assertThatThrownBy(() -> read(String.format(MINIMAL, ", \"num_key_value_heads\": 3")))
        .hasMessage(
            "Invalid num_attention_heads in %s: 16 (expected: a multiple of num_key_value_heads 3)",
            dir.resolve("config.json"));
    assertThatThrownBy(
            () ->
                read(
                    String.format(MINIMAL, "")
                        .replace("\"hidden_size\": 64", "\"hidden_size\": -1")))
        .hasMessage(
            "Invalid hidden_size in %s: -1 (expected: a positive integer)",
            dir.resolve("config.json"));
    assertThatThrownBy(
            () ->
                read(
                    String.format(
                        MINIMAL, ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}")))
        .hasMessage(
            "Invalid rope_scaling.rope_type in %s: yarn (expected: default)",
            dir.resolve("config.json"));
  }

  @Test
  void missingDirectoryAndFileAndJson() throws IOException {
    assertThatThrownBy(() -> ModelConfigReader.read(dir.resolve("nope")))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load model %s: not a directory (expected: a folder with config.json and model.safetensors)",
            dir.resolve("nope"));
    assertThatThrownBy(() -> ModelConfigReader.read(dir))
        .hasMessage(
            "Cannot load model %s: config.json is missing (expected: the model's Hugging Face"
                + " config.json in that folder)",
            dir);
    assertThatThrownBy(() -> read("{\"architectures\": ["))
        .hasMessageStartingWith("Cannot read " + dir.resolve("config.json") + ": not valid JSON");
  }

  private ModelConfig read(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
    return ModelConfigReader.read(dir);
  }
}
