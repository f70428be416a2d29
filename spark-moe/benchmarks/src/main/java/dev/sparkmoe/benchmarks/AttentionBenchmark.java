package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.AttentionSpec;
import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.FeedForwardSpec;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.Attention;
import dev.sparkmoe.core.nn.Rope;
import dev.sparkmoe.core.routing.RouterSpec;
import dev.sparkmoe.core.routing.TopKNormalization;
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
 * Causal grouped-query attention of one sequence ({@link Attention#apply}) at the seed-4x16 shape:
 * hidden 1024, 16 query heads and 4 key/value heads of width 64, for sequence lengths 128 and 512.
 *
 * <p>FLOPs count what the kernel multiplies: the Q, K, V and output projections, {@code 2 · seq ·
 * hidden · (2 · hidden + 2 · kvWidth)}, plus the full (unmasked) score and value products, {@code 4
 * · seq² · hidden}; causal masking makes half of the latter useless work.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class AttentionBenchmark {
  static final int HIDDEN = 1024;
  static final int HEADS = 16;
  static final int KV_HEADS = 4;
  static final int HEAD_DIM = HIDDEN / HEADS;

  @Param({"128", "512"})
  int seq;

  private Attention attention;
  private AttentionWeights weights;
  private float[] x;
  private float[] out;

  @Setup
  public void setUp() {
    ModelConfig config =
        new ModelConfig(
            Architecture.MIXTRAL,
            HIDDEN,
            2816,
            1,
            HEADS,
            KV_HEADS,
            HEAD_DIM,
            16,
            2,
            32000,
            1e-5f,
            1e6,
            false,
            4096,
            0,
            AttentionSpec.PLAIN,
            RouterSpec.softmax(TopKNormalization.RENORMALIZE),
            FeedForwardSpec.ROUTED_ONLY);
    attention = new Attention(config, new Rope(HEAD_DIM, seq, config.ropeTheta()));
    int kv = KV_HEADS * HEAD_DIM;
    float scale = (float) Math.sqrt(3.0 / HIDDEN);
    weights =
        new AttentionWeights(
            RandomArrays.uniform(HIDDEN * HIDDEN, scale, 9),
            RandomArrays.uniform(kv * HIDDEN, scale, 10),
            RandomArrays.uniform(kv * HIDDEN, scale, 11),
            RandomArrays.uniform(HIDDEN * HIDDEN, scale, 12));
    x = RandomArrays.uniform(seq * HIDDEN, 1.7f, 13);
    out = new float[seq * HIDDEN];
  }

  @Benchmark
  public float[] attention() {
    attention.apply(weights, x, 0, seq, out);
    return out;
  }

  static double flops(Map<String, String> params) {
    double seq = Double.parseDouble(params.get("seq"));
    double projections = 2 * seq * HIDDEN * (2.0 * HIDDEN + 2.0 * KV_HEADS * HEAD_DIM);
    return projections + 4 * seq * seq * HIDDEN;
  }
}
