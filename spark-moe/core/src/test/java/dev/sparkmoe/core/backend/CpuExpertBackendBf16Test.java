package dev.sparkmoe.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.safetensors.DType;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CPU backend in bf16 against itself in f32, on CPUs with bf16 instructions. */
class CpuExpertBackendBf16Test {
  /**
   * Expert FFN at the seed-4x16 shape (hidden 1024, FFN 2816), Gaussian input, weights of std
   * 1/√fan-in: measured 4.1e-3 to 4.5e-3 (input, weights and the SwiGLU output each rounded to
   * bf16); the bound leaves 1.5× margin.
   */
  static final double FFN_BOUND = 7e-3;

  @TempDir Path temp;
  private final Random random = new Random(20261202);

  @BeforeEach
  void needsBf16() {
    assumeTrue(Bf16Gemm.unavailableReason().isEmpty(), () -> Bf16Gemm.unavailableReason().get());
  }

  @ParameterizedTest(name = "{0} tokens")
  @ValueSource(ints = {1, 256, 1024 + 70})
  void expertFfnAtTheSeedShapeStaysWithinBf16Rounding(int tokens) {
    ExpertWeights weights = expert(1024, 2816);
    float[] input = gaussian(tokens * 1024, 1f);
    float[] expected = compute(new CpuExpertBackend(), weights, input, tokens);
    float[] actual = compute(new CpuExpertBackend(ComputeDtype.BF16), weights, input, tokens);
    double error = relativeError(actual, expected);
    System.out.printf("bf16 expert FFN, %d tokens: rel err %.3g%n", tokens, error);
    assertThat(error)
        .as("bf16 expert FFN vs f32, hidden 1024, FFN 2816, %d tokens", tokens)
        .isLessThan(FFN_BOUND)
        .isGreaterThan(1e-5);
  }

  @Test
  void bf16CheckpointBitsLoadAsTheyAreAtHalfTheBytes() {
    Path dir =
        ModelFixtures.write(
            ModelFixtures.tiny().toBuilder().dtype(DType.BF16).build(), temp.resolve("bf16"));
    try (MoeModel model = MoeModel.open(dir);
        CpuExpertBackend bf16 = new CpuExpertBackend(ComputeDtype.BF16)) {
      ExpertWeights decoded = model.loadExpert(1, 3);
      ResidentExpert fromBits = bf16.upload(model, 1, 3);
      ResidentExpert fromFloats = bf16.upload(decoded);
      int tokens = 9;
      float[] input = gaussian(tokens * decoded.hidden(), 1f);
      float[] a = new float[input.length];
      float[] b = new float[input.length];
      bf16.compute(fromBits, input, tokens, a);
      bf16.compute(fromFloats, input, tokens, b);
      assertThat(a).as("BF16 bits as stored = decoded f32 rounded back to bf16").containsExactly(b);
      assertThat(fromBits.sizeBytes())
          .as("two bytes per weight")
          .isEqualTo(2L * (decoded.gateUp().length + decoded.down().length));
      assertThat(fromBits.layer()).isEqualTo(1);
      assertThat(fromBits.expert()).isEqualTo(3);
    }
  }

  @Test
  void closingTheBackendFreesItsBf16Experts() {
    CpuExpertBackend backend = new CpuExpertBackend(ComputeDtype.BF16);
    ResidentExpert expert = backend.upload(expert(64, 96));
    backend.close();
    assertThatThrownBy(() -> backend.compute(expert, new float[64], 1, new float[64]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot use bf16 matrix [192, 64]: it is closed");
  }

  @Test
  void registryCreatesTheCpuBackendInEitherDtype() {
    try (ExpertBackend bf16 = ExpertBackends.create("cpu", null, ComputeDtype.BF16);
        ExpertBackend f32 = ExpertBackends.create("cpu", null, ComputeDtype.F32)) {
      assertThat(((CpuExpertBackend) bf16).dtype()).isEqualTo(ComputeDtype.BF16);
      assertThat(bf16.description()).startsWith("cpu (bf16 oneDNN 3.3.4 brg:");
      assertThat(((CpuExpertBackend) f32).dtype()).isEqualTo(ComputeDtype.F32);
      assertThat(f32.description()).startsWith("cpu (BLAS ");
    }
  }

  private static float[] compute(
      CpuExpertBackend backend, ExpertWeights weights, float[] input, int tokens) {
    try (backend) {
      float[] out = new float[input.length];
      backend.compute(backend.upload(weights), input, tokens, out);
      return out;
    }
  }

  private ExpertWeights expert(int hidden, int ffn) {
    return new ExpertWeights(
        0,
        0,
        hidden,
        ffn,
        gaussian(2 * ffn * hidden, (float) (1 / Math.sqrt(hidden))),
        gaussian(hidden * ffn, (float) (1 / Math.sqrt(ffn))));
  }

  private float[] gaussian(int size, float std) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian() * std;
    }
    return values;
  }

  static double relativeError(float[] actual, float[] expected) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = (double) actual[i] - expected[i];
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
    return Math.sqrt(num / den);
  }
}
