package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.spark.cluster.Pinning;
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
import scala.Tuple2;

/**
 * Builds and runs the expert-parallel job, one layer at a time: per layer a token-owner stage
 * (fused with the previous layer's combine), a dispatch shuffle by slot, an expert stage pinned to
 * the slots' executors, and a combine shuffle back to the owners — two shuffles per layer. Each
 * layer's owner output is persisted and materialized before the next layer starts, which bounds the
 * lineage and gives per-layer progress.
 */
final class PipelineJob {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  private final PipelineManifest manifest;
  private final List<String> slotLocations;
  private final CollectionAccumulator<TaskStat> stats;
  private final RunRecorder recorder;
  private final CapacityPass capacity;

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
    this.slotLocations = slotLocations;
    this.stats = stats;
    this.recorder = recorder;
    this.capacity = capacity;
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
      JavaPairRDD<Integer, SlotBatch> combined = expertStage(steps, layer);
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
    throw new IllegalStateException("Cannot run a model without layers");
  }

  private JavaPairRDD<Integer, SlotBatch> expertStage(JavaRDD<OwnerStep> steps, int layer) {
    PipelineManifest m = manifest;
    CollectionAccumulator<TaskStat> acc = stats;
    PlacementPlan placement = m.placement();
    SlotPartitioner bySlot = new SlotPartitioner(placement.layerSlots(layer));
    JavaPairRDD<Integer, SlotBatch> dispatched =
        steps.flatMapToPair(OwnerStep::dispatchPairs).partitionBy(bySlot);
    List<String> locations = new ArrayList<>();
    for (int p = 0; p < bySlot.numPartitions(); p++) {
      locations.add(slotLocations.get(bySlot.slot(p)));
    }
    JavaRDD<Tuple2<Integer, SlotBatch>> pinned =
        Pinning.requestGpuPerTask(Pinning.pin(dispatched.rdd().toJavaRDD(), locations));
    float[] thresholds = thresholds(steps, layer);
    return pinned
        .mapPartitionsToPair(
            it ->
                new ExpertTask(m, layer, bySlot.slot(OwnerTasks.partition()), it, acc, thresholds))
        .partitionBy(new OwnerPartitioner(m.partitions()));
  }

  /** Capacity thresholds of {@code layer}'s experts, or null when dropless. */
  private float[] thresholds(JavaRDD<OwnerStep> steps, int layer) {
    if (capacity == null) {
      return null;
    }
    long tokens =
        TaskStats.latest(stats.value()).stream()
            .filter(s -> s.stage().equals(TaskStat.OWNER) && s.layer() == 0)
            .mapToLong(TaskStat::tokens)
            .sum();
    return capacity.thresholds(steps, layer, tokens, manifest.placement());
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
