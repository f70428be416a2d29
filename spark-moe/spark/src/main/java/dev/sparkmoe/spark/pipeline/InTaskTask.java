package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.InTaskSide;
import dev.sparkmoe.core.pipeline.OwnerState;
import java.util.Iterator;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The one task of the {@code in-task} placement, per token-owner partition: input rows to output
 * rows, every expert computed here from the executor's resident experts ({@link InTaskSide}), next
 * layer's experts loading in the background while a layer computes. Reports, per layer, an owner
 * and an expert statistic as the expert-parallel tasks do; the expert one under the partition's
 * index as its slot.
 */
final class InTaskTask {
  private InTaskTask() {}

  static Iterator<Row> run(
      PipelineManifest manifest,
      int partition,
      Iterator<Row> rows,
      CollectionAccumulator<TaskStat> stats) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    // Layers 0 and 1 load while this task reads its rows and computes the embeddings.
    runtime.prefetchLayer(0);
    runtime.prefetchLayer(1);
    InputRows input = InputRows.read(manifest, runtime.model().config(), rows);
    OwnerState state =
        OwnerTasks.side(manifest, runtime).embed(partition, input.ids(), input.tokens());
    InTaskSide side = InTaskForward.side(runtime);
    String backend = runtime.backend().description();
    for (InTaskSide.LayerStats layer : side.forward(state, input.skipped())) {
      stats.add(
          new TaskStat.Owner(layer.layer(), partition, TaskSite.owner(runtime), layer.owner()));
      stats.add(
          new TaskStat.Expert(
              layer.layer(), partition, TaskSite.expert(runtime), backend, layer.experts()));
    }
    return OwnerTasks.outputRows(manifest, runtime, state, side.finish(state));
  }
}
