package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.model.MoeModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * System (a) of {@code bench peer}: the core engine alone, {@link ReferenceForward} on the CPU
 * backend, batches spread over {@code threads} threads (one BLAS thread each, as Spark task slots
 * would run them). Warm-up rows run first, untimed; the model is closed afterwards so its weights
 * can be collected before the next system loads its own copy.
 */
final class BenchCore {
  private BenchCore() {}

  static BenchResult run(BenchWorkload workload, int threads, int repeats) {
    try (MoeModel model = MoeModel.open(workload.modelDir())) {
      ReferenceForward forward =
          new ReferenceForward(model, model.loadDense(), new CpuExpertBackend());
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        embed(forward, workload.warmup(), workload.batchTokens(), pool);
        double[] seconds = new double[repeats];
        float[][] embeddings = null;
        for (int i = 0; i < repeats; i++) {
          long start = System.nanoTime();
          embeddings = embed(forward, workload.rows(), workload.batchTokens(), pool);
          seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        return new BenchResult("core engine", seconds, embeddings);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static float[][] embed(
      ReferenceForward forward, List<int[]> rows, int batchTokens, ExecutorService pool) {
    float[][] out = new float[rows.size()][];
    List<Future<?>> pending = new ArrayList<>();
    for (List<Integer> batch : BenchWorkload.batches(rows, batchTokens)) {
      pending.add(pool.submit(() -> embedBatch(forward, rows, batch, out)));
    }
    for (Future<?> future : pending) {
      await(future);
    }
    return out;
  }

  private static void embedBatch(
      ReferenceForward forward, List<int[]> rows, List<Integer> batch, float[][] out) {
    FinalHidden states = forward.run(batch.stream().map(rows::get).toList());
    for (int i = 0; i < batch.size(); i++) {
      out[batch.get(i)] = forward.head().embedding(states, i);
    }
  }

  private static void await(Future<?> future) {
    try {
      future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot run the core engine: interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot run the core engine: " + e.getCause(), e.getCause());
    }
  }
}
