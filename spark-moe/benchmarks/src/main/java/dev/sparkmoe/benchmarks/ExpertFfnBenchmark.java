package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.nn.SwiGluKernel;
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
 * One routed expert's FFN on the CPU backend, {@code down(silu(gate x) · up x)}, for a batch of
 * {@code n} tokens at the seed-4x16 shape (hidden 1024, ffn 2816): the fused gate|up GEMM, SwiGLU,
 * the down GEMM. FLOPs: {@code 6 · n · hidden · ffn}. Compare with {@link SgemmBenchmark} at the
 * same shapes. {@code -p dtype=BF16} runs the backend in bf16 (weights in bf16, f32 accumulation,
 * oneDNN on one thread: {@code OMP_NUM_THREADS=1}, which {@code bin/jmh} sets; SwiGLU is then the
 * backend's own); {@code bin/bf16-vs-torch} compares it with torch's bf16 in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class ExpertFfnBenchmark {
  static final int HIDDEN = 1024;
  static final int FFN = 2816;

  @Param({"64", "256", "1024", "4096"})
  int n;

  @Param({"VECTOR"})
  SwiGluKernel swiglu;

  @Param({"F32"})
  ComputeDtype dtype;

  private ExpertBackend backend;
  private ResidentExpert expert;
  private float[] input;
  private float[] output;

  @Setup
  public void setUp() {
    backend =
        dtype == ComputeDtype.F32 ? new CpuExpertBackend(swiglu) : new CpuExpertBackend(dtype);
    float gateScale = (float) Math.sqrt(3.0 / HIDDEN);
    float downScale = (float) Math.sqrt(3.0 / FFN);
    ExpertWeights weights =
        new ExpertWeights(
            0,
            0,
            HIDDEN,
            FFN,
            RandomArrays.uniform(2 * FFN * HIDDEN, gateScale, 1),
            RandomArrays.uniform(HIDDEN * FFN, downScale, 2));
    expert = backend.upload(weights);
    input = RandomArrays.uniform(n * HIDDEN, 1.7f, 3);
    output = new float[n * HIDDEN];
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
    return 6.0 * Long.parseLong(params.get("n")) * HIDDEN * FFN;
  }
}
