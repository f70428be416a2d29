package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.forward.OutputKind;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The job of the {@code in-task} placement: one stage from input rows to output rows ({@link
 * InTaskTask}), no shuffle. A layer's time is its slowest partition's (token side, experts and
 * waiting for experts to load), from the tasks' statistics once the stage is done.
 */
final class InTaskJob {
  private final PipelineManifest manifest;
  private final CollectionAccumulator<TaskStat> stats;
  private final RunRecorder recorder;
  private final CollectionAccumulator<InTaskGenerate.Stat> generation;

  /**
   * @param generation receives each partition's generation statistics with kind {@code generate}
   */
  InTaskJob(
      PipelineManifest manifest,
      CollectionAccumulator<TaskStat> stats,
      RunRecorder recorder,
      CollectionAccumulator<InTaskGenerate.Stat> generation) {
    this.manifest = manifest;
    this.stats = stats;
    this.recorder = recorder;
    this.generation = generation;
  }

  /** Runs every layer and returns the (persisted, materialized) output rows. */
  JavaRDD<Row> run(JavaRDD<Row> rows) {
    PipelineManifest m = manifest;
    CollectionAccumulator<TaskStat> acc = stats;
    CollectionAccumulator<InTaskGenerate.Stat> gen = generation;
    JavaRDD<Row> out =
        m.kind() == OutputKind.GENERATE
            ? rows.mapPartitionsWithIndex((p, it) -> InTaskGenerate.run(m, p, it, acc, gen), true)
            : rows.mapPartitionsWithIndex((p, it) -> InTaskTask.run(m, p, it, acc), true);
    out.persist(StorageLevel.MEMORY_AND_DISK());
    out.count();
    List<TaskStat> done = TaskStats.latest(stats.value());
    for (int layer = 0; layer < m.placement().numLayers(); layer++) {
      recorder.layerDone(layer, slowestPartitionNanos(done, layer), done);
    }
    return out;
  }

  private static long slowestPartitionNanos(List<TaskStat> stats, int layer) {
    long[] byPartition = new long[1];
    for (TaskStat stat : stats) {
      if (stat.layer() != layer) {
        continue;
      }
      long nanos =
          stat instanceof TaskStat.Expert e
              ? e.stats().computeNanos() + e.stats().loadNanos()
              : ((TaskStat.Owner) stat).stats().computeNanos();
      if (stat.index() >= byPartition.length) {
        byPartition = java.util.Arrays.copyOf(byPartition, stat.index() + 1);
      }
      byPartition[stat.index()] += nanos;
    }
    return java.util.Arrays.stream(byPartition).max().orElse(0);
  }
}
