package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import dev.sparkmoe.spark.infer.OutputRows;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * The token-owner tasks: the first (input rows → embedding → layer 0 routing), the fused middle
 * ones (combine of layer l → routing of layer l + 1) and the last (combine → final norm → output
 * rows). Each returns one {@link OwnerStep} per partition, except the last, which returns the
 * output rows. They translate Spark's records and delegate to the core's {@link OwnerSide}.
 */
final class OwnerTasks {
  private OwnerTasks() {}

  static Iterator<OwnerStep> first(
      PipelineManifest manifest,
      int partition,
      Iterator<Row> rows,
      CollectionAccumulator<TaskStat> stats) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    OwnerSide side = side(manifest, runtime);
    InputRows input = InputRows.read(manifest, runtime.model().config(), rows);
    OwnerState state = side.embed(partition, input.ids(), input.tokens());
    return route(runtime, side, state, 0, 0, input.skipped(), stats);
  }

  static Iterator<OwnerStep> middle(
      PipelineManifest manifest,
      int layer,
      Iterator<OwnerState> states,
      Iterator<Tuple2<Integer, SlotBatch>> combined,
      CollectionAccumulator<TaskStat> stats) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    OwnerSide side = side(manifest, runtime);
    OwnerState state = states.next();
    PipelineHooks.installed().ownerTask(layer, state.partition());
    long bytesIn = side.combine(state, arrowIpc(combined));
    return route(runtime, side, state, layer, bytesIn, 0, stats);
  }

  static Iterator<Row> last(
      PipelineManifest manifest,
      Iterator<OwnerState> states,
      Iterator<Tuple2<Integer, SlotBatch>> combined) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    OwnerSide side = side(manifest, runtime);
    OwnerState state = states.next();
    PipelineHooks.installed().lastTask(state.partition());
    side.combine(state, arrowIpc(combined));
    FinalHidden hidden = side.finish(state);
    return outputRows(manifest, runtime, state, hidden);
  }

  /** The output rows of a partition's state, in its canonical row order. */
  static Iterator<Row> outputRows(
      PipelineManifest manifest, ExecutorRuntime runtime, OwnerState state, FinalHidden hidden) {
    OutputHead head = new OutputHead(runtime.model().config(), runtime.dense().lmHead());
    List<Row> rows = new ArrayList<>(state.numRows());
    for (int r = 0; r < state.numRows(); r++) {
      int[] tokens = state.tokens()[r];
      rows.add(
          tokens.length == 0
              ? OutputRows.empty(manifest.kind(), state.ids()[r])
              : OutputRows.of(manifest.kind(), state.ids()[r], head, hidden, r, tokens));
    }
    return rows.iterator();
  }

  static OwnerSide side(PipelineManifest manifest, ExecutorRuntime runtime) {
    TokenOwner owner =
        new TokenOwner(runtime.model().config(), runtime.dense(), manifest.placement());
    return new OwnerSide(
        owner, new TokenBatchCodec(ExecutorRuntime.allocator()), manifest.activationDtype());
  }

  private static Iterator<byte[]> arrowIpc(Iterator<Tuple2<Integer, SlotBatch>> combined) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return combined.hasNext();
      }

      @Override
      public byte[] next() {
        return combined.next()._2().arrowIpc();
      }
    };
  }

  private static Iterator<OwnerStep> route(
      ExecutorRuntime runtime,
      OwnerSide side,
      OwnerState state,
      int layer,
      long bytesIn,
      long skippedRows,
      CollectionAccumulator<TaskStat> stats) {
    OwnerDispatch dispatch = side.route(state, layer, bytesIn, skippedRows);
    stats.add(
        new TaskStat.Owner(layer, state.partition(), TaskSite.owner(runtime), dispatch.stats()));
    return List.of(OwnerStep.of(state, dispatch)).iterator();
  }

  /** The partition index of the running task. */
  static int partition() {
    return TaskContext.getPartitionId();
  }
}
