package dev.sparkmoe.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.nn.SwiGluKernel;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU expert FFN against a plain double-precision loop: ‖out − ref‖ / ‖ref‖ ≤ 1e-5, for each
 * SwiGLU kernel and with batches that span several chunks.
 */
class CpuExpertBackendTest {
  private final Random random = new Random(20261128);

  @ParameterizedTest(name = "{0} tokens")
  @ValueSource(ints = {1, 3, 17, 64})
  void matchesNaiveSwiGlu(int tokens) {
    try (ExpertBackend backend = ExpertBackends.create("cpu")) {
      assertMatchesNaive(backend, tokens);
    }
  }

  static Stream<Arguments> kernelsAndChunks() {
    return Stream.of(SwiGluKernel.values())
        .flatMap(
            k ->
                Stream.of(
                    Arguments.of(k, 0, 64), Arguments.of(k, 5, 17), Arguments.of(k, 200, 300)));
  }

  @ParameterizedTest(
      name = "{0}, chunks of {1} (0: auto; rounded up to GEMM row blocks), {2} tokens")
  @MethodSource("kernelsAndChunks")
  void everyKernelAndChunkingMatchesNaive(SwiGluKernel kernel, int chunk, int tokens) {
    assumeTrue(kernel.isAvailable(), "needs --add-modules jdk.incubator.vector");
    try (ExpertBackend backend = new CpuExpertBackend(kernel, chunk)) {
      assertMatchesNaive(backend, tokens);
      assertThat(backend.description())
          .contains("SwiGLU " + kernel.name().toLowerCase(Locale.ROOT));
    }
  }

  @Test
  void rejectsBadChunk() {
    assertThatThrownBy(() -> new CpuExpertBackend(SwiGluKernel.SCALAR, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid chunk tokens: -1 (expected: 0 or more)");
  }

  private void assertMatchesNaive(ExpertBackend backend, int tokens) {
    int hidden = 48;
    int ffn = 40;
    ExpertWeights weights =
        new ExpertWeights(
            0, 0, hidden, ffn, fresh(2 * ffn * hidden, 0.15f), fresh(hidden * ffn, 0.15f));
    float[] x = fresh(tokens * hidden, 1f);
    float[] out = new float[tokens * hidden];
    backend.compute(backend.upload(weights), x, tokens, out);
    double[] ref = naive(weights, x, tokens);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < ref.length; i++) {
      diff += (out[i] - ref[i]) * (out[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
    assertThat(Math.sqrt(diff / norm))
        .as("relative error vs double-precision loop")
        .isLessThan(1e-5);
  }

  @Test
  void unknownBackendNamesTheChoices() {
    assertThatThrownBy(() -> ExpertBackends.create("tpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid backend: tpu (expected: one of cpu, auto)");
  }

  @Test
  void autoFallsBackToCpu() {
    try (ExpertBackend backend = ExpertBackends.create("auto")) {
      assertThat(backend.name()).isEqualTo("cpu");
      assertThat(backend.description()).startsWith("cpu (BLAS dev.ludovic.netlib.blas.");
    }
  }

  private static double[] naive(ExpertWeights w, float[] x, int tokens) {
    int h = w.hidden();
    int f = w.ffn();
    double[] out = new double[tokens * h];
    for (int t = 0; t < tokens; t++) {
      double[] act = new double[f];
      for (int j = 0; j < f; j++) {
        double gate = 0;
        double up = 0;
        for (int i = 0; i < h; i++) {
          gate += w.gateUp()[j * h + i] * (double) x[t * h + i];
          up += w.gateUp()[(f + j) * h + i] * (double) x[t * h + i];
        }
        act[j] = gate / (1 + Math.exp(-gate)) * up;
      }
      for (int i = 0; i < h; i++) {
        double sum = 0;
        for (int j = 0; j < f; j++) {
          sum += w.down()[i * f + j] * act[j];
        }
        out[t * h + i] = sum;
      }
    }
    return out;
  }

  private float[] fresh(int n, float scale) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }
}
