package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.core.nn.Bf16Matrix;
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
 * The raw bf16 GEMM {@code c[n, m] = a[n, k] · w[m, k]ᵀ} ({@link Bf16Gemm}: f32 in, bf16 weights,
 * f32 out, the conversions included) at the expert's fused gate|up shape, 1024 × 1024 × 5632 by
 * default, the shape of torch's bf16 yardstick ({@code torch_bf16.py}). FLOPs: {@code 2·n·k·m}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class Bf16GemmBenchmark {
  @Param({"1024"})
  int n;

  @Param({"1024"})
  int k;

  @Param({"5632"})
  int m;

  private Bf16Matrix weights;
  private float[] a;
  private float[] c;

  @Setup
  public void setUp() {
    weights = Bf16Matrix.ofFloats(RandomArrays.uniform(m * k, 1f, 1), 0, m, k);
    a = RandomArrays.uniform(n * k, 1f, 2);
    c = new float[n * m];
  }

  @TearDown
  public void tearDown() {
    weights.close();
  }

  @Benchmark
  public float[] gemm() {
    Bf16Gemm.multiplyTransposed(a, n, weights, c);
    return c;
  }

  static double flops(Map<String, String> params) {
    return 2.0
        * Long.parseLong(params.get("n"))
        * Long.parseLong(params.get("k"))
        * Long.parseLong(params.get("m"));
  }
}
