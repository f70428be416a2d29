package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.balance.Capacity;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.CollectionAccumulator;
import scala.Option;
import scala.Tuple2;

/**
 * One expert slot's task for one layer: streams the dispatch batches the shuffle brought (decoding
 * batch i+1 on a second thread while batch i computes), computes the slot's experts, and yields one
 * combine batch per incoming batch, keyed by the owner partition it returns to. Output is produced
 * lazily, as Spark's shuffle writer consumes it, so a slot's batches are never all in memory at
 * once. With expert capacity, entries at or below their expert's threshold are dropped before the
 * compute ({@link Capacity#keep}): they get no output from that expert.
 */
final class ExpertTask implements Iterator<Tuple2<Integer, SlotBatch>> {
  private final PipelineManifest manifest;
  private final int layer;
  private final int slot;
  private final CollectionAccumulator<TaskStat> stats;
  private final TokenBatchCodec codec;
  private final Prefetcher<Tuple2<Integer, SlotBatch>, DispatchBatch> input;
  private final ExpertWorker worker;
  private final long[] tokensPerExpert;
  private final float[] thresholds;
  private long tokens;
  private long bytesIn;
  private long bytesOut;
  private long computeNanos;
  private boolean reported;

  ExpertTask(
      PipelineManifest manifest,
      int layer,
      int slot,
      Iterator<Tuple2<Integer, SlotBatch>> records,
      CollectionAccumulator<TaskStat> stats,
      float[] thresholds) {
    FaultInjection.maybeFail(manifest.fault(), FaultInjection.EXPERT, layer, slot);
    this.manifest = manifest;
    this.layer = layer;
    this.slot = slot;
    this.stats = stats;
    this.thresholds = thresholds;
    ExecutorRuntime runtime = manifest.runtime();
    this.codec = new TokenBatchCodec(ExecutorRuntime.allocator());
    this.worker = new ExpertWorker(runtime.backend(), (l, e) -> resident(runtime, l, e));
    this.tokensPerExpert = new long[runtime.model().config().numExperts()];
    this.input =
        new Prefetcher<>(
            records,
            record -> {
              byte[] bytes = record._2().arrowIpc();
              synchronized (this) {
                bytesIn += bytes.length;
              }
              return codec.decodeDispatch(bytes);
            });
  }

  /** The slot's shard of the expert (the whole expert without tensor parallelism). */
  private ResidentExpert resident(ExecutorRuntime runtime, int layer, int expert) {
    PlacementPlan plan = manifest.placement();
    int shard = plan.shardOn(layer, expert, slot);
    if (shard < 0) {
      throw new IllegalStateException(
          String.format(
              "Cannot compute expert %d of layer %d on slot %d: the placement puts it on slots %s",
              expert, layer, slot, java.util.Arrays.toString(plan.replicaSlots(layer, expert))));
    }
    return runtime.resident(layer, expert, shard, plan.tensorParallel());
  }

  @Override
  public boolean hasNext() {
    boolean more = input.hasNext();
    if (!more && !reported) {
      report();
    }
    return more;
  }

  @Override
  public Tuple2<Integer, SlotBatch> next() {
    if (!input.hasNext()) {
      throw new NoSuchElementException();
    }
    DispatchBatch received = input.next();
    DispatchBatch batch = thresholds == null ? received : Capacity.keep(received, thresholds);
    long start = System.nanoTime();
    CombineBatch out = worker.compute(batch, tokensPerExpert);
    computeNanos += System.nanoTime() - start;
    tokens += batch.numTokens();
    byte[] bytes = codec.encode(out, manifest.activationDtype());
    bytesOut += bytes.length;
    return new Tuple2<>(
        batch.sourcePartition(), new SlotBatch(layer, batch.sourcePartition(), bytes));
  }

  private synchronized void report() {
    reported = true;
    stats.add(
        new TaskStat(
            TaskStat.EXPERT,
            layer,
            slot,
            SparkEnv.get().executorId(),
            gpuAddress(),
            tokens,
            bytesIn,
            bytesOut,
            computeNanos,
            input.waitNanos(),
            tokensPerExpert,
            manifest.runtime().expertLoads(),
            manifest.runtime().backend().description(),
            0));
  }

  private static String gpuAddress() {
    TaskContext context = TaskContext.get();
    if (context == null) {
      return null;
    }
    Option<ResourceInformation> gpu = context.resources().get("gpu");
    return gpu.isDefined() && gpu.get().addresses().length > 0 ? gpu.get().addresses()[0] : null;
  }
}
