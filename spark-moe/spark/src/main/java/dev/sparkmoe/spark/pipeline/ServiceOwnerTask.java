package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.exchange.OwnerStats;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.service.MicroBatchForward;
import dev.sparkmoe.core.service.ServiceExchange;
import dev.sparkmoe.core.service.ServiceOptions;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The service mode's owner task, per input partition: input rows to output rows, every layer's
 * experts computed by the expert servers through a {@link ServiceExchange}, the rows split into
 * micro-batches in flight together ({@link MicroBatchForward}). Requests carry the task's attempt,
 * so a retried owner's resends are told apart from its first attempt's. Reports an owner statistic
 * and an {@link OwnerTiming} per layer.
 */
final class ServiceOwnerTask {
  private ServiceOwnerTask() {}

  static Iterator<Row> run(
      PipelineManifest manifest,
      int partition,
      Iterator<Row> rows,
      RegistryEndpoint registry,
      CollectionAccumulator<TaskStat> stats,
      CollectionAccumulator<OwnerTiming> timings) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    InputRows input = InputRows.read(manifest, runtime.model().config(), rows);
    OwnerSide side = OwnerTasks.side(manifest, runtime);
    OwnerState state = side.embed(partition, input.ids(), input.tokens());
    ServiceOptions options = manifest.service().options();
    RegistryAddresses addresses = new RegistryAddresses(registry, options.connectTimeout());
    List<MicroBatchForward.LayerTiming> layers;
    try (ServiceExchange exchange =
        new ServiceExchange(addresses, options, TaskContext.get().attemptNumber())) {
      layers =
          new MicroBatchForward(side, exchange, options.microBatches())
              .forward(state, manifest.placement().numLayers());
    }
    TaskSite site = TaskSite.owner(runtime);
    for (MicroBatchForward.LayerTiming layer : layers) {
      stats.add(new TaskStat.Owner(layer.layer(), partition, site, withSkipped(layer, input)));
      timings.add(
          new OwnerTiming(layer.layer(), partition, layer.computeNanos(), layer.waitNanos()));
    }
    PipelineHooks.installed().lastTask(partition);
    FinalHidden hidden = side.finish(state);
    return OwnerTasks.outputRows(manifest, runtime, state, hidden);
  }

  /** Layer 0's statistic counts the rows the partition left out, as the other jobs' do. */
  private static OwnerStats withSkipped(MicroBatchForward.LayerTiming layer, InputRows input) {
    OwnerStats s = layer.owner();
    return layer.layer() != 0
        ? s
        : new OwnerStats(s.tokens(), s.bytesIn(), s.bytesOut(), s.computeNanos(), input.skipped());
  }
}
