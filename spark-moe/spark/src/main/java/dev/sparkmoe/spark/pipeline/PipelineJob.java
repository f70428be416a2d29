package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.Exchange;
import dev.sparkmoe.core.pipeline.OwnerState;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and runs the expert-parallel job, one layer at a time: per layer a token-owner stage
 * (fused with the previous layer's combine) and the {@link ShuffleExchange} to the slots and back —
 * two shuffles per layer. Each layer's owner output is persisted and materialized before the next
 * layer starts, which bounds the lineage and gives per-layer progress.
 */
final class PipelineJob {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private final PipelineManifest manifest;
  private final CollectionAccumulator<TaskStat> stats;
  private final RunRecorder recorder;
  private final Exchange<JavaRDD<OwnerStep>, JavaPairRDD<Integer, SlotBatch>> exchange;

  /**
   * @param capacity expert capacity, or null for dropless
   */
  PipelineJob(
      PipelineManifest manifest,
      List<String> slotLocations,
      CollectionAccumulator<TaskStat> stats,
      RunRecorder recorder,
      CapacityPass capacity) {
    this.manifest = manifest;
    this.stats = stats;
    this.recorder = recorder;
    this.exchange = new ShuffleExchange(manifest, slotLocations, stats, capacity);
  }

  /** Runs every layer and returns the (persisted, materialized) output rows. */
  JavaRDD<Row> run(JavaRDD<Row> rows) {
    PipelineManifest m = manifest;
    CollectionAccumulator<TaskStat> acc = stats;
    long start = System.nanoTime();
    JavaRDD<OwnerStep> steps =
        materialize(
            rows.mapPartitionsWithIndex((p, it) -> OwnerTasks.first(m, p, it, acc), true),
            -1,
            start);
    int layers = m.placement().numLayers();
    for (int layer = 0; layer < layers; layer++) {
      long layerStart = System.nanoTime();
      JavaPairRDD<Integer, SlotBatch> combined = exchange.exchange(layer, steps);
      JavaRDD<OwnerState> states = steps.mapPartitions(stateOf(), true);
      if (layer + 1 < layers) {
        int next = layer + 1;
        JavaRDD<OwnerStep> nextSteps =
            states.zipPartitions(combined, (s, c) -> OwnerTasks.middle(m, next, s, c, acc));
        steps = swap(steps, materialize(nextSteps, layer, layerStart));
      } else {
        JavaRDD<Row> out = states.zipPartitions(combined, (s, c) -> OwnerTasks.last(m, s, c));
        out.persist(StorageLevel.MEMORY_AND_DISK());
        out.count();
        recorder.layerDone(layer, System.nanoTime() - layerStart, stats.value());
        steps.unpersist(false);
        return out;
      }
    }
    throw new IllegalStateException(
        "Cannot run model "
            + m.modelPath()
            + ": its placement plan has no layers (expected: at least 1)");
  }

  private static FlatMapFunction<Iterator<OwnerStep>, OwnerState> stateOf() {
    return it -> {
      List<OwnerState> out = new ArrayList<>(1);
      it.forEachRemaining(step -> out.add(step.state()));
      return out.iterator();
    };
  }

  private <T> JavaRDD<T> materialize(JavaRDD<T> rdd, int layerDone, long startNanos) {
    rdd.persist(StorageLevel.MEMORY_AND_DISK());
    rdd.count();
    if (layerDone >= 0) {
      recorder.layerDone(layerDone, System.nanoTime() - startNanos, stats.value());
    } else {
      LOG.info(
          "spark-moe: embedded and routed layer 0 in {} ms",
          (System.nanoTime() - startNanos) / 1_000_000);
    }
    return rdd;
  }

  private static <T> JavaRDD<T> swap(JavaRDD<T> old, JavaRDD<T> fresh) {
    old.unpersist(false);
    return fresh;
  }
}
