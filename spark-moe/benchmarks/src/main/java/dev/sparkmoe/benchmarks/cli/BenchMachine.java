package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.nn.Gemm;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The machine's yardstick for {@code bench peer}: one large sgemm ({@code [2048, 1024] × [5632,
 * 1024]ᵀ}, the expert gate|up shape) through the same BLAS the engine uses, on {@code threads}
 * threads at once, each with its own matrices. The best of a few repetitions, so that a busy moment
 * does not set the floor.
 */
final class BenchMachine {
  static final int N = 2048;
  static final int K = 1024;
  static final int M = 5632;
  private static final int REPETITIONS = 5;

  private BenchMachine() {}

  /**
   * Rate of the sgemm on {@code threads} threads together.
   *
   * @param gflops billions of FLOPs per second, all threads together
   * @param threads threads that ran the sgemm at once
   * @param blas the implementation, e.g. {@code dev.ludovic.netlib.blas.JNIBLAS}
   */
  record Rate(double gflops, int threads, String blas) {
    /** Seconds that {@code flops} take at this rate. */
    double seconds(double flops) {
      return flops / (gflops * 1e9);
    }
  }

  static Rate sgemmRate(int threads) {
    List<float[][]> operands = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      operands.add(new float[][] {fresh(N * K, t), fresh(M * K, t + 100), new float[N * M]});
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      double best = Double.MAX_VALUE;
      for (int i = 0; i <= REPETITIONS; i++) {
        double seconds = once(operands, pool);
        best = i == 0 ? best : Math.min(best, seconds);
      }
      return new Rate(2.0 * N * K * M * threads / best / 1e9, threads, Gemm.implementation());
    } finally {
      pool.shutdownNow();
    }
  }

  private static double once(List<float[][]> operands, ExecutorService pool) {
    long start = System.nanoTime();
    CompletableFuture<?>[] runs =
        operands.stream()
            .map(
                o ->
                    CompletableFuture.runAsync(
                        () -> Gemm.multiplyTransposed(o[0], N, K, o[1], M, o[2]), pool))
            .toArray(CompletableFuture[]::new);
    CompletableFuture.allOf(runs).join();
    return (System.nanoTime() - start) / 1e9;
  }

  private static float[] fresh(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return values;
  }
}
