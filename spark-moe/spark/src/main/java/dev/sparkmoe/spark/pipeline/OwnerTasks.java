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
    long skipped = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      int[] rowTokens;
      try {
        rowTokens = RowTokens.read(row, 1, config);
      } catch (IllegalArgumentException e) {
        if (manifest.invalidTokens() == InvalidTokenPolicy.FAIL) {
          throw e;
        }
        skipped++;
        continue;
      }
      ids.add(row.get(0));
      tokens.add(rowTokens == null ? new int[0] : rowTokens);
    }
    Integer[] order = canonicalOrder(ids, tokens);
    Object[] sortedIds = new Object[order.length];
    int[][] sortedTokens = new int[order.length][];
    for (int i = 0; i < order.length; i++) {
      sortedIds[i] = ids.get(order[i]);
      sortedTokens[i] = tokens.get(order[i]);
    }
    TokenOwner owner = owner(manifest, runtime);
    OwnerState state = owner.embed(partition, sortedIds, sortedTokens);
    return List.of(route(manifest, runtime, owner, state, 0, 0, skipped, stats)).iterator();
  }

  /**
   * Rows in an order that depends only on their content: a shuffle delivers a partition's rows in
   * fetch order, which differs between a task and its recomputation after a failure, and the row
   * keys that travel to the experts must name the same rows in both.
   */
  @SuppressWarnings("unchecked")
  private static Integer[] canonicalOrder(List<Object> ids, List<int[]> tokens) {
    Integer[] order = new Integer[ids.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(
        order,
        (a, b) -> {
          int byId = ((Comparable<Object>) ids.get(a)).compareTo(ids.get(b));
          return byId != 0 ? byId : java.util.Arrays.compare(tokens.get(a), tokens.get(b));
        });
    return order;
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
    FaultInjection.maybeFail(manifest.fault(), FaultInjection.OWNER, layer, state.partition());
    long bytesIn = combine(manifest, owner, state, combined);
    return List.of(route(manifest, runtime, owner, state, layer, bytesIn, 0, stats)).iterator();
  }

  static Iterator<Row> last(
      PipelineManifest manifest,
      Iterator<OwnerState> states,
      Iterator<Tuple2<Integer, SlotBatch>> combined) {
    ExecutorRuntime runtime = manifest.runtime();
    TokenOwner owner = owner(manifest, runtime);
    OwnerState state = states.next();
    FaultInjection.maybeFail(manifest.fault(), FaultInjection.LAST, -1, state.partition());
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
      long skippedRows,
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
            "",
            skippedRows));
    return new OwnerStep(state, slots, batches);
  }

  /** The partition index of the running task. */
  static int partition() {
    return TaskContext.getPartitionId();
  }
}
