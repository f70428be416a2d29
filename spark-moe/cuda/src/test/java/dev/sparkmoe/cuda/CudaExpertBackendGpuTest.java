package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expert FFN through {@link CudaExpertBackend} against the CPU backend on fresh random weights
 * and tokens: ‖out − cpu‖ / ‖cpu‖ ≤ 1e-2 in f16 and bf16, every output written (workspace and
 * output poisoned first), and the pipelined path bit for bit equal to the synchronous one.
 */
@GpuTest
class CudaExpertBackendGpuTest {
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);

  static Stream<Arguments> shapes() {
    List<Arguments> cases = new ArrayList<>();
    // hidden, ffn, tokens, chunk tokens: one chunk; five chunks (odd, so slot 0 is reused with a
    // short last chunk); odd widths; the seed-4x16 expert shape.
    int[][] shapes = {
      {64, 96, 1, 2048}, {64, 96, 300, 64}, {72, 200, 33, 8}, {1024, 2816, 257, 100}
    };
    for (TensorDtype dtype : TensorDtype.values()) {
      for (int[] s : shapes) {
        cases.add(Arguments.of(dtype, s[0], s[1], s[2], s[3]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} hidden={1} ffn={2} tokens={3} chunk={4}")
  @MethodSource("shapes")
  void matchesCpuBackendAndSynchronousPath(
      TensorDtype dtype, int hidden, int ffn, int tokens, int chunk) {
    ExpertWeights weights = weights(0, 1, hidden, ffn);
    float[] x = gaussian(tokens * hidden, 1f);
    float[] expected = new float[x.length];
    try (CpuExpertBackend cpu = new CpuExpertBackend()) {
      cpu.compute(cpu.upload(weights), x, tokens, expected);
    }
    CudaBackendOptions options =
        CudaBackendOptions.defaults().withDtype(dtype).withChunkTokens(chunk);
    try (CudaExpertBackend cuda = CudaExpertBackend.open(options)) {
      ResidentExpert expert = cuda.upload(weights);
      float[] pipelined = run(cuda, expert, x, tokens, false);
      float[] synchronous = run(cuda, expert, x, tokens, true);
      assertThat(GpuFixture.firstNonFinite(pipelined, pipelined.length))
          .as("seed %d: first unwritten output", seed)
          .isEqualTo(-1);
      assertThat(GpuFixture.relativeError(pipelined, expected))
          .as("seed %d: %s vs the CPU backend", seed, dtype)
          .isLessThanOrEqualTo(1e-2);
      assertThat(pipelined)
          .as("seed %d: pipelined vs synchronous", seed)
          .containsExactly(synchronous);
    }
  }

  @Test
  void residentExpertsKeepTheirOwnWeights() {
    ExpertWeights first = weights(0, 0, 128, 256);
    ExpertWeights second = weights(0, 1, 128, 256);
    float[] x = gaussian(50 * 128, 1f);
    try (CudaExpertBackend cuda = CudaExpertBackend.open(CudaBackendOptions.defaults());
        CpuExpertBackend cpu = new CpuExpertBackend()) {
      List<ExpertWeights> weights = List.of(first, second);
      List<ResidentExpert> resident = List.of(cuda.upload(first), cuda.upload(second));
      for (int which : new int[] {1, 0, 1}) {
        ExpertWeights w = weights.get(which);
        float[] expected = new float[x.length];
        cpu.compute(cpu.upload(w), x, 50, expected);
        float[] actual = run(cuda, resident.get(which), x, 50, false);
        assertThat(GpuFixture.relativeError(actual, expected))
            .as("seed %d: expert %d", seed, w.expert())
            .isLessThanOrEqualTo(1e-2);
      }
      assertThat(resident.get(0).sizeBytes()).isEqualTo(2L * 3 * 128 * 256);
    }
  }

  @Test
  void refusesExpertsOfAnotherBackend() {
    ExpertWeights w = weights(2, 5, 64, 96);
    try (CudaExpertBackend cuda = CudaExpertBackend.open(CudaBackendOptions.defaults());
        CpuExpertBackend cpu = new CpuExpertBackend()) {
      ResidentExpert foreign = cpu.upload(w);
      assertThatThrownBy(() -> cuda.compute(foreign, new float[64], 1, new float[64]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Cannot compute layer 2 expert 5: it is resident on another backend, not "
                  + cuda.description());
      ResidentExpert own = cuda.upload(w);
      assertThatThrownBy(() -> cuda.compute(own, new float[63], 1, new float[64]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Invalid input length: 63 (expected: >= 64 = 1 tokens x hidden 64)");
    }
  }

  @Test
  void closeRefusesWhileDeviceMemoryIsOutstanding() {
    CudaExpertBackend cuda = CudaExpertBackend.open(CudaBackendOptions.defaults());
    cuda.upload(weights(0, 0, 64, 96));
    DeviceBuffer leaked = cuda.memory().allocate("caller scratch", 1024);
    assertThatThrownBy(cuda::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot close device memory cuda backend on GPU 0: 1 allocations (1024 bytes)"
                + " outstanding: device caller scratch (1024 bytes)");
    leaked.close();
    cuda.memory().close();
    assertThat(cuda.memory().allocatedBytes()).isZero();
  }

  @Test
  void autoChoosesCuda() {
    try (ExpertBackend backend = ExpertBackends.create("auto")) {
      assertThat(backend.name()).isEqualTo("cuda");
      assertThat(backend.description()).startsWith("cuda (").contains("GPU 0, sm_");
    }
  }

  private static float[] run(
      CudaExpertBackend cuda, ResidentExpert expert, float[] x, int tokens, boolean synchronous) {
    cuda.reserveWorkspace(expert);
    cuda.poisonWorkspace();
    float[] out = new float[x.length];
    Arrays.fill(out, Float.NaN);
    if (synchronous) {
      cuda.computeSynchronous(expert, x, tokens, out);
    } else {
      cuda.compute(expert, x, tokens, out);
    }
    return out;
  }

  /** Weights scaled by 1/sqrt(fan-in), so activations stay near 1 as in a trained model. */
  private ExpertWeights weights(int layer, int expert, int hidden, int ffn) {
    return new ExpertWeights(
        layer,
        expert,
        hidden,
        ffn,
        gaussian(2 * ffn * hidden, (float) (1 / Math.sqrt(hidden))),
        gaussian(hidden * ffn, (float) (1 / Math.sqrt(ffn))));
  }

  private float[] gaussian(int count, float scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextGaussian() * scale;
    }
    return values;
  }
}
