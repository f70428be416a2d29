package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.routing.Routing;
import dev.sparkmoe.core.routing.SoftmaxTopKRouter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The router of one MoE layer as the forward runs it ({@link MoeBlock#route}): the [tokens, hidden]
 * × [experts, hidden]ᵀ logits GEMM, then Mixtral's softmax, top-2 and renormalization, for 8192
 * tokens × 16 experts at hidden 1024. FLOPs: the GEMM's {@code 2 · tokens · hidden · experts} (the
 * top-k is bookkeeping, not arithmetic, but its time counts).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class RouterBenchmark {
  static final int TOKENS = 8192;
  static final int EXPERTS = 16;
  static final int TOP_K = 2;
  static final int HIDDEN = 1024;

  private SoftmaxTopKRouter router;
  private float[] routerWeight;
  private float[] x;

  @Setup
  public void setUp() {
    router = SoftmaxTopKRouter.mixtral(EXPERTS, TOP_K);
    routerWeight = RandomArrays.uniform(EXPERTS * HIDDEN, (float) Math.sqrt(3.0 / HIDDEN), 7);
    x = RandomArrays.uniform(TOKENS * HIDDEN, 1.7f, 8);
  }

  @Benchmark
  public Routing route() {
    return MoeBlock.route(router, routerWeight, x, TOKENS, HIDDEN);
  }

  static double flops(Map<String, String> params) {
    return 2.0 * TOKENS * HIDDEN * EXPERTS;
  }
}
