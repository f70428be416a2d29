package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.Exchange;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.spark.cluster.Pinning;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * The exchange as two Spark shuffles per layer: the owners' dispatch batches partitioned by slot,
 * an expert stage pinned to the slots' executors ({@link ExpertTask}), and the combine batches
 * partitioned back by owner partition. With expert capacity, a small job first reduces the layer's
 * routing weights to each expert's threshold ({@link CapacityPass}). Driver side; lazy: the stages
 * run when the owners of the next layer consume the result. Not thread-safe: one per wave.
 */
final class ShuffleExchange
    implements Exchange<JavaRDD<OwnerStep>, JavaPairRDD<Integer, SlotBatch>> {
  private final PipelineManifest manifest;
  private final List<String> slotLocations;
  private final CollectionAccumulator<TaskStat> stats;
  private final CapacityPass capacity;

  /**
   * @param capacity expert capacity, or null for dropless
   */
  ShuffleExchange(
      PipelineManifest manifest,
      List<String> slotLocations,
      CollectionAccumulator<TaskStat> stats,
      CapacityPass capacity) {
    this.manifest = manifest;
    this.slotLocations = slotLocations;
    this.stats = stats;
    this.capacity = capacity;
  }

  @Override
  public JavaPairRDD<Integer, SlotBatch> exchange(int layer, JavaRDD<OwnerStep> steps) {
    PipelineManifest m = manifest;
    CollectionAccumulator<TaskStat> acc = stats;
    SlotPartitioner bySlot = new SlotPartitioner(m.placement().layerSlots(layer));
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
    PlacementPlan plan = manifest.placement();
    return capacity.thresholds(steps, layer, TaskStats.inputTokens(stats.value()), plan);
  }
}
