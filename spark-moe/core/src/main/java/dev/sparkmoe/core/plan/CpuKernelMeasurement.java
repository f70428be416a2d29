package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.Attention;
import dev.sparkmoe.core.nn.Rope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times the CPU kernels the cost model needs, in this JVM on one thread, with random weights of a
 * model's shape: one expert ({@link CpuExpertBackend}) over several token counts, and one
 * sequence's attention. Each figure is the median of several calls after warm-up. The rows are what
 * {@link KernelCalibration} reads for {@link ClusterPresets#CPU_CORE}.
 *
 * <p>Run it with {@code OPENBLAS_NUM_THREADS=1}, as executors run, or the rate is not one core's.
 */
public final class CpuKernelMeasurement {
  private static final int REPEATS = 5;

  private CpuKernelMeasurement() {}

  /**
   * Expert FFN times for each of {@code tokenCounts}, and attention for one sequence of {@code
   * sequenceLength} tokens (none when the model has no attention, {@code sequenceLength} 0).
   */
  public static List<KernelCalibration.Row> measure(
      ModelConfig config, int[] tokenCounts, int sequenceLength) {
    SplittableRandom random = new SplittableRandom();
    List<KernelCalibration.Row> rows = new ArrayList<>();
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    try (CpuExpertBackend backend = new CpuExpertBackend()) {
      ResidentExpert expert =
          backend.upload(
              new ExpertWeights(
                  0,
                  0,
                  hidden,
                  ffn,
                  randomArray(random, 2 * ffn * hidden),
                  randomArray(random, hidden * ffn)));
      for (int tokens : tokenCounts) {
        float[] input = randomArray(random, tokens * hidden);
        float[] output = new float[tokens * hidden];
        double seconds = median(() -> backend.compute(expert, input, tokens, output));
        rows.add(row(KernelCalibration.EXPERT_FFN, tokens, hidden, ffn, seconds));
      }
    }
    if (sequenceLength > 0) {
      rows.add(attention(config, sequenceLength, random));
    }
    return rows;
  }

  private static KernelCalibration.Row attention(
      ModelConfig config, int length, SplittableRandom random) {
    int hidden = config.hiddenSize();
    AttentionWeights weights =
        new AttentionWeights(
            randomArray(random, config.queryWidth() * hidden),
            randomArray(random, config.kvWidth() * hidden),
            randomArray(random, config.kvWidth() * hidden),
            randomArray(random, hidden * config.queryWidth()));
    Attention attention =
        new Attention(config, new Rope(config.headDim(), length, config.ropeTheta()));
    float[] x = randomArray(random, length * hidden);
    float[] out = new float[length * hidden];
    double seconds = median(() -> attention.apply(weights, x, 0, length, out));
    return row(KernelCalibration.ATTENTION, length, hidden, 0, seconds);
  }

  private static KernelCalibration.Row row(
      String kernel, int tokens, int hidden, int ffn, double seconds) {
    return new KernelCalibration.Row(
        ClusterPresets.CPU_CORE, kernel, "f32", tokens, hidden, ffn, seconds);
  }

  private static double median(Runnable call) {
    call.run();
    double[] seconds = new double[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      long start = System.nanoTime();
      call.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[REPEATS / 2];
  }

  private static float[] randomArray(SplittableRandom random, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (random.nextDouble() * 0.1 - 0.05);
    }
    return values;
  }
}
