package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.nn.Gemm;
import dev.sparkmoe.core.nn.Sgemm;
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
 * The yardstick: one plain {@code c[n, m] = a[n, k] · w[m, k]ᵀ} at the expert FFN's two shapes,
 * {@code gate_up} (k 1024, m 5632) and {@code down} (k 2816, m 1024). FLOPs: {@code 2 · n · k · m}.
 *
 * <p>{@code impl} picks the implementation: {@code native} (OpenBLAS through netlib), {@code
 * vector} (our Vector API kernel, the fallback), {@code java} (netlib's own pure-Java BLAS). Run
 * the fallbacks with {@code -p impl=vector,java -p n=256}: at n 4096 they take seconds per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class SgemmBenchmark {
  @Param({"64", "256", "1024", "4096"})
  int n;

  @Param({"gate_up", "down"})
  String shape;

  @Param({"native"})
  String impl;

  private Sgemm sgemm;
  private int k;
  private int m;
  private float[] a;
  private float[] w;
  private float[] c;

  @Setup
  public void setUp() {
    sgemm = implementation(impl);
    k = shape.equals("gate_up") ? ExpertFfnBenchmark.HIDDEN : ExpertFfnBenchmark.FFN;
    m = shape.equals("gate_up") ? 2 * ExpertFfnBenchmark.FFN : ExpertFfnBenchmark.HIDDEN;
    a = RandomArrays.uniform(n * k, 1f, 4);
    w = RandomArrays.uniform(m * k, (float) Math.sqrt(3.0 / k), 5);
    c = new float[n * m];
  }

  @Benchmark
  public float[] sgemm() {
    sgemm.multiplyTransposed(a, 0, k, n, k, w, 0, k, m, c, 0, m);
    return c;
  }

  static Sgemm implementation(String name) {
    return switch (name) {
      case "native" ->
          Gemm.nativeBlas()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "Cannot load the native BLAS: netlib found no system libblas.so.3"
                              + " (install OpenBLAS, or set"
                              + " -Ddev.ludovic.netlib.blas.nativeLibPath=<libblas.so>)"));
      case "vector" ->
          Gemm.vectorKernel()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "Cannot use the Vector API kernel: add --add-modules jdk.incubator.vector"));
      case "java" -> Gemm.javaBlas();
      default ->
          throw new IllegalArgumentException(
              String.format("Invalid impl: %s (expected: one of native, vector, java)", name));
    };
  }

  static double flops(Map<String, String> params) {
    boolean gateUp = params.get("shape").equals("gate_up");
    double k = gateUp ? ExpertFfnBenchmark.HIDDEN : ExpertFfnBenchmark.FFN;
    double m = gateUp ? 2 * ExpertFfnBenchmark.FFN : ExpertFfnBenchmark.HIDDEN;
    return 2.0 * Long.parseLong(params.get("n")) * k * m;
  }
}
