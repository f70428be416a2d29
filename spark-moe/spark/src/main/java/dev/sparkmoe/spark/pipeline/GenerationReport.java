package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.generate.GenerationStats;
import java.util.Arrays;
import java.util.List;

/**
 * What generation did over the run, for the report: latency per row (time to first token from the
 * start of its task's generation, time per output token after the first), throughput, KV-cache
 * peak, and how many rows each forward step carried.
 *
 * @param rows rows that generated
 * @param outputTokens new tokens over all rows
 * @param outputTokensPerSecond {@code outputTokens} over the run's wall time
 * @param ttftMillisP50 median time to first token over rows
 * @param ttftMillisP99 99th percentile of it
 * @param tpotMillisP50 median time per output token over rows with two or more new tokens
 * @param tpotMillisP99 99th percentile of it
 * @param kvCachePeakBytes the largest KV-cache memory any task held at once
 * @param decodeBatchSizes rows per forward step, step by step, summed over the tasks (step i of
 *     every task: the tasks run at the same time when there are enough cores)
 */
@SuppressWarnings("ArrayRecordComponent") // report values, built once
public record GenerationReport(
    long rows,
    long outputTokens,
    double outputTokensPerSecond,
    double ttftMillisP50,
    double ttftMillisP99,
    double tpotMillisP50,
    double tpotMillisP99,
    long kvCachePeakBytes,
    int[] decodeBatchSizes) {

  /** The report of {@code stats} (one per task); null when there are none (not kind generate). */
  static GenerationReport of(List<GenerationStats> stats, long wallNanos) {
    if (stats.isEmpty()) {
      return null;
    }
    float[] ttft = concat(stats.stream().map(GenerationStats::ttftMillis).toList());
    float[] tpot = concat(stats.stream().map(GenerationStats::tpotMillis).toList());
    long tokens = stats.stream().mapToLong(GenerationStats::outputTokens).sum();
    int steps = stats.stream().mapToInt(s -> s.batchSizes().length).max().orElse(0);
    int[] batch = new int[steps];
    for (GenerationStats s : stats) {
      for (int i = 0; i < s.batchSizes().length; i++) {
        batch[i] += s.batchSizes()[i];
      }
    }
    return new GenerationReport(
        ttft.length,
        tokens,
        wallNanos > 0 ? tokens / (wallNanos / 1e9) : 0,
        percentile(ttft, 0.50),
        percentile(ttft, 0.99),
        percentile(tpot, 0.50),
        percentile(tpot, 0.99),
        stats.stream().mapToLong(GenerationStats::peakKvCacheBytes).max().orElse(0),
        batch);
  }

  /** The nearest-rank percentile; NaN for no values. */
  static double percentile(float[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    float[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static float[] concat(List<float[]> arrays) {
    int n = arrays.stream().mapToInt(a -> a.length).sum();
    float[] out = new float[n];
    int at = 0;
    for (float[] a : arrays) {
      System.arraycopy(a, 0, out, at, a.length);
      at += a.length;
    }
    return out;
  }
}
