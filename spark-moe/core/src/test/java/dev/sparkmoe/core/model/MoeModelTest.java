package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.safetensors.SafetensorsFile;
import dev.sparkmoe.core.safetensors.SafetensorsWriter;
import dev.sparkmoe.core.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MoeModelTest {
  @TempDir Path temp;

  @Test
  void opensGeneratedModelAndLoadsOneExpert() {
    Path dir = ModelFixtures.tinyMixtral(temp.resolve("m"));
    try (MoeModel model = MoeModel.open(dir)) {
      ModelSpec spec = ModelFixtures.tiny();
      assertThat(model.config().numExperts()).isEqualTo(spec.experts());
      assertThat(model.hasAttention(0)).isTrue();
      ExpertWeights expert = model.loadExpert(1, 3);
      assertThat(expert.gateUp()).hasSize(2 * spec.ffn() * spec.hidden());
      assertThat(expert.down()).hasSize(spec.hidden() * spec.ffn());
      try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
        float[] w3 = file.readFloats("model.layers.1.block_sparse_moe.experts.3.w3.weight");
        int half = spec.ffn() * spec.hidden();
        assertThat(java.util.Arrays.copyOfRange(expert.gateUp(), half, 2 * half))
            .as("up projection (w3) is the second half of the fused matrix")
            .containsExactly(w3);
      }
    }
  }

  @Test
  void pureMoeLayersHaveNoAttention() {
    Path dir =
        ModelFixtures.write(
            ModelFixtures.tiny().toBuilder().withoutAttention().build(), temp.resolve("m"));
    try (MoeModel model = MoeModel.open(dir)) {
      assertThat(model.hasAttention(0)).isFalse();
      assertThat(model.loadDense().layers().get(1).attention()).isNull();
    }
  }

  @Test
  void shapeMismatchNamesTensorAndBothShapes() throws IOException {
    Path dir =
        rewrite(
            "model.layers.1.block_sparse_moe.experts.7.w2.weight",
            info ->
                new TensorInfo(
                    info.name(), info.dtype(), java.util.List.of(64L, 95L), 0, 64 * 95 * 4));
    assertThatThrownBy(() -> MoeModel.open(dir))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load expert tensor model.layers.1.block_sparse_moe.experts.7.w2.weight: shape [64, 95]"
                + " does not match config (expected: [64, 96])");
  }

  @Test
  void missingExpertIsNamed() throws IOException {
    Path dir = rewrite("model.layers.0.block_sparse_moe.experts.5.w1.weight", info -> null);
    assertThatThrownBy(() -> MoeModel.open(dir))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot load expert tensor model.layers.0.block_sparse_moe.experts.5.w1.weight: missing from"
                + " checkpoint %s (expected shape: [96, 64])",
            dir);
  }

  @Test
  void partialAttentionIsRejected() throws IOException {
    Path dir = rewrite("model.layers.1.self_attn.k_proj.weight", info -> null);
    assertThatThrownBy(() -> MoeModel.open(dir))
        .isInstanceOf(InvalidModelException.class)
        .hasMessageStartingWith(
            "Cannot load layer 1 of "
                + dir
                + ": attention tensor model.layers.1.self_attn.k_proj.weight is"
                + " missing while others are present");
  }

  /**
   * Copies the tiny model with one tensor replaced (same values, the shape {@code change} gives,
   * random values) or dropped ({@code change} returns null).
   */
  private Path rewrite(String target, UnaryOperator<TensorInfo> change) throws IOException {
    Path source = ModelFixtures.tinyMixtral(temp.resolve("source"));
    Path dir = Files.createDirectories(temp.resolve("broken"));
    Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
    SafetensorsWriter writer = SafetensorsWriter.create();
    try (SafetensorsFile file = SafetensorsFile.open(source.resolve("model.safetensors"))) {
      for (TensorInfo info : file.tensors()) {
        TensorInfo written = info.name().equals(target) ? change.apply(info) : info;
        if (written != null) {
          java.util.Random random = new java.util.Random(info.name().hashCode());
          writer.tensor(
              written.name(),
              written.dtype(),
              written.shape(),
              (start, dst, count) -> {
                for (int i = 0; i < count; i++) {
                  dst[i] = (float) random.nextGaussian();
                }
              });
        }
      }
    }
    writer.writeTo(dir.resolve("model.safetensors"));
    return dir;
  }
}
