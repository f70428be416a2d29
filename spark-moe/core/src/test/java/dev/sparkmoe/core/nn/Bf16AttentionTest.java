package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.PackedProjections;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attention with its four projections packed in bf16 ({@link Bf16Matrix}) against the same
 * attention with f32 projections, on CPUs with bf16 instructions (skipped elsewhere). Biases, QK
 * norm, RoPE and softmax are f32 in both; only the projections' rounding differs.
 */
class Bf16AttentionTest {
  private static final int HIDDEN = 512;
  private static final int HEADS = 8;
  private static final int KV_HEADS = 2;
  private static final int HEAD_DIM = 64;
  private static final double THETA = 10_000;

  /**
   * ‖out − out_f32‖ / ‖out_f32‖ over a batch of three sequences (hidden 512): four chained bf16
   * products, each within 2⁻⁹·√2 per element ({@link Bf16GemmTest}); measured 2.48e-3 to 2.54e-3 on
   * fresh Gaussian data (2026-12, AVX512-BF16, oneDNN brg:avx512_core_bf16); the bound leaves about
   * 1.6× margin.
   */
  static final double ATTENTION_BOUND = 4e-3;

  private final Random random = new Random();
  private final ModelConfig config =
      ModelConfig.builder(Architecture.MIXTRAL)
          .shape(HIDDEN, 1, 64)
          .heads(HEADS, KV_HEADS, HEAD_DIM)
          .experts(4, 2, 32)
          .ropeTheta(THETA)
          .maxPositionEmbeddings(256)
          .build();

  @BeforeEach
  void needsBf16() {
    assumeTrue(Bf16Gemm.unavailableReason().isEmpty(), () -> Bf16Gemm.unavailableReason().get());
  }

  @Test
  void packedProjectionsStayWithinBf16RoundingOfF32() {
    int[] rowOffsets = {0, 37, 37, 130, 131};
    int total = rowOffsets[rowOffsets.length - 1];
    AttentionWeights f32 = randomWeights();
    float[] x = gaussian(total * HIDDEN, 1f);
    Attention attention = new Attention(config, new Rope(HEAD_DIM, THETA));
    float[] expected = new float[total * HIDDEN];
    attention.applyRows(f32, x, rowOffsets, expected);
    float[] actual = new float[total * HIDDEN];
    try (PackedProjections packed = pack(f32)) {
      AttentionWeights bf16 = f32.withPacked(packed);
      assertThat(bf16.query()).as("no f32 copy of the packed query projection").isNull();
      attention.applyRows(bf16, x, rowOffsets, actual);
    }
    double error = Bf16GemmTest.relativeError(actual, expected);
    System.out.printf("bf16 attention: rel err %.3g against f32%n", error);
    assertThat(error)
        .as("bf16 projections (f32 accumulation) vs f32 attention, hidden %d", HIDDEN)
        .isLessThan(ATTENTION_BOUND)
        .isGreaterThan(1e-5);
  }

  @Test
  void closedProjectionsRefuseToCompute() {
    AttentionWeights f32 = randomWeights();
    PackedProjections packed = pack(f32);
    packed.close();
    float[] x = gaussian(3 * HIDDEN, 1f);

    assertThatThrownBy(
            () ->
                new Attention(config, new Rope(HEAD_DIM, THETA))
                    .applyRows(f32.withPacked(packed), x, new int[] {0, 3}, new float[x.length]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot use bf16 matrix [512, 512]: it is closed");
  }

  private static PackedProjections pack(AttentionWeights w) {
    int q = HEADS * HEAD_DIM;
    int kv = KV_HEADS * HEAD_DIM;
    return new PackedProjections(
        Bf16Matrix.ofFloats(w.query(), 0, q, HIDDEN),
        Bf16Matrix.ofFloats(w.key(), 0, kv, HIDDEN),
        Bf16Matrix.ofFloats(w.value(), 0, kv, HIDDEN),
        Bf16Matrix.ofFloats(w.output(), 0, HIDDEN, q));
  }

  /** Projections with biases (as Qwen2-MoE has them): the packed path must add them too. */
  private AttentionWeights randomWeights() {
    float scale = 1f / (float) Math.sqrt(HIDDEN);
    int q = HEADS * HEAD_DIM;
    int kv = KV_HEADS * HEAD_DIM;
    return new AttentionWeights(
        gaussian(q * HIDDEN, scale),
        gaussian(kv * HIDDEN, scale),
        gaussian(kv * HIDDEN, scale),
        gaussian(HIDDEN * q, scale),
        gaussian(q, 0.5f),
        gaussian(kv, 0.5f),
        gaussian(kv, 0.5f),
        gaussian(HIDDEN, 0.5f),
        null,
        null);
  }

  private float[] gaussian(int size, float scale) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }
}
