package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import dev.sparkmoe.spark.infer.OutputRows;
import dev.sparkmoe.spark.infer.RowTokens;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * The token-owner tasks: the first (input rows → embedding → layer 0 routing), the fused middle
 * ones (combine of layer l → routing of layer l + 1) and the last (combine → final norm → output
 * rows). Each returns one {@link OwnerStep} per partition, except the last, which returns the
 * output rows.
 */
final class OwnerTasks {
  private OwnerTasks() {}

  static Iterator<OwnerStep> first(
      PipelineManifest manifest,
      int partition,
      Iterator<Row> rows,
      CollectionAccumulator<TaskStat> stats) {
    ExecutorRuntime runtime = manifest.runtime();
    ModelConfig config = runtime.model().config();
    List<Object> ids = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    while (rows.hasNext()) {
      Row row = rows.next();
      int[] rowTokens = RowTokens.read(row, 1, config);
      ids.add(row.get(0));
      tokens.add(rowTokens == null ? new int[0] : rowTokens);
    }
    TokenOwner owner = owner(manifest, runtime);
    OwnerState state = owner.embed(partition, ids.toArray(), tokens.toArray(new int[0][]));
    return List.of(route(manifest, runtime, owner, state, 0, 0, stats)).iterator();
  }

  static Iterator<OwnerStep> middle(
      PipelineManifest manifest,
      int layer,
      Iterator<OwnerState> states,
      Iterator<Tuple2<Integer, SlotBatch>> combined,
      CollectionAccumulator<TaskStat> stats) {
    ExecutorRuntime runtime = manifest.runtime();
    TokenOwner owner = owner(manifest, runtime);
    OwnerState state = states.next();
    long bytesIn = combine(manifest, owner, state, combined);
    return List.of(route(manifest, runtime, owner, state, layer, bytesIn, stats)).iterator();
  }

  static Iterator<Row> last(
      PipelineManifest manifest,
      Iterator<OwnerState> states,
      Iterator<Tuple2<Integer, SlotBatch>> combined) {
    ExecutorRuntime runtime = manifest.runtime();
    TokenOwner owner = owner(manifest, runtime);
    OwnerState state = states.next();
    combine(manifest, owner, state, combined);
    FinalHidden hidden = owner.finish(state);
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

  private static TokenOwner owner(PipelineManifest manifest, ExecutorRuntime runtime) {
    return new TokenOwner(runtime.model().config(), runtime.dense(), manifest.placement());
  }

  private static long combine(
      PipelineManifest manifest,
      TokenOwner owner,
      OwnerState state,
      Iterator<Tuple2<Integer, SlotBatch>> combined) {
    TokenBatchCodec codec = new TokenBatchCodec(ExecutorRuntime.allocator());
    List<CombineBatch> batches = new ArrayList<>();
    long bytes = 0;
    while (combined.hasNext()) {
      SlotBatch batch = combined.next()._2();
      bytes += batch.sizeBytes();
      batches.add(codec.decodeCombine(batch.arrowIpc()));
    }
    owner.combine(state, batches);
    return bytes;
  }

  private static OwnerStep route(
      PipelineManifest manifest,
      ExecutorRuntime runtime,
      TokenOwner owner,
      OwnerState state,
      int layer,
      long bytesIn,
      CollectionAccumulator<TaskStat> stats) {
    long start = System.nanoTime();
    List<TokenOwner.SlotDispatch> dispatch = owner.route(state, layer);
    long computeNanos = System.nanoTime() - start;
    TokenBatchCodec codec = new TokenBatchCodec(ExecutorRuntime.allocator());
    int[] slots = new int[dispatch.size()];
    SlotBatch[] batches = new SlotBatch[dispatch.size()];
    long bytesOut = 0;
    for (int i = 0; i < slots.length; i++) {
      slots[i] = dispatch.get(i).slot();
      byte[] bytes = codec.encode(dispatch.get(i).batch(), manifest.activationDtype());
      batches[i] = new SlotBatch(layer, state.partition(), bytes);
      bytesOut += bytes.length;
    }
    stats.add(
        new TaskStat(
            TaskStat.OWNER,
            layer,
            state.partition(),
            SparkEnv.get().executorId(),
            null,
            state.numTokens(),
            bytesIn,
            bytesOut,
            computeNanos,
            0,
            new long[0],
            runtime.expertLoads(),
            ""));
    return new OwnerStep(state, slots, batches);
  }

  /** The partition index of the running task. */
  static int partition() {
    return TaskContext.getPartitionId();
  }
}
