package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.safetensors.BFloat16;
import dev.sparkmoe.core.safetensors.DType;
import dev.sparkmoe.core.safetensors.SafetensorsFile;
import dev.sparkmoe.core.safetensors.SafetensorsWriter;
import dev.sparkmoe.core.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

  @ParameterizedTest(name = "{0} checkpoint")
  @EnumSource(
      value = DType.class,
      names = {"BF16", "F16"})
  void packedDenseHandsThePackerBf16BitsAndKeepsNoF32Projections(DType dtype) {
    Path dir =
        ModelFixtures.write(
            ModelFixtures.tiny().toBuilder().dtype(dtype).build(), temp.resolve("m"));
    List<RecordingMatrix> packed = new ArrayList<>();
    try (MoeModel model = MoeModel.open(dir)) {
      DenseWeights f32 = model.loadDense();
      DenseWeights dense =
          model.loadDensePacked(
              (bits, offset, rows, cols) -> {
                RecordingMatrix matrix =
                    new RecordingMatrix(
                        Arrays.copyOfRange(bits, offset, offset + rows * cols), rows);
                packed.add(matrix);
                return matrix;
              });
      AttentionWeights attention = dense.layers().get(0).attention();
      AttentionWeights exact = f32.layers().get(0).attention();
      assertThat(attention.query()).as("no f32 query projection kept").isNull();
      assertThat(attention.output()).as("no f32 output projection kept").isNull();
      assertThat(((RecordingMatrix) attention.packed().key()).bits)
          .as("key projection: the f32 decode rounded to bf16 (BF16: the checkpoint's own bits)")
          .containsExactly(bf16(exact.key()));
      assertThat(((RecordingMatrix) attention.packed().output()).rows)
          .isEqualTo(model.config().hiddenSize());
      assertThat(dense.layers().get(0).moe().router())
          .as("the router stays f32")
          .containsExactly(f32.layers().get(0).moe().router());
      assertThat(packed).hasSize(4 * model.config().numLayers());
      dense.close();
      assertThat(packed).allMatch(matrix -> matrix.closed, "closed with the dense weights");
    }
  }

  private static short[] bf16(float[] values) {
    short[] bits = new short[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = BFloat16.fromFloat(values[i]);
    }
    return bits;
  }

  /** A packed matrix that keeps the bits it was made from and computes nothing. */
  private static final class RecordingMatrix implements PackedMatrix {
    final short[] bits;
    final int rows;
    boolean closed;

    RecordingMatrix(short[] bits, int rows) {
      this.bits = bits;
      this.rows = rows;
    }

    @Override
    public int rows() {
      return rows;
    }

    @Override
    public int cols() {
      return bits.length / rows;
    }

    @Override
    public long sizeBytes() {
      return 2L * bits.length;
    }

    @Override
    public void multiplyTransposed(
        float[] a, int aOffset, int lda, int n, float[] c, int cOffset, int ldc) {
      throw new UnsupportedOperationException("not for products");
    }

    @Override
    public void close() {
      closed = true;
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
