package dev.sparkmoe.benchmarks.cli;

import java.util.Arrays;

/**
 * What one system did with the benchmark's rows: how long each timed pass of its forward took and
 * the embedding it gave each row (row order of the workload) in the last pass.
 *
 * @param system a label for the table, e.g. {@code core engine}
 * @param seconds wall time of each timed pass, after warm-up
 * @param embeddings [rows][hidden]
 */
record BenchResult(String system, double[] seconds, float[][] embeddings) {
  /** The fastest pass: the one least disturbed by the rest of the machine. */
  double bestSeconds() {
    return Arrays.stream(seconds).min().orElseThrow();
  }

  double worstSeconds() {
    return Arrays.stream(seconds).max().orElseThrow();
  }
}
