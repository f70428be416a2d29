package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.plan.SparkCosts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Measures what Spark costs on a running cluster, for {@link SparkCosts}: the time of a stage and
 * of a task (from trivial jobs of few and of many tasks), and the CPU time per byte of an exchange
 * (Arrow-encoded dispatch batches through a shuffle, decoded on the other side). Each figure is the
 * median of a few jobs.
 */
final class SparkCostProbe {
  private static final int REPEATS = 3;
  private static final int TOKENS_PER_BATCH = 256;
  private static final int BATCHES_PER_TASK = 16;

  private SparkCostProbe() {}

  static SparkCosts measure(SparkSession spark, int executors, int cores, int hidden) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int few = executors;
    int many = 8 * executors;
    countJob(jsc, many);
    double fewSeconds = median(() -> countJob(jsc, few));
    double manySeconds = median(() -> countJob(jsc, many));
    double task = Math.max(0, (manySeconds - fewSeconds) / (many - few));
    double stage = Math.max(0, fewSeconds - few * task);
    exchangeJob(jsc, executors, hidden);
    long[] bytes = new long[1];
    double exchangeSeconds = median(() -> bytes[0] = exchangeJob(jsc, executors, hidden));
    double work =
        Math.max(0, exchangeSeconds - 2 * stage - 2 * executors * task)
            * Math.min(cores, executors);
    return new SparkCosts(cores, task, stage, work / bytes[0]);
  }

  private static long countJob(JavaSparkContext jsc, int tasks) {
    List<Integer> values = IntStream.range(0, tasks).boxed().toList();
    return jsc.parallelize(values, tasks).count();
  }

  /** Encodes dispatch batches, shuffles them to every executor, decodes them; returns the bytes. */
  private static long exchangeJob(JavaSparkContext jsc, int executors, int hidden) {
    List<Integer> tasks = IntStream.range(0, executors).boxed().toList();
    return jsc.parallelize(tasks, executors)
        .flatMapToPair(task -> encoded(task, executors, hidden))
        .partitionBy(new HashPartitioner(executors))
        .mapPartitions(SparkCostProbe::decoded)
        .reduce(Long::sum);
  }

  private static Iterator<Tuple2<Integer, byte[]>> encoded(int task, int executors, int hidden) {
    List<Tuple2<Integer, byte[]>> out = new ArrayList<>();
    try (BufferAllocator allocator = Allocators.root("spark-cost-probe")) {
      TokenBatchCodec codec = new TokenBatchCodec(allocator);
      for (int b = 0; b < BATCHES_PER_TASK; b++) {
        out.add(
            new Tuple2<>(b % executors, codec.encode(batch(task, hidden), ActivationDtype.F32)));
      }
    }
    return out.iterator();
  }

  private static Iterator<Long> decoded(Iterator<Tuple2<Integer, byte[]>> batches) {
    long bytes = 0;
    try (BufferAllocator allocator = Allocators.root("spark-cost-probe")) {
      TokenBatchCodec codec = new TokenBatchCodec(allocator);
      while (batches.hasNext()) {
        byte[] encoded = batches.next()._2();
        bytes += encoded.length;
        codec.decodeDispatch(encoded);
      }
    }
    return List.of(bytes).iterator();
  }

  private static DispatchBatch batch(int partition, int hidden) {
    int n = TOKENS_PER_BATCH;
    float[] activations = new float[n * hidden];
    for (int i = 0; i < activations.length; i++) {
      activations[i] = (i % 97) * 0.01f - 0.5f;
    }
    long[] keys = new long[n];
    Arrays.setAll(keys, i -> i);
    int[] positions = new int[n];
    int[] experts = new int[n];
    float[] weights = new float[n];
    Arrays.fill(weights, 0.5f);
    return new DispatchBatch(0, partition, hidden, keys, positions, experts, weights, activations);
  }

  private static double median(Runnable job) {
    double[] seconds = new double[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      long start = System.nanoTime();
      job.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[REPEATS / 2];
  }
}
