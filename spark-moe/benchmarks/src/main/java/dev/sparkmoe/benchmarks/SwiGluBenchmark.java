package dev.sparkmoe.benchmarks;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * SwiGLU over a CPU-backend chunk (512 rows × ffn 2816, gate|up fused), scalar against the Vector
 * API. "FLOPs" here count 5 per element (negate, exp, add, divide, multiply): a rate to compare the
 * two kernels with, not a GEMM-like figure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class SwiGluBenchmark {
  static final int ROWS = 512;

  @Param({"SCALAR", "VECTOR"})
  SwiGluKernel kernel;

  private float[] gateUp;
  private float[] out;

  @Setup
  public void setUp() {
    gateUp = RandomArrays.uniform(ROWS * 2 * ExpertFfnBenchmark.FFN, 4f, 6);
    out = new float[ROWS * ExpertFfnBenchmark.FFN];
  }

  @Benchmark
  public float[] swiglu() {
    int ffn = ExpertFfnBenchmark.FFN;
    kernel.apply(gateUp, 0, 2 * ffn, ROWS, ffn, out, 0, ffn);
    return out;
  }

  static double flops(Map<String, String> params) {
    return 5.0 * ROWS * ExpertFfnBenchmark.FFN;
  }
}
