package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.ExpertSide;
import dev.sparkmoe.core.exchange.ExpertStats;
import dev.sparkmoe.core.exchange.ReturnBatch;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.Iterator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * One expert slot's task for one layer, as Spark's iterator: the shuffle's records in, the core's
 * {@link ExpertSide} (decode, capacity drops, compute, encode) in between, combine records keyed by
 * owner partition out. Reports its statistics once the input is exhausted.
 */
final class ExpertTask implements Iterator<Tuple2<Integer, SlotBatch>> {
  private final int layer;
  private final ExpertSide side;

  /**
   * @param thresholds each expert's capacity threshold, or null for dropless
   */
  ExpertTask(
      PipelineManifest manifest,
      int layer,
      int slot,
      Iterator<Tuple2<Integer, SlotBatch>> records,
      CollectionAccumulator<TaskStat> stats,
      float[] thresholds) {
    HeapWatermark.join(manifest.runId());
    PipelineHooks.installed().expertTask(layer, slot);
    ExecutorRuntime runtime = manifest.runtime();
    this.layer = layer;
    LongAdder loadNanos = new LongAdder();
    this.side =
        new ExpertSide(
            layer,
            slot,
            new ExpertWorker(
                runtime.backend(),
                (l, e) ->
                    timed(loadNanos, () -> resident(runtime, manifest.placement(), slot, l, e))),
            new TokenBatchCodec(ExecutorRuntime.allocator()),
            manifest.activationDtype(),
            new DispatchRecords(records),
            runtime.model().config().numExperts(),
            thresholds,
            s -> stats.add(stat(runtime, layer, slot, s.withLoadNanos(loadNanos.sum()))));
    prefetchNext(runtime, manifest.placement(), layer, slot);
  }

  @Override
  public boolean hasNext() {
    return side.hasNext();
  }

  @Override
  public Tuple2<Integer, SlotBatch> next() {
    ReturnBatch batch = side.next();
    return new Tuple2<>(
        batch.partition(), new SlotBatch(layer, batch.partition(), batch.arrowIpc()));
  }

  private static TaskStat stat(ExecutorRuntime runtime, int layer, int slot, ExpertStats stats) {
    return new TaskStat.Expert(
        layer, slot, TaskSite.expert(runtime), runtime.backend().description(), stats);
  }

  /** Starts making the slot's experts of the next layer resident while this layer computes. */
  private static void prefetchNext(
      ExecutorRuntime runtime, PlacementPlan plan, int layer, int slot) {
    int next = layer + 1;
    if (next >= plan.numLayers()) {
      return;
    }
    for (int expert : plan.expertsOn(next, slot)) {
      runtime.prefetch(next, expert, plan.shardOn(next, expert, slot), plan.tensorParallel());
    }
  }

  private static ResidentExpert timed(LongAdder nanos, Supplier<ResidentExpert> load) {
    long start = System.nanoTime();
    try {
      return load.get();
    } finally {
      nanos.add(System.nanoTime() - start);
    }
  }

  /** The slot's shard of the expert (the whole expert without tensor parallelism). */
  private static ResidentExpert resident(
      ExecutorRuntime runtime, PlacementPlan plan, int slot, int layer, int expert) {
    int shard = plan.shardOn(layer, expert, slot);
    if (shard < 0) {
      throw new IllegalStateException(
          String.format(
              "Cannot compute expert %d of layer %d on slot %d: the placement puts it on slots %s",
              expert, layer, slot, java.util.Arrays.toString(plan.replicaSlots(layer, expert))));
    }
    return runtime.resident(layer, expert, shard, plan.tensorParallel());
  }

  /** The shuffle's records as the Arrow streams they carry. */
  private record DispatchRecords(Iterator<Tuple2<Integer, SlotBatch>> records)
      implements Iterator<byte[]> {
    @Override
    public boolean hasNext() {
      return records.hasNext();
    }

    @Override
    public byte[] next() {
      return records.next()._2().arrowIpc();
    }
  }
}
