package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.nn.ComputeDtype;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ExpertFfnBenchmark} with the CPU backend in bf16 ({@link ComputeDtype#BF16}: weights in
 * bf16, f32 accumulation, oneDNN); one oneDNN thread ({@code OMP_NUM_THREADS=1}, which {@code
 * bin/jmh} sets). Compare with {@code src/main/python/torch_bf16.py} (torch bf16, one thread) in
 * the same run: {@code bin/bf16-vs-torch}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class Bf16ExpertFfnBenchmark {
  @Param({"256", "1024", "4096"})
  int n;

  private ExpertBackend backend;
  private ResidentExpert expert;
  private float[] input;
  private float[] output;

  @Setup
  public void setUp() {
    int hidden = ExpertFfnBenchmark.HIDDEN;
    int ffn = ExpertFfnBenchmark.FFN;
    backend = new CpuExpertBackend(ComputeDtype.BF16);
    ExpertWeights weights =
        new ExpertWeights(
            0,
            0,
            hidden,
            ffn,
            RandomArrays.uniform(2 * ffn * hidden, (float) Math.sqrt(3.0 / hidden), 1),
            RandomArrays.uniform(hidden * ffn, (float) Math.sqrt(3.0 / ffn), 2));
    expert = backend.upload(weights);
    input = RandomArrays.uniform(n * hidden, 1.7f, 3);
    output = new float[n * hidden];
  }

  @TearDown
  public void tearDown() {
    backend.close();
  }

  @Benchmark
  public float[] ffn() {
    backend.compute(expert, input, n, output);
    return output;
  }

  static double flops(Map<String, String> params) {
    return ExpertFfnBenchmark.flops(params);
  }
}
